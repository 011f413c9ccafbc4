"""Webhook subscribers and job handlers (fan-out of events to subscriptions, signed deliveries)."""
