"""Outbound webhooks: subscriptions of other systems to Fixdesk's events, signed deliveries and their log."""
