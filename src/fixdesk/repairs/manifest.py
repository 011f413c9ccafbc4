"""The repairs domain: repair tickets and their lifecycle, line items, quotes, attachments, warranty,
the public tracking link and reviews."""

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
from fixdesk.repairs.permissions import (
    ATTACHMENTS_WRITE,
    REPAIRS_ASSIGN,
    REPAIRS_CREATE,
    REPAIRS_READ,
    REPAIRS_UPDATE,
)

FEATURES = ("quotes", "tracking", "attachments", "warranty")

MANIFEST = DomainManifest(
    name="repairs",
    description="Repair tickets, status lifecycle, line items, quotes, attachments, warranty, tracking, reviews.",
    routers=(
        Mount("fixdesk.repairs.router:router"),
        Mount("fixdesk.repairs.router:portal_router"),
        Mount("fixdesk.repairs.items.router:router"),
        Mount("fixdesk.repairs.quotes.router:router"),
        Mount("fixdesk.repairs.quotes.router:portal_router"),
        Mount("fixdesk.repairs.attachments.router:router"),
        Mount("fixdesk.repairs.attachments.router:portal_router"),
        Mount("fixdesk.repairs.warranty.router:router"),
        Mount("fixdesk.repairs.tracking.router:router"),
        Mount("fixdesk.repairs.tracking.router:portal_router"),
        Mount("fixdesk.repairs.tracking.router:public_router"),
        # The public tracking page lives at the root (/track/{token}), the short link sent to customers.
        Mount("fixdesk.repairs.tracking.router:page_router", prefix=""),
    ),
    permissions=(
        Permission(REPAIRS_READ, "Read repairs, their history, lines, quotes, attachments and warranties."),
        Permission(REPAIRS_CREATE, "Take devices in (new repairs) and warranty claims."),
        Permission(
            REPAIRS_UPDATE, "Work on repairs: status, details, lines, quotes (technicians: their own)."
        ),
        Permission(REPAIRS_ASSIGN, "Assign repairs to technicians."),
        Permission(ATTACHMENTS_WRITE, "Upload, change and delete repair photos and documents."),
    ),
    role_grants={
        "manager": frozenset(
            {REPAIRS_READ, REPAIRS_CREATE, REPAIRS_UPDATE, REPAIRS_ASSIGN, ATTACHMENTS_WRITE}
        ),
        # Technicians see the whole board but change only what is assigned to them (repairs.access).
        "technician": frozenset({REPAIRS_READ, REPAIRS_UPDATE, ATTACHMENTS_WRITE}),
        # Front-desk agents take devices in and talk to customers; they do not work the bench.
        "agent": frozenset({REPAIRS_READ, REPAIRS_CREATE, ATTACHMENTS_WRITE}),
    },
    models=("fixdesk.repairs.models",),
    events=(
        "fixdesk.repairs.events",
        *(f"fixdesk.repairs.{feature}.events" for feature in FEATURES),
    ),
    jobs=(
        "fixdesk.repairs.jobs",
        *(f"fixdesk.repairs.{feature}.jobs" for feature in FEATURES),
    ),
    periodic_jobs=(Periodic("attachments.sweep_orphans", "23 4 * * *", "attachments.sweep_orphans"),),
    upload_limits=(
        UploadLimit(r"/repairs/[^/]+/attachments", lambda settings: settings.max_upload_bytes),
        # The repair page's photo upload form (fixdesk.web.repairs).
        UploadLimit(r"/repairs/[^/]+/attachments", lambda settings: settings.max_upload_bytes, prefix="/app"),
    ),
    custom_field_entities=(CustomFieldEntity("repair", "fixdesk.repairs.models:Repair.custom_fields"),),
    # What customers are told about their repairs and quotes (chosen in repairs.messages, quotes.jobs).
    message_templates=(
        MessageTemplates(
            "fixdesk.repairs",
            "message_templates",
            (
                "repair_created",
                "repair_in_progress",
                "repair_completed",
                "repair_ready_pickup",
                "repair_delivered",
                "repair_delayed",
                "repair_status_update",
                "quote_ready",
            ),
        ),
    ),
    # A portal customer follows their own repairs live; quote, review and other events carry staff-only
    # fields or concern the shop, so they are not sent to the portal.
    customer_live_events=("repair.*",),
    # The staff pages: the repairs board and kanban, the repair page and its intake receipt.
    pages=("fixdesk.web.repairs:pages",),
)
