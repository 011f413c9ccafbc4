"""The repairs pages of the staff app (issue 10, item 3): the board (``/app/repairs``, a table with filters,
search and paging, or a kanban by status), the repair page (``/app/repairs/{id}``) and its intake receipt.

Every handler is as thin as the API router beside it: it parses the form with the API's own input model,
calls the same service function with the signed-in principal, and renders. So the rules are the API's:

* who may open or post what is the API's permission (``require(...)`` on each route), and a technician
  changes only the repairs assigned to them (:func:`fixdesk.repairs.access.ensure_can_change`): the
  service's 403 becomes the 403 error page and nothing changes;
* a status change offers only the lifecycle's allowed next states (:func:`fixdesk.repairs.lifecycle.allowed_next`),
  and the kanban lets a card be dropped only on those columns; anything else is refused by the service's
  409, shown on the page (or, for the kanban's request, answered as a 409 alert the script shows);
* invalid input is refused with the API's problem details shown next to the fields (400), nothing changed.

A form posted by htmx (``HX-Request``) gets back the part of the page it changed (the lines and their
totals); posted without JavaScript it gets a redirect back to the page (303, "post/redirect/get").
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from fixdesk.audit.service import ClientInfo, request_client
from fixdesk.catalog.models import DeviceType
from fixdesk.config import Settings
from fixdesk.customers import access as customers_access
from fixdesk.customers import service as customers_service
from fixdesk.customers.permissions import CUSTOMERS_READ
from fixdesk.customfields import service as custom_fields
from fixdesk.platform.attachments import file_response
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import FixdeskError, Forbidden, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import require_plain_text
from fixdesk.platform.storage import StorageDep
from fixdesk.repairs import lifecycle
from fixdesk.repairs import service as repairs
from fixdesk.repairs.access import ensure_can_change
from fixdesk.repairs.attachments import service as attachments
from fixdesk.repairs.attachments.schemas import AttachmentUpdate, AttachmentUpload
from fixdesk.repairs.attachments.service import FileTooLarge
from fixdesk.repairs.items import service as line_items
from fixdesk.repairs.items.schemas import RepairItemCreate, RepairLabourCreate
from fixdesk.repairs.models import AttachmentKind, Priority, Repair, RepairStatus
from fixdesk.repairs.permissions import (
    ATTACHMENTS_WRITE,
    REPAIRS_ASSIGN,
    REPAIRS_CREATE,
    REPAIRS_READ,
    REPAIRS_UPDATE,
)
from fixdesk.repairs.quotes import service as quotes
from fixdesk.repairs.quotes.schemas import QuoteCreate
from fixdesk.repairs.schemas import RepairCreate, StatusChange
from fixdesk.repairs.tracking.service import tracking_url
from fixdesk.repairs.warranty import service as warranty
from fixdesk.repairs.warranty.schemas import WarrantyClaimCreate
from fixdesk.web.forms import (
    NO_PROBLEMS,
    PROBLEMS_SHOWN_ON_PAGE,
    Problem,
    form_problems,
    form_values,
    optional,
    parse,
    problem_of,
    text_values,
)
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]
RepairsUpdate = Annotated[Principal, Depends(require(REPAIRS_UPDATE))]
RepairsAssign = Annotated[Principal, Depends(require(REPAIRS_ASSIGN))]
RepairsCreate = Annotated[Principal, Depends(require(REPAIRS_CREATE))]
AttachmentsWrite = Annotated[Principal, Depends(require(ATTACHMENTS_WRITE))]
Client = Annotated[ClientInfo, Depends(request_client)]

BOARD_PAGE_SIZE = 25
# The kanban shows the newest cards of each column: a column of a busy shop stays readable, and the
# table (filtered by that status) lists them all.
KANBAN_CARDS_PER_COLUMN = 30
# The kanban's columns: the open statuses in lifecycle order, then ready for pickup. Delivered and
# cancelled repairs are finished business, found in the table.
KANBAN_COLUMNS: tuple[str, ...] = (
    *(status.value for status in lifecycle.OPEN_STATUSES),
    RepairStatus.completed.value,
)

# Each status's name on the pages and its badge colour (Tabler's "-lt" badges: tinted, readable text).
STATUS_LABELS: dict[str, str] = {
    "received": N_("Received"),
    "diagnosing": N_("Diagnosing"),
    "quoted": N_("Quoted"),
    "approved": N_("Approved"),
    "repairing": N_("Repairing"),
    "waiting_parts": N_("Waiting for parts"),
    "testing": N_("Testing"),
    "completed": N_("Ready for pickup"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
}
STATUS_COLOURS: dict[str, str] = {
    "received": "blue",
    "diagnosing": "azure",
    "quoted": "purple",
    "approved": "indigo",
    "repairing": "orange",
    "waiting_parts": "yellow",
    "testing": "cyan",
    "completed": "green",
    "delivered": "teal",
    "cancelled": "secondary",
}
PRIORITY_LABELS: dict[str, str] = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
QUOTE_STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "expired": N_("Expired"),
    "superseded": N_("Superseded"),
}
DEVICE_TYPE_LABELS: dict[str, str] = {
    "phone": N_("Phone"),
    "tablet": N_("Tablet"),
    "laptop": N_("Laptop"),
    "desktop": N_("Desktop computer"),
    "console": N_("Game console"),
    "watch": N_("Watch"),
    "other": N_("Other"),
}
ATTACHMENT_KIND_LABELS: dict[str, str] = {
    "before": N_("Before"),
    "after": N_("After"),
    "document": N_("Document"),
}


def labels() -> dict[str, Any]:
    """What every repairs template needs to name statuses, priorities and kinds (translated in the
    template with ``_()``)."""
    return {
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "priority_labels": PRIORITY_LABELS,
        "quote_status_labels": QUOTE_STATUS_LABELS,
        "attachment_kind_labels": ATTACHMENT_KIND_LABELS,
        "device_type_labels": DEVICE_TYPE_LABELS,
    }


def is_htmx(request: Request) -> bool:
    """Whether htmx (or the kanban's script, which sends the same header) made the request."""
    return request.headers.get("hx-request") == "true"


def repair_path(repair_id: uuid.UUID | str, anchor: str = "") -> str:
    return f"/app/repairs/{repair_id}" + (f"#{anchor}" if anchor else "")


def back_to(repair_id: uuid.UUID, anchor: str = "") -> RedirectResponse:
    """Post/redirect/get: back to the repair page (at ``anchor``) after a change made without htmx."""
    return RedirectResponse(repair_path(repair_id, anchor), status_code=303)


# --- the board -------------------------------------------------------------------------------------------


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_field(field, "must be a date (YYYY-MM-DD)") from None


def _uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed.for_field(field, "must be a valid id") from None


@router.get("/repairs", dependencies=[Depends(require(REPAIRS_READ))])
async def board(
    request: Request,
    session: SessionDep,
    principal: RepairsRead,
    settings: SettingsDep,
    view: Annotated[str, Query(pattern="^(table|kanban)$")] = "table",
    status: Annotated[str, Query(max_length=20)] = "",
    technician: Annotated[str, Query(max_length=40)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The repairs board: newest first, filtered by status (a status or the group ``active``),
    technician (a user id, or ``none`` for unassigned), created date range (the shop's days, inclusive)
    and a search (repair number, device, serial, IMEI, customer name/email/phone), 25 to a page; or, with
    ``view=kanban``, one column per open status (and ready for pickup) with the same filters.

    Filters the service refuses (an unknown status, a malformed date) show as the API's problem above
    the board (400) with the board empty."""
    filters_shown = {"status": status, "technician": technician, "from": date_from, "to": date_to, "q": q}
    problem: Problem | None = None
    rows: list[Repair] = []
    total = 0
    columns: dict[str, list[Repair]] = {}
    column_totals: dict[str, int] = {}
    try:
        zone = ZoneInfo(settings.shop_timezone)
        start, end = _day(date_from, "from"), _day(date_to, "to")
        technician_id = None if technician in ("", "none") else _uuid(technician, "technicianId")
        if status and status not in lifecycle.STATUS_GROUPS and status not in STATUS_LABELS:
            raise ValidationFailed.for_field("status", "unknown status")
        filters = repairs.RepairFilters(
            status=status or None,
            technician_id=technician_id,
            date_from=repairs.start_of(start, zone) if start else None,
            date_to=repairs.end_of(end, zone) if end else None,
            search=q or None,
            unassigned=technician == "none",
        )
        if view == "kanban":
            for column in KANBAN_COLUMNS:
                if (
                    status
                    and status != column
                    and not (
                        status in lifecycle.STATUS_GROUPS
                        and column in {s.value for s in lifecycle.STATUS_GROUPS[status]}
                    )
                ):
                    columns[column], column_totals[column] = [], 0
                    continue
                column_filters = dataclasses.replace(filters, status=column)
                cards, count = await repairs.list_repairs(
                    session, principal, column_filters, PageParams(page=1, page_size=KANBAN_CARDS_PER_COLUMN)
                )
                columns[column], column_totals[column] = cards, count
        else:
            rows, total = await repairs.list_repairs(
                session, principal, filters, PageParams(page=page, page_size=BOARD_PAGE_SIZE)
            )
    except PROBLEMS_SHOWN_ON_PAGE as error:
        problem = problem_of(error)
    technicians = await repairs.assignable_technicians(session)
    pages = max(1, math.ceil(total / BOARD_PAGE_SIZE))
    query = {key: value for key, value in filters_shown.items() if value}

    def link(**changes: Any) -> str:
        values = {**query, "view": view, **changes}
        values = {key: value for key, value in values.items() if value not in ("", None, 1, "table")}
        return "/app/repairs" + (f"?{urlencode(values)}" if values else "")

    return render(
        request,
        "repairs/board.html",
        {
            **labels(),
            "view": view,
            "filters": filters_shown,
            "filtered": bool(query),
            "problem": problem,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "link": link,
            "clear_link": "/app/repairs" + ("?view=kanban" if view == "kanban" else ""),
            "columns": columns,
            "column_totals": column_totals,
            "kanban_columns": KANBAN_COLUMNS,
            "transitions": {status: lifecycle.allowed_next(status) for status in STATUS_LABELS},
            "technicians": technicians,
            "status_choices": [*STATUS_LABELS],
            "can_update": principal.has(REPAIRS_UPDATE),
            "can_change": {
                repair.id: _can_change(principal, repair)
                for repair in [*rows, *(card for cards in columns.values() for card in cards)]
            },
        },
        status_code=problem.status if problem else 200,
    )


def _can_change(principal: Principal, repair: Repair) -> bool:
    """Whether the page offers ``principal`` changes of ``repair`` (the service decides again)."""
    if not principal.has(REPAIRS_UPDATE):
        return False
    try:
        ensure_can_change(principal, repair)
    except Forbidden:
        return False
    return True


# --- the repair page -------------------------------------------------------------------------------------


async def _page_context(
    session: AsyncSession, principal: Principal, settings: Settings, repair_id: uuid.UUID
) -> dict[str, Any]:
    """Everything the repair page shows, read through the services as the principal."""
    repair = await repairs.get_repair(session, principal, repair_id)
    quote_rows, _ = await quotes.list_quotes(session, principal, repair_id, PageParams(page=1, page_size=20))
    photo_rows, photo_total = await attachments.list_attachments(
        session, principal, repair_id, PageParams(page=1, page_size=100)
    )
    warranties = await warranty.warranty_view(session, principal, repair_id, settings=settings)
    can_change = _can_change(principal, repair)
    return {
        **labels(),
        "repair": repair,
        "history": sorted(
            repair.status_history, key=lambda change: (change.created_at, str(change.id)), reverse=True
        ),
        "allowed": lifecycle.allowed_next(repair.status),
        "is_open": repair.status in {s.value for s in lifecycle.OPEN_STATUSES},
        "quotes": quote_rows,
        "photos": photo_rows,
        "photo_total": photo_total,
        "warranties": warranties,
        "tracking_url": tracking_url(settings, repair.tracking_token),
        "technicians": await repairs.assignable_technicians(session) if principal.has(REPAIRS_ASSIGN) else [],
        "can_change": can_change,
        "can_assign": principal.has(REPAIRS_ASSIGN) and can_change,
        "can_upload": principal.has(ATTACHMENTS_WRITE) and can_change,
        "can_claim": principal.has(REPAIRS_CREATE),
        "today": settings.shop_today(),
        "attachment_kinds": [kind.value for kind in AttachmentKind],
        "problem": None,
        "problem_section": None,
        "values": {},
    }


async def _show(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    repair_id: uuid.UUID,
    *,
    problem: Problem | None = None,
    section: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    context = await _page_context(session, principal, settings, repair_id)
    context.update(problem=problem, problem_section=section, values=values or {})
    return render(request, "repairs/repair.html", context, status_code=problem.status if problem else 200)


async def _refused(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    repair_id: uuid.UUID,
    error: Exception,
    section: str,
    values: dict[str, str],
) -> HTMLResponse:
    """A change the service refused (400, 409): roll back whatever it began, then show the page (or, for
    htmx, the section) with the problem next to the fields."""
    await session.rollback()
    problem = problem_of(error)
    if is_htmx(request) and section == "lines":
        return await _lines(request, session, principal, settings, repair_id, problem=problem, values=values)
    if is_htmx(request):
        return render(request, "repairs/_problem.html", {"problem": problem}, status_code=problem.status)
    return await _show(
        request, session, principal, settings, repair_id, problem=problem, section=section, values=values
    )


# --- taking a device in ----------------------------------------------------------------------------------

# The intake form's text fields, named as the API's body (``POST /api/v1/repairs``).
INTAKE_FIELDS = (
    "customerId",
    "deviceType",
    "deviceBrand",
    "deviceModel",
    "serialNumber",
    "imei",
    "issueDescription",
    "cosmeticCondition",
    "priority",
    "estimatedCompletion",
    "deposit",
    "technicianId",
)
# How many customers the intake form's search offers at once: enough to tell namesakes apart.
CUSTOMER_CHOICES = 8


async def _intake_form(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    values: dict[str, Any],
    problems: Problem,
    search: str = "",
) -> HTMLResponse:
    """The intake form with ``values`` (the API's field names) and ``problems`` next to the fields. The
    chosen customer (``customerId``) is shown by name, and the customers matching ``search`` as choices; a
    technician can be picked only by staff who may assign (``repairs:assign``), as the API requires."""
    choices: list[Any] = []
    if search and principal.has(CUSTOMERS_READ):
        choices, _total = await customers_service.list_customers(
            session, PageParams(page=1, page_size=CUSTOMER_CHOICES), search=search
        )
    customer = None
    customer_id = _uuid_or_none(values.get("customerId"))
    if customer_id is not None:
        customer = await customers_access.find_customer(session, customer_id)
    can_assign = principal.has(REPAIRS_ASSIGN)
    context = {
        **labels(),
        "custom_fields": await _intake_custom_fields(session),
        "values": values,
        "problems": problems,
        "customer": customer,
        "search": search,
        "choices": choices,
        "device_types": [device_type.value for device_type in DeviceType],
        "priorities": [priority.value for priority in Priority],
        "technicians": await repairs.assignable_technicians(session) if can_assign else [],
        "can_assign": can_assign,
    }
    return render(request, "repairs/new.html", context, status_code=problems.status)


async def _intake_custom_fields(session: AsyncSession) -> list[Any]:
    """The shop's active custom fields of repairs, in their order: the intake form asks for them (the
    required ones must be filled, as the API requires)."""
    definitions, _total = await custom_fields.list_definitions(
        session, PageParams(page=1, page_size=100), entity=repairs.CUSTOM_FIELD_ENTITY
    )
    return definitions


def _custom_field_values(form: Any, definitions: list[Any]) -> dict[str, Any]:
    """The posted ``customFields.<key>`` inputs as the API's ``customFields`` values: text, dates and
    choices as typed (blank ones left out), numbers as numbers (what does not read as one is passed on
    as typed, for the service to name the field), a switch as true or false."""
    values: dict[str, Any] = {}
    for definition in definitions:
        raw = form.get(f"customFields.{definition.key}")
        if definition.field_type == "boolean":
            values[definition.key] = raw in ("on", "true", "1")
            continue
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            continue
        if definition.field_type == "number":
            try:
                number = float(text)
                values[definition.key] = int(number) if number.is_integer() and "." not in text else number
            except ValueError:
                values[definition.key] = text
        else:
            values[definition.key] = text
    return values


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.get("/repairs/new")
async def new_repair(
    request: Request,
    session: SessionDep,
    principal: RepairsCreate,
    customer_id: Annotated[str, Query(alias="customerId", max_length=40)] = "",
    search: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The intake form: the customer (given by ``?customerId=`` from the customer's page, or found by
    name, email or phone: ``?search=`` lists the matches, as the search box does while one types), the
    device, the reported issue and its condition, priority, promised date, deposit and, for staff who may
    assign, the technician. Needs ``repairs:create``."""
    values: dict[str, Any] = dict.fromkeys(INTAKE_FIELDS, "")
    values.update(customerId=customer_id, deviceType="phone", priority="normal", deposit="0.00")
    return await _intake_form(request, session, principal, values, NO_PROBLEMS, search.strip())


@router.get("/repairs/new/customers")
async def intake_customer_choices(
    request: Request,
    session: SessionDep,
    _: RepairsCreate,
    __: Annotated[Principal, Depends(require(CUSTOMERS_READ))],
    search: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The intake form's customer choices for ``search`` (name, email or phone; the customers service's
    search), at most eight, as radio buttons; htmx swaps them in as staff type."""
    rows: list[Any] = []
    if search.strip():
        rows, _total = await customers_service.list_customers(
            session, PageParams(page=1, page_size=CUSTOMER_CHOICES), search=search.strip()
        )
    return render(request, "repairs/_customer_choices.html", {"choices": rows, "search": search.strip()})


@router.post("/repairs/new")
async def create_repair(
    request: Request, session: SessionDep, principal: RepairsCreate, settings: SettingsDep
) -> Response:
    """Take the device in (the API's ``POST /repairs``: status received, number ``R-YYYY-NNNNNN``) and open
    its page. Refused input (a missing device, an invalid IMEI, an archived customer) comes back with the
    API's problems next to the fields and nothing stored. The promised date is the end of that day in the
    shop's time zone."""
    form = await request.form()
    values: dict[str, Any] = text_values(form, INTAKE_FIELDS)
    body = {key: value for key, value in values.items() if value is not None}
    definitions = await _intake_custom_fields(session)
    if definitions:
        body["customFields"] = _custom_field_values(form, definitions)
        values.update(
            {f"customFields.{key}": value for key, value in form.items() if key.startswith("customFields.")}
        )
    if body.get("estimatedCompletion"):
        try:
            day = date.fromisoformat(body["estimatedCompletion"])
            body["estimatedCompletion"] = repairs.end_of(day, ZoneInfo(settings.shop_timezone)).isoformat()
        except ValueError:
            pass  # the input model names the field
    try:
        repair = await repairs.create_repair(session, principal, parse(RepairCreate, body), settings=settings)
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        shown = {key: ("" if value is None else value) for key, value in values.items()}
        return await _intake_form(request, session, principal, shown, form_problems(error))
    return RedirectResponse(repair_path(repair.id), status_code=303)


@router.get("/repairs/{repair_id}", dependencies=[Depends(require(REPAIRS_READ))])
async def repair_page(
    request: Request, repair_id: uuid.UUID, session: SessionDep, principal: RepairsRead, settings: SettingsDep
) -> HTMLResponse:
    """The repair page: status and its timeline, technician, lines and totals, quotes, photos, warranty,
    the tracking link and the receipt. 404 for a repair that does not exist."""
    return await _show(request, session, principal, settings, repair_id)


@router.post("/repairs/{repair_id}/status", dependencies=[Depends(require(REPAIRS_UPDATE))])
async def change_status(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Move the repair to ``status`` with a note: ``note_for`` ``internal`` (staff only) or ``customer``
    (in the status message and the portal; the customer is notified unless ``notify`` is unchecked).

    409 (shown on the page) for a status the lifecycle does not allow from the current one; 403 for a
    technician's change to a repair not assigned to them."""
    values = await form_values(request)
    note = optional(values.get("note"))
    for_customer = values.get("note_for") == "customer"
    try:
        change = parse(
            StatusChange,
            {
                "status": values.get("status", ""),
                "notes": None if for_customer else note,
                "customer_note": note if for_customer else None,
                "notify_customer": values.get("notify") == "on",
            },
        )
        await repairs.change_status(session, principal, repair_id, change)
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        return await _refused(request, session, principal, settings, repair_id, error, "status", values)
    if is_htmx(request):
        return Response(status_code=204)
    return back_to(repair_id, "status")


@router.post("/repairs/{repair_id}/assign", dependencies=[Depends(require(REPAIRS_ASSIGN))])
async def assign(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsAssign,
    settings: SettingsDep,
) -> Response:
    """Assign the technician ``technician_id`` (blank unassigns); who may is the API's rule
    (``repairs:assign``)."""
    values = await form_values(request)
    try:
        technician_id = _uuid(values.get("technician_id"), "technicianId")
        await repairs.assign_technician(session, principal, repair_id, technician_id)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, repair_id, error, "technician", values)
    return back_to(repair_id, "technician")


# --- line items and labour (htmx partial with the live totals) -------------------------------------------


async def _lines(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    repair_id: uuid.UUID,
    *,
    problem: Problem | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    repair = await repairs.get_repair(session, principal, repair_id)
    context = {
        **labels(),
        "repair": repair,
        "can_change": _can_change(principal, repair),
        "is_open": repair.status in {s.value for s in lifecycle.OPEN_STATUSES},
        "problem": problem,
        "problem_section": "lines",
        "values": values or {},
    }
    return render(request, "repairs/_lines.html", context, status_code=problem.status if problem else 200)


@router.post("/repairs/{repair_id}/items", dependencies=[Depends(require(REPAIRS_UPDATE))])
async def add_item(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Add a part line (description, quantity, unit price, discount) and answer the lines with their new
    totals (htmx) or go back to the page."""
    values = await form_values(request)
    try:
        item = parse(
            RepairItemCreate,
            {
                "description": optional(values.get("description")),
                "quantity": values.get("quantity") or "1",
                "unit_price": optional(values.get("unit_price")),
                "discount": values.get("discount") or "0",
            },
        )
        await line_items.add_item(session, principal, repair_id, item)
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        return await _refused(request, session, principal, settings, repair_id, error, "lines", values)
    if is_htmx(request):
        return await _lines(request, session, principal, settings, repair_id)
    return back_to(repair_id, "lines")


@router.post("/repairs/{repair_id}/labour", dependencies=[Depends(require(REPAIRS_UPDATE))])
async def add_labour(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Add a labour line (description, hours, hourly rate); answers like :func:`add_item`."""
    values = await form_values(request)
    try:
        labour = parse(
            RepairLabourCreate,
            {
                "description": values.get("labour_description", ""),
                "hours": optional(values.get("hours")),
                "rate": optional(values.get("rate")),
            },
        )
        await line_items.add_labour(session, principal, repair_id, labour)
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        return await _refused(request, session, principal, settings, repair_id, error, "lines", values)
    if is_htmx(request):
        return await _lines(request, session, principal, settings, repair_id)
    return back_to(repair_id, "lines")


@router.post("/repairs/{repair_id}/items/{item_id}/delete", dependencies=[Depends(require(REPAIRS_UPDATE))])
async def delete_item(
    request: Request,
    repair_id: uuid.UUID,
    item_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Remove a part line (after the page's confirmation); answers like :func:`add_item`."""
    try:
        await line_items.delete_item(session, principal, repair_id, item_id)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, repair_id, error, "lines", {})
    if is_htmx(request):
        return await _lines(request, session, principal, settings, repair_id)
    return back_to(repair_id, "lines")


@router.post(
    "/repairs/{repair_id}/labour/{labour_id}/delete", dependencies=[Depends(require(REPAIRS_UPDATE))]
)
async def delete_labour(
    request: Request,
    repair_id: uuid.UUID,
    labour_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Remove a labour line (after the page's confirmation); answers like :func:`add_item`."""
    try:
        await line_items.delete_labour(session, principal, repair_id, labour_id)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, repair_id, error, "lines", {})
    if is_htmx(request):
        return await _lines(request, session, principal, settings, repair_id)
    return back_to(repair_id, "lines")


# --- quotes ----------------------------------------------------------------------------------------------


@router.post("/repairs/{repair_id}/quotes", dependencies=[Depends(require(REPAIRS_UPDATE))])
async def create_quote(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Build a quote from the repair's current lines (or the line typed in the form), valid until
    ``valid_until`` (default today + 14 days), with notes for the customer; ``send`` sends it at once."""
    values = await form_values(request)
    try:
        repair = await repairs.get_repair(session, principal, repair_id)
        items: list[dict[str, Any]] = [
            {
                "description": item.description,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "discount": item.discount,
            }
            for item in repair.items
        ]
        labour: list[dict[str, Any]] = [
            {"description": line.description, "hours": line.hours, "rate": line.rate}
            for line in repair.labour
        ]
        if values.get("description") or values.get("unit_price"):
            items.append(
                {
                    "description": optional(values.get("description")),
                    "quantity": values.get("quantity") or "1",
                    "unit_price": optional(values.get("unit_price")),
                }
            )
        quote = parse(
            QuoteCreate,
            {
                "items": items,
                "labour": labour,
                "valid_until": optional(values.get("valid_until")),
                "notes": optional(values.get("notes")),
                "send": values.get("send") == "on",
            },
        )
        await quotes.create_quote(session, principal, repair_id, quote, settings=settings)
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        return await _refused(request, session, principal, settings, repair_id, error, "quotes", values)
    return back_to(repair_id, "quotes")


@router.post("/repairs/{repair_id}/quotes/{quote_id}/send", dependencies=[Depends(require(REPAIRS_UPDATE))])
async def send_quote(
    request: Request,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
) -> Response:
    """Send a draft quote to the customer (the repair becomes ``quoted``)."""
    try:
        await quotes.send_quote(session, principal, repair_id, quote_id, settings=settings)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, repair_id, error, "quotes", {})
    return back_to(repair_id, "quotes")


# --- photos ----------------------------------------------------------------------------------------------


@router.get(
    "/repairs/{repair_id}/attachments/{attachment_id}/file", dependencies=[Depends(require(REPAIRS_READ))]
)
async def attachment_file(
    request: Request,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsRead,
    storage: StorageDep,
) -> Response:
    """A photo or document of the repair for the page's gallery and links: the same bytes and headers as
    the API's ``GET /api/v1/repairs/{id}/attachments/{id}/download``, on the page's session (the API takes
    bearer tokens only)."""
    download = await attachments.download(
        session,
        principal,
        repair_id,
        attachment_id,
        storage=storage,
        if_none_match=request.headers.get("if-none-match"),
    )
    return file_response(download)


@router.post("/repairs/{repair_id}/attachments", dependencies=[Depends(require(ATTACHMENTS_WRITE))])
async def upload_photo(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: AttachmentsWrite,
    settings: SettingsDep,
    storage: StorageDep,
    client: Client,
) -> Response:
    """Upload a photo or document (multipart: ``file``, ``kind`` before|after|document, ``is_public``,
    ``description``); the drop zone's script posts the same form. 400 for an empty or unaccepted file,
    413 above the upload limit, both shown on the page."""
    form = await request.form()
    values = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise ValidationFailed.for_field("file", "choose a file to upload")
        kind = values.get("kind", "")
        if kind not in {k.value for k in AttachmentKind}:
            raise ValidationFailed.for_field("kind", "choose before, after or document")
        upload = AttachmentUpload(
            file=file.file,
            file_name=require_plain_text(file.filename, "file", label="the file name"),
            kind=AttachmentKind(kind),
            is_public=values.get("is_public") == "on",
            description=optional(values.get("description", "").strip()),
        )
        await attachments.add_attachment(
            session, principal, repair_id, upload, storage=storage, settings=settings, client=client
        )
    except (FileTooLarge, *PROBLEMS_SHOWN_ON_PAGE) as error:
        return await _refused(request, session, principal, settings, repair_id, error, "photos", values)
    return back_to(repair_id, "photos")


@router.post(
    "/repairs/{repair_id}/attachments/{attachment_id}/visibility",
    dependencies=[Depends(require(ATTACHMENTS_WRITE))],
)
async def photo_visibility(
    request: Request,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: AttachmentsWrite,
    settings: SettingsDep,
    client: Client,
) -> Response:
    """Show a photo to the customer in the portal (``public=on``) or hide it."""
    values = await form_values(request)
    try:
        await attachments.update_attachment(
            session,
            principal,
            repair_id,
            attachment_id,
            AttachmentUpdate(is_public=values.get("public") == "on"),
            client=client,
        )
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, repair_id, error, "photos", values)
    return back_to(repair_id, "photos")


@router.post(
    "/repairs/{repair_id}/attachments/{attachment_id}/delete",
    dependencies=[Depends(require(ATTACHMENTS_WRITE))],
)
async def delete_photo(
    request: Request,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: AttachmentsWrite,
    settings: SettingsDep,
    client: Client,
) -> Response:
    """Delete a photo or document (after the page's confirmation)."""
    try:
        await attachments.delete_attachment(session, principal, repair_id, attachment_id, client=client)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, repair_id, error, "photos", {})
    return back_to(repair_id, "photos")


# --- warranty --------------------------------------------------------------------------------------------


@router.post("/repairs/{repair_id}/warranty/claims", dependencies=[Depends(require(REPAIRS_CREATE))])
async def claim(
    request: Request,
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsCreate,
    settings: SettingsDep,
) -> Response:
    """Take a warranty claim (``warranty_id``, ``issue_description``): a new repair at no charge opens,
    and the page of that repair is shown."""
    values = await form_values(request)
    try:
        data = parse(
            WarrantyClaimCreate,
            {
                "warranty_id": values.get("warranty_id", ""),
                "issue_description": values.get("issue_description", ""),
            },
        )
        accepted = await warranty.claim_warranty(session, principal, repair_id, data, settings=settings)
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        return await _refused(request, session, principal, settings, repair_id, error, "warranty", values)
    return RedirectResponse(repair_path(accepted.claim_repair.id), status_code=303)


# --- the intake receipt ----------------------------------------------------------------------------------


@router.get("/repairs/{repair_id}/receipt", dependencies=[Depends(require(REPAIRS_READ))])
async def receipt(
    request: Request, repair_id: uuid.UUID, session: SessionDep, principal: RepairsRead, settings: SettingsDep
) -> HTMLResponse:
    """The intake receipt to print and hand over: shop, customer, device, the reported issue, condition,
    deposit, the tracking link, and a line to sign."""
    repair = await repairs.get_repair(session, principal, repair_id)
    return render(
        request,
        "repairs/receipt.html",
        {**labels(), "repair": repair, "tracking_url": tracking_url(settings, repair.tracking_token)},
    )


pages = WebPages(
    name="repairs",
    staff=router,
    navigation=(NavItem(N_("Repairs"), "/app/repairs", "tool", permission=REPAIRS_READ, order=20),),
)
