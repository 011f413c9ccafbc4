"""Quotes: priced proposals the customer approves or declines in the portal."""
