"""The public tracking link of a repair and the customer's review of it."""
