"""Events and background jobs of fixdesk.repairs.tracking (registered through fixdesk.bootstrap)."""
