"""Business analytics: revenue, repair counts, turnaround and customer satisfaction."""
