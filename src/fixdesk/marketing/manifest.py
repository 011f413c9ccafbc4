"""The marketing domain: marketing consent per channel with its history, the suppression list, the
audience of campaigns and broadcasts (:mod:`fixdesk.marketing.access`), customer segmentation and saved
segments (issue 13, items 4 and 5; seed 002).

Grants: managers hold every marketing permission (admins hold every permission anyway). The front desk
(``agent``) reads and records a customer's consent (the signed form at the counter), but does not manage
the suppression list or segments.
"""

from __future__ import annotations

from fixdesk.marketing.permissions import (
    BROADCASTS_READ,
    BROADCASTS_WRITE,
    CAMPAIGNS_READ,
    CAMPAIGNS_WRITE,
    CONSENTS_READ,
    CONSENTS_WRITE,
    SEGMENTS_READ,
    SEGMENTS_WRITE,
    SUPPRESSIONS_MANAGE,
)
from fixdesk.platform.domains import DomainManifest, Mount, Periodic, Permission

MANIFEST = DomainManifest(
    name="marketing",
    description=(
        "Marketing consent, the suppression list, audiences, segments, email campaigns, SMS and WhatsApp "
        "broadcasts."
    ),
    routers=(
        Mount("fixdesk.marketing.campaigns.router:router"),
        Mount("fixdesk.marketing.campaigns.webhooks:router"),
        # The links inside campaign emails (open pixel, click redirect, unsubscribe) live at the root.
        Mount("fixdesk.marketing.campaigns.tracking:router", prefix=""),
        Mount("fixdesk.marketing.segments_router:router"),
        Mount("fixdesk.marketing.router:router"),
        Mount("fixdesk.marketing.router:portal_router"),
        Mount("fixdesk.marketing.broadcasts.router:router"),
    ),
    permissions=(
        Permission(
            CAMPAIGNS_READ, "Read email templates and campaigns, their previews, audiences and stats."
        ),
        Permission(CAMPAIGNS_WRITE, "Write email templates and campaigns, send, schedule and cancel them."),
        Permission(CONSENTS_READ, "Read customers' marketing consent and its history."),
        Permission(CONSENTS_WRITE, "Record a customer's marketing consent or its withdrawal."),
        Permission(SUPPRESSIONS_MANAGE, "Read and change the marketing suppression list."),
        Permission(SEGMENTS_READ, "Read customer segmentation and saved segments with their members."),
        Permission(SEGMENTS_WRITE, "Add, change and delete saved customer segments."),
        Permission(BROADCASTS_READ, "Read SMS and WhatsApp broadcasts, their templates and cost estimates."),
        Permission(
            BROADCASTS_WRITE, "Send and schedule SMS and WhatsApp broadcasts, manage their templates."
        ),
    ),
    role_grants={
        "manager": frozenset(
            {
                BROADCASTS_READ,
                BROADCASTS_WRITE,
                CAMPAIGNS_READ,
                CAMPAIGNS_WRITE,
                CONSENTS_READ,
                CONSENTS_WRITE,
                SUPPRESSIONS_MANAGE,
                SEGMENTS_READ,
                SEGMENTS_WRITE,
            }
        ),
        "agent": frozenset({CONSENTS_READ, CONSENTS_WRITE}),
    },
    models=(
        "fixdesk.marketing.models",
        "fixdesk.marketing.campaigns.models",
        "fixdesk.marketing.broadcasts.models",
    ),
    events=("fixdesk.marketing.campaigns.events", "fixdesk.marketing.broadcasts.events"),
    jobs=("fixdesk.marketing.campaigns.jobs", "fixdesk.marketing.broadcasts.jobs"),
    periodic_jobs=(Periodic("marketing.campaigns_start_due", "* * * * *", "marketing.campaigns_start_due"),),
    # The staff pages: segments with their live counts and the segmentation summary (web/marketing.py).
    pages=("fixdesk.web.marketing:pages",),
)
