"""Adapters to the outside world: email (file, SMTP, SendGrid) and SMS/WhatsApp (file, Twilio).

Each adapter is built from settings once per process (see :mod:`fixdesk.services`). Base URLs are settings,
so tests point them at servers on 127.0.0.1 that speak the provider's documented protocol.
"""
