"""The platform's own contributions, declared like a domain's: the job admin and live-event routers, the
``jobs:manage`` permission, the outbox, idempotency, job and numbering tables, and the jobs that dispatch
events, broadcast them live and purge idempotency keys."""

from __future__ import annotations

from fixdesk.platform.domains import DomainManifest, Mount, Permission
from fixdesk.platform.jobs.registry import Periodic

MANIFEST = DomainManifest(
    name="platform",
    description="Cross-cutting mechanisms: jobs, the event outbox, live events, idempotency, numbering.",
    routers=(
        Mount("fixdesk.platform.jobs.router:router"),
        Mount("fixdesk.platform.realtime:router"),
    ),
    permissions=(Permission("jobs:manage", "List background jobs and retry failed ones (GET /admin/jobs)."),),
    models=(
        "fixdesk.platform.events",
        "fixdesk.platform.idempotency",
        "fixdesk.platform.jobs.models",
        "fixdesk.platform.numbering",
    ),
    jobs=("fixdesk.platform.events", "fixdesk.platform.realtime", "fixdesk.platform.idempotency"),
    periodic_jobs=(Periodic("idempotency.purge", "41 * * * *", "idempotency.purge"),),
)
