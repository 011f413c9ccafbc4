"""The custom fields domain: the shop's own fields on the records other domains declare."""

from __future__ import annotations

from fixdesk.customfields.permissions import CUSTOM_FIELDS_MANAGE, CUSTOM_FIELDS_READ
from fixdesk.platform.domains import DomainManifest, Mount, Permission

MANIFEST = DomainManifest(
    name="customfields",
    description="Custom field definitions on customers, repairs and any entity a domain declares.",
    routers=(Mount("fixdesk.customfields.router:router"),),
    permissions=(
        Permission(CUSTOM_FIELDS_READ, "Read custom field definitions (to render forms)."),
        Permission(CUSTOM_FIELDS_MANAGE, "Define, change and deactivate custom fields."),
    ),
    role_grants={role: frozenset({CUSTOM_FIELDS_READ}) for role in ("manager", "technician", "agent")},
    models=("fixdesk.customfields.models",),
)
