"""The identity domain: staff users, customer accounts and sessions, API clients, the audit log."""

from __future__ import annotations

from fixdesk.identity.permissions import API_CLIENTS_MANAGE, AUDIT_READ, USERS_MANAGE, USERS_READ
from fixdesk.platform.domains import DomainManifest, Mount, Permission
from fixdesk.platform.jobs.registry import Periodic

STAFF = ("manager", "technician", "agent")

MANIFEST = DomainManifest(
    name="identity",
    description="Staff users, customer accounts, sessions, API clients, roles and the audit log.",
    # The API clients' routes are included in identity's router.
    routers=(
        Mount("fixdesk.identity.router:router"),
        # POST /customers/{id}/portal-invitation and /password-reset, tagged "customers".
        Mount("fixdesk.identity.router:portal_links_router"),
    ),
    permissions=(
        Permission(USERS_READ, "List staff users (to assign work, to see who did what)."),
        Permission(USERS_MANAGE, "Invite, change and deactivate staff users."),
        Permission(AUDIT_READ, "Read the whole activity and audit log (GET /audit)."),
        Permission(
            API_CLIENTS_MANAGE, "Register API clients; whoever holds it can mint any scope, so admins only."
        ),
    ),
    role_grants={role: frozenset({USERS_READ}) for role in STAFF},
    # The settings pages (staff, webhooks, API clients, custom fields, the shop) are the admins' own.
    pages=("fixdesk.web.settings:pages",),
    models=("fixdesk.identity.models",),
    jobs=("fixdesk.identity.jobs", "fixdesk.identity.account_jobs"),
    periodic_jobs=(
        Periodic("identity.purge_deleted_accounts", "7 * * * *", "identity.purge_deleted_accounts"),
    ),
)
