"""The messaging domain: customer notifications by email, SMS and WhatsApp, and the portal inbox."""

from __future__ import annotations

from fixdesk.messaging.permissions import NOTIFICATIONS_MANAGE, NOTIFICATIONS_READ
from fixdesk.platform.domains import DomainManifest, Mount, Permission

FRONT_OFFICE = frozenset({NOTIFICATIONS_READ, NOTIFICATIONS_MANAGE})

MANIFEST = DomainManifest(
    name="messaging",
    description="Customer notifications (email, SMS, WhatsApp), templates, delivery reports, the portal inbox.",
    routers=(
        Mount("fixdesk.messaging.router:router"),
        Mount("fixdesk.messaging.router:portal_router"),
    ),
    permissions=(
        Permission(NOTIFICATIONS_READ, "Read the notifications sent to customers."),
        Permission(NOTIFICATIONS_MANAGE, "Retry failed notifications."),
    ),
    role_grants={"manager": FRONT_OFFICE, "agent": FRONT_OFFICE},
    models=("fixdesk.messaging.models",),
    events=("fixdesk.messaging.events",),
    jobs=("fixdesk.messaging.jobs",),
)
