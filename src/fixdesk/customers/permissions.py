"""The customers domain's permissions (declared with their grants in :mod:`fixdesk.customers.manifest`)."""

from __future__ import annotations

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
