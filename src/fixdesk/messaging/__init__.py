"""Messaging: customer notifications (email, SMS/WhatsApp) from per-event templates, and their delivery."""
