"""Customers: the people and businesses a shop repairs for, and their portal access."""
