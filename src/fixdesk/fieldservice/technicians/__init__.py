"""Technicians: field profiles on staff users, skills, working hours and time off."""
