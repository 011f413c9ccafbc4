"""Field service: technicians, service locations, work orders, schedule and dispatch."""
