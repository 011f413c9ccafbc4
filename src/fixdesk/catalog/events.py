"""Events and background jobs of fixdesk.catalog (registered through fixdesk.bootstrap)."""
