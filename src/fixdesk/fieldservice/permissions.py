"""The field service domain's permissions (declared with their grants in
:mod:`fixdesk.fieldservice.manifest`)."""

from __future__ import annotations

TECHNICIANS_READ = "technicians:read"
TECHNICIANS_MANAGE = "technicians:manage"
LOCATIONS_READ = "locations:read"
LOCATIONS_WRITE = "locations:write"
WORK_ORDERS_READ = "work_orders:read"
WORK_ORDERS_CREATE = "work_orders:create"
WORK_ORDERS_UPDATE = "work_orders:update"
WORK_ORDERS_ASSIGN = "work_orders:assign"
