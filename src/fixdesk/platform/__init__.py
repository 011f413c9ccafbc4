"""Cross-cutting mechanisms with no business rules: errors, pagination, security, permissions, ids."""
