"""The webhooks domain: outbound subscriptions to events and their signed deliveries."""

from __future__ import annotations

from fixdesk.platform.domains import DomainManifest, Mount, Permission
from fixdesk.webhooks.permissions import WEBHOOKS_MANAGE

MANIFEST = DomainManifest(
    name="webhooks",
    description="Outbound webhook subscriptions and their signed, retried deliveries.",
    routers=(Mount("fixdesk.webhooks.router:router"),),
    permissions=(Permission(WEBHOOKS_MANAGE, "Subscribe endpoints to events and read their deliveries."),),
    models=("fixdesk.webhooks.models",),
    events=("fixdesk.webhooks.service",),
    jobs=("fixdesk.webhooks.jobs",),
)
