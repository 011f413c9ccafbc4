"""Fixdesk: the open-source back office for repair shops and field-service teams."""

__version__ = "0.1.0"
