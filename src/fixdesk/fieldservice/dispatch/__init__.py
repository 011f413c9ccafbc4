"""Dispatch: planning a day of work orders over the technicians (the pure solver in solver.py)."""
