"""Customers' service locations and the equipment there; geocoding of their addresses."""
