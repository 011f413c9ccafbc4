"""The field service domain: technicians and their working hours, customers' service locations and the
equipment there, work orders with their lifecycle, lines and events (issue 11, seed 001)."""

from __future__ import annotations

from fixdesk.fieldservice.permissions import (
    LOCATIONS_READ,
    LOCATIONS_WRITE,
    TECHNICIANS_MANAGE,
    TECHNICIANS_READ,
    WORK_ORDERS_ASSIGN,
    WORK_ORDERS_CREATE,
    WORK_ORDERS_READ,
    WORK_ORDERS_UPDATE,
)
from fixdesk.fieldservice.work_order_attachments import MAX_VISIT_PHOTOS
from fixdesk.platform.domains import DomainManifest, MessageTemplates, Mount, Permission, UploadLimit
from fixdesk.platform.jobs.registry import Periodic

MANIFEST = DomainManifest(
    name="fieldservice",
    description="Technicians, service locations and equipment, work orders, schedule and dispatch.",
    routers=(
        Mount("fixdesk.fieldservice.technicians.router:router"),
        Mount("fixdesk.fieldservice.locations.router:router"),
        Mount("fixdesk.fieldservice.work_orders.router:router"),
        Mount("fixdesk.fieldservice.schedule.router:router"),
        Mount("fixdesk.fieldservice.assistant.router:router"),
        Mount("fixdesk.fieldservice.analytics.router:router"),
        Mount("fixdesk.fieldservice.dispatch.router:router"),
        Mount("fixdesk.fieldservice.technician_day.router:router"),
        Mount("fixdesk.fieldservice.work_order_attachments.router:router"),
        # Managed with work_orders:create, read with work_orders:read (a plan is a standing work order).
        Mount("fixdesk.fieldservice.service_plans.router:router"),
    ),
    permissions=(
        Permission(TECHNICIANS_READ, "Read technician profiles (technicians: their own)."),
        Permission(TECHNICIANS_MANAGE, "Add and change technicians: skills, rates, hours, time off."),
        Permission(LOCATIONS_READ, "Read customers' service locations and the equipment there."),
        Permission(LOCATIONS_WRITE, "Add, change and remove service locations and equipment."),
        Permission(WORK_ORDERS_READ, "Read work orders (technicians: those assigned to them)."),
        Permission(WORK_ORDERS_CREATE, "Open work orders and delete drafts."),
        Permission(
            WORK_ORDERS_UPDATE,
            "Work on work orders: details, checklist, lines, status (technicians: their own).",
        ),
        Permission(WORK_ORDERS_ASSIGN, "Assign technicians to work orders (dispatch)."),
    ),
    role_grants={
        "manager": frozenset(
            {
                TECHNICIANS_READ,
                TECHNICIANS_MANAGE,
                LOCATIONS_READ,
                LOCATIONS_WRITE,
                WORK_ORDERS_READ,
                WORK_ORDERS_CREATE,
                WORK_ORDERS_UPDATE,
                WORK_ORDERS_ASSIGN,
            }
        ),
        # Dispatchers at the front desk book jobs and assign them; they do not manage the team.
        "agent": frozenset(
            {
                TECHNICIANS_READ,
                LOCATIONS_READ,
                LOCATIONS_WRITE,
                WORK_ORDERS_READ,
                WORK_ORDERS_CREATE,
                WORK_ORDERS_UPDATE,
                WORK_ORDERS_ASSIGN,
            }
        ),
        # Technicians read their own profile and work their own jobs (fieldservice.access scopes both).
        "technician": frozenset({TECHNICIANS_READ, LOCATIONS_READ, WORK_ORDERS_READ, WORK_ORDERS_UPDATE}),
    },
    models=(
        "fixdesk.fieldservice.models",
        "fixdesk.fieldservice.dispatch.models",
        "fixdesk.fieldservice.service_plans.models",
    ),
    events=(
        "fixdesk.fieldservice.events",
        "fixdesk.fieldservice.technician_day.events",
        "fixdesk.fieldservice.work_order_attachments.events",
    ),
    jobs=(
        "fixdesk.fieldservice.jobs",
        "fixdesk.fieldservice.technician_day.jobs",
        "fixdesk.fieldservice.service_plans.jobs",
        # Tells the platform's attachment jobs which rows own the files under work-orders/.
        "fixdesk.fieldservice.work_order_attachments.jobs",
    ),
    upload_limits=(
        UploadLimit(r"/work-orders/[^/]+/attachments", lambda settings: settings.max_upload_bytes),
        # The work order page's photo upload and the technician's day page, which finishes a visit with
        # its photos (fixdesk.web.fieldservice).
        UploadLimit(
            r"/work-orders/[^/]+/attachments", lambda settings: settings.max_upload_bytes, prefix="/app"
        ),
        UploadLimit(
            r"/my-day/[^/]+/complete",
            lambda settings: settings.max_upload_bytes * MAX_VISIT_PHOTOS,
            prefix="/app",
        ),
    ),
    # Service plans' occurrences become work orders, and customers are reminded of visits, hourly.
    periodic_jobs=(Periodic("fieldservice.service_plans", "23 * * * *", "fieldservice.service_plans"),),
    # The staff pages: the work orders list, a work order's page, the technician's day, the dispatch board
    # and the week calendar.
    pages=("fixdesk.web.fieldservice:pages", "fixdesk.web.schedule:pages"),
    # What customers are told about field visits.
    message_templates=(
        MessageTemplates(
            "fixdesk.fieldservice.technician_day", "message_templates", ("technician_on_the_way",)
        ),
        MessageTemplates(
            "fixdesk.fieldservice.service_plans", "message_templates", ("service_visit_reminder",)
        ),
    ),
)
