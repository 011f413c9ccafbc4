"""Permission strings and what each staff role holds.

A permission is ``<area>:<action>``. Each role maps to a set; a user may hold extra ones
(``User.permissions``). Endpoints declare what they need with :func:`fixdesk.platform.permissions.require`.
Row-level rules sit on top of these in each domain's scoping function (a technician may change only the
repairs assigned to them).
"""

from __future__ import annotations

from fixdesk.identity.models import Role
from fixdesk.platform.permissions import CUSTOMER_PORTAL_PERMISSION

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
REPAIRS_READ = "repairs:read"
REPAIRS_CREATE = "repairs:create"
REPAIRS_UPDATE = "repairs:update"
REPAIRS_ASSIGN = "repairs:assign"
USERS_READ = "users:read"
USERS_MANAGE = "users:manage"
JOBS_MANAGE = "jobs:manage"
NOTIFICATIONS_READ = "notifications:read"
NOTIFICATIONS_MANAGE = "notifications:manage"
WEBHOOKS_MANAGE = "webhooks:manage"
# The device catalog and price list: every staff member reads it, managers and admins change it.
CATALOG_READ = "catalog:read"
CATALOG_WRITE = "catalog:write"
# Uploading and changing repair photos and documents (intake photos are taken at the front desk).
ATTACHMENTS_WRITE = "attachments:write"
# Custom field definitions: staff read them to render forms, admins define them.
CUSTOM_FIELDS_READ = "custom_fields:read"
CUSTOM_FIELDS_MANAGE = "custom_fields:manage"
# Business analytics (revenue, turnaround, satisfaction).
ANALYTICS_READ = "analytics:read"
# The whole activity and audit log (GET /audit); a customer's own activity needs only customers:read.
AUDIT_READ = "audit:read"
# Managing API clients (OAuth2 client credentials): whoever holds it can mint any scope, so admins only.
API_CLIENTS_MANAGE = "api_clients:manage"

ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        CUSTOMERS_READ,
        CUSTOMERS_WRITE,
        REPAIRS_READ,
        REPAIRS_CREATE,
        REPAIRS_UPDATE,
        REPAIRS_ASSIGN,
        USERS_READ,
        USERS_MANAGE,
        JOBS_MANAGE,
        NOTIFICATIONS_READ,
        NOTIFICATIONS_MANAGE,
        WEBHOOKS_MANAGE,
        AUDIT_READ,
        API_CLIENTS_MANAGE,
        CATALOG_READ,
        CATALOG_WRITE,
        ATTACHMENTS_WRITE,
        CUSTOM_FIELDS_READ,
        CUSTOM_FIELDS_MANAGE,
        ANALYTICS_READ,
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.admin: ALL_PERMISSIONS,
    Role.manager: ALL_PERMISSIONS
    - {USERS_MANAGE, JOBS_MANAGE, WEBHOOKS_MANAGE, AUDIT_READ, API_CLIENTS_MANAGE, CUSTOM_FIELDS_MANAGE},
    # Technicians see the whole board but change only what is assigned to them (repairs service).
    Role.technician: frozenset(
        {
            CUSTOMERS_READ,
            REPAIRS_READ,
            REPAIRS_UPDATE,
            USERS_READ,
            CATALOG_READ,
            ATTACHMENTS_WRITE,
            CUSTOM_FIELDS_READ,
        }
    ),
    # Front-desk / support agents take devices in and talk to customers; they do not work the bench.
    Role.agent: frozenset(
        {
            CUSTOMERS_READ,
            CUSTOMERS_WRITE,
            REPAIRS_READ,
            REPAIRS_CREATE,
            USERS_READ,
            NOTIFICATIONS_READ,
            NOTIFICATIONS_MANAGE,
            CATALOG_READ,
            ATTACHMENTS_WRITE,
            CUSTOM_FIELDS_READ,
        }
    ),
}

CUSTOMER_PERMISSIONS: frozenset[str] = frozenset({CUSTOMER_PORTAL_PERMISSION})


def permissions_for(role: str, extra: list[str] | None = None) -> frozenset[str]:
    """The permissions of a staff role plus the user's extra grants (unknown strings are ignored)."""
    granted = set(ROLE_PERMISSIONS.get(role, frozenset()))
    granted.update(p for p in (extra or []) if p in ALL_PERMISSIONS)
    return frozenset(granted)
