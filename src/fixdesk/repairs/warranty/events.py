"""Events and background jobs of fixdesk.repairs.warranty (registered through fixdesk.bootstrap)."""
