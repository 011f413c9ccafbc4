"""The analytics domain: the repair analytics overview."""

from __future__ import annotations

from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.platform.domains import DomainManifest, Mount, Permission

MANIFEST = DomainManifest(
    name="analytics",
    description="Business analytics: revenue, turnaround, satisfaction.",
    routers=(Mount("fixdesk.analytics.router:router"),),
    permissions=(
        Permission(ANALYTICS_READ, "Read the business analytics (revenue, turnaround, satisfaction)."),
    ),
    role_grants={"manager": frozenset({ANALYTICS_READ})},
    # The staff dashboard at /app: today's counter and, for who may read analytics, the shop's charts.
    pages=("fixdesk.web.dashboard:pages",),
)
