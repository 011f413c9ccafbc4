"""Events and background jobs of fixdesk.repairs.quotes (registered through fixdesk.bootstrap)."""
