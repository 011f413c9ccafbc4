"""The permission table: every permission the installed domains declare and what each staff role holds.

A permission is ``<area>:<action>``. Each domain declares its own in its manifest, with what each staff role
holds of them (:attr:`fixdesk.platform.domains.DomainManifest.role_grants`); the table is built from the
installed manifests (:func:`fixdesk.platform.domains.installed`), so a new domain's permissions and grants
take effect without touching this module. ``admin`` holds every permission; a user may hold extra ones
(``User.permissions``). Endpoints declare what they need with
:func:`fixdesk.platform.permissions.require`; row-level rules sit on top of these in each domain's access
functions (a technician may change only the repairs assigned to them).

Identity's own permissions are defined here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fixdesk.identity.models import Role
from fixdesk.platform import domains
from fixdesk.platform.domains import DomainManifest
from fixdesk.platform.permissions import CUSTOMER_PORTAL_PERMISSION

USERS_READ = "users:read"
USERS_MANAGE = "users:manage"
# The whole activity and audit log (GET /audit); a customer's own activity needs only customers:read.
AUDIT_READ = "audit:read"
# Managing API clients (OAuth2 client credentials): whoever holds it can mint any scope, so admins only.
API_CLIENTS_MANAGE = "api_clients:manage"

CUSTOMER_PERMISSIONS: frozenset[str] = frozenset({CUSTOMER_PORTAL_PERMISSION})
"""What a portal customer holds: the portal itself; the portal's access functions scope it to their rows."""


@dataclass(frozen=True)
class PermissionTable:
    """Every declared permission and the set each staff role holds."""

    permissions: frozenset[str]
    roles: Mapping[str, frozenset[str]]


def build_table(manifests: Sequence[DomainManifest]) -> PermissionTable:
    """The table of ``manifests``: ``admin`` holds every declared permission, every other role what the
    manifests grant it. Raises ``ValueError`` for a grant to a role that does not exist or to ``admin``
    (who needs none)."""
    declared = frozenset(name for manifest in manifests for name in manifest.permission_names)
    roles: dict[str, set[str]] = {role.value: set() for role in Role}
    for manifest in manifests:
        for role, granted in manifest.role_grants.items():
            if role not in roles:
                raise ValueError(f"{manifest.name!r} grants permissions to an unknown role {role!r}")
            if role == Role.admin:
                raise ValueError(f"{manifest.name!r} grants to admin, who holds every permission")
            roles[role].update(granted)
    roles[Role.admin.value] = set(declared)
    return PermissionTable(declared, {role: frozenset(granted) for role, granted in roles.items()})


_built: tuple[tuple[DomainManifest, ...], PermissionTable] | None = None


def permission_table() -> PermissionTable:
    """The table of the installed domains (built once per installation)."""
    global _built
    manifests = domains.installed()
    if _built is None or _built[0] is not manifests:
        _built = (manifests, build_table(manifests))
    return _built[1]


def all_permissions() -> frozenset[str]:
    """Every permission the installed domains declare (what API-client scopes and extra grants may name)."""
    return permission_table().permissions


def role_permissions(role: str) -> frozenset[str]:
    """What staff role ``role`` holds (nothing for an unknown role)."""
    return permission_table().roles.get(role, frozenset())


def permissions_for(role: str, extra: list[str] | None = None) -> frozenset[str]:
    """The permissions of a staff role plus the user's extra grants (unknown strings are ignored)."""
    if not extra:
        # Most users have no extra grant: their role's own set, not a copy (every request asks).
        return role_permissions(role)
    known = all_permissions()
    return role_permissions(role) | frozenset(p for p in extra if p in known)
