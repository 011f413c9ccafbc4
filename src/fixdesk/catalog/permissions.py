"""The catalog's permissions (declared with their grants in :mod:`fixdesk.catalog.manifest`)."""

from __future__ import annotations

# The device catalog and price list: every staff member reads it, managers and admins change it.
CATALOG_READ = "catalog:read"
CATALOG_WRITE = "catalog:write"
