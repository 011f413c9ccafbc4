"""Repairs: tickets from intake to pickup, their status lifecycle and history, and the portal view."""
