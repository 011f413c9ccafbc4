"""Messaging's event subscribers and job handlers (notifications on repair events, sending)."""
