"""Warranties on fitted parts and warranty claims that open no-charge repairs."""
