"""The sales domain's permissions (declared with their grants in :mod:`fixdesk.sales.manifest`)."""

from __future__ import annotations

PRODUCTS_READ = "products:read"
PRODUCTS_WRITE = "products:write"
ORDERS_READ = "orders:read"
ORDERS_WRITE = "orders:write"
DASHBOARD_READ = "dashboard:read"
