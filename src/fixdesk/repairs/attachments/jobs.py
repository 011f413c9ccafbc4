"""Events and background jobs of fixdesk.repairs.attachments (registered through fixdesk.bootstrap)."""
