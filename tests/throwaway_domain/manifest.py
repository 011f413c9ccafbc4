"""The gadgets domain's manifest: every slot a domain can fill, filled once."""

from __future__ import annotations

from fixdesk.platform.domains import (
    CustomFieldEntity,
    DomainManifest,
    MessageTemplates,
    Mount,
    Permission,
    UploadLimit,
)
from fixdesk.platform.jobs.registry import Periodic

GADGETS_READ = "gadgets:read"
MANUAL_BYTES = 3_000_000

MANIFEST = DomainManifest(
    name="gadgets",
    description="Gadgets customers bring in (a test domain).",
    routers=(Mount("tests.throwaway_domain.router:router"),),
    permissions=(Permission(GADGETS_READ, "Read gadgets and mark them tested."),),
    role_grants={"technician": frozenset({GADGETS_READ})},
    models=("tests.throwaway_domain.models",),
    events=("tests.throwaway_domain.events",),
    jobs=("tests.throwaway_domain.jobs",),
    periodic_jobs=(Periodic("gadgets.polish", "0 * * * *", "gadgets.polish"),),
    upload_limits=(UploadLimit(r"/gadgets/[^/]+/manual", lambda settings: MANUAL_BYTES),),
    custom_field_entities=(
        CustomFieldEntity("gadget", "tests.throwaway_domain.models:Gadget.custom_fields"),
    ),
    message_templates=(MessageTemplates("tests.throwaway_domain", "message_templates", ("gadget_ready",)),),
    pages=("tests.throwaway_domain.pages:pages",),
    customer_live_events=("gadget.*",),
)
