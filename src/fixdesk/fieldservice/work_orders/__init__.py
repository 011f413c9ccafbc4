"""Work orders: the jobs, their lifecycle, lines, technicians and events."""
