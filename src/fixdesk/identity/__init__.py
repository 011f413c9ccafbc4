"""Identity: staff users, roles and permissions, login sessions and tokens."""
