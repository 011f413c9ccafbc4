"""Repair endpoints for staff (``/api/v1/repairs``) and customers in the portal (``/api/v1/customer/…``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import TypeAdapter
from starlette.types import Scope

from fixdesk.config import Settings
from fixdesk.customfields.filters import CustomFieldFilters
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.direct import DirectReader
from fixdesk.platform.direct_routes import get_directly
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, require
from fixdesk.platform.schemas import DayOrMoment
from fixdesk.repairs import examples, lifecycle, reads, service
from fixdesk.repairs.items.schemas import RepairItemRead, RepairLabourRead
from fixdesk.repairs.models import Priority, Repair
from fixdesk.repairs.permissions import REPAIRS_ASSIGN, REPAIRS_CREATE, REPAIRS_READ, REPAIRS_UPDATE
from fixdesk.repairs.schemas import (
    AssignRequest,
    DashboardStats,
    RepairCreate,
    RepairDetail,
    RepairRead,
    RepairUpdate,
    StatusChange,
    StatusHistoryRead,
)
from fixdesk.repairs.tracking.schemas import ReviewRead
from fixdesk.repairs.tracking.service import tracking_url

router = APIRouter(tags=["repairs"])
portal_router = APIRouter(tags=["customer portal"])

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]
RepairsCreate = Annotated[Principal, Depends(require(REPAIRS_CREATE))]
RepairsUpdate = Annotated[Principal, Depends(require(REPAIRS_UPDATE))]
RepairsAssign = Annotated[Principal, Depends(require(REPAIRS_ASSIGN))]

StatusFilter = Literal[
    "received",
    "diagnosing",
    "quoted",
    "approved",
    "repairing",
    "waiting_parts",
    "testing",
    "completed",
    "delivered",
    "cancelled",
    "active",
    "pending",
    "in_progress",
    "ready_pickup",
]
StatusGroup = Literal["all", "active", "completed", "cancelled"]


def _detail(
    repair: Repair | reads.RepairView, settings: Settings, *, for_customer: bool = False
) -> RepairDetail:
    """The detail view. Customers get it without the custom fields (the shop's own notes), without what
    the parts cost the shop, and with only the customer notes of the status history (the internal
    ``notes`` are null)."""
    if isinstance(repair, reads.RepairView):
        # Read from rows (the GETs, staff and portal): one validation of plain values.
        fields, items, history = repair.fields, repair.items, repair.status_history
        if for_customer:
            fields = {**fields, "custom_fields": {}}
            items = [{**item, "unit_cost": None} for item in items]
            history = [{**change, "notes": None} for change in history]
        return RepairDetail.model_validate(
            {
                **fields,
                "items": items,
                "labour": repair.labour,
                "currency": settings.currency,
                "tracking_url": tracking_url(settings, repair.tracking_token),
                "review": repair.review,
                "status_history": history,
                "allowed_transitions": lifecycle.allowed_next(repair.status),
            }
        )
    # A repair just changed, as the ORM loaded it.
    read = RepairRead.model_validate(repair)
    items = [RepairItemRead.model_validate(item) for item in repair.items]
    history = [StatusHistoryRead.model_validate(change) for change in repair.status_history]
    if for_customer:
        _for_customer(read)
        for item in items:
            item.unit_cost = None
        for change in history:
            change.notes = None
    return RepairDetail(
        **read.__dict__,
        items=items,
        labour=[RepairLabourRead.model_validate(line) for line in repair.labour],
        currency=settings.currency,
        tracking_url=tracking_url(settings, repair.tracking_token),
        review=ReviewRead.model_validate(repair.review) if repair.review is not None else None,
        status_history=history,
        allowed_transitions=lifecycle.allowed_next(repair.status),
    )


def _for_customer(read: RepairRead) -> RepairRead:
    """A repair as its customer sees it: without the custom fields (the shop's own notes)."""
    read.custom_fields = {}
    return read


_REPAIR_ROWS = TypeAdapter(list[RepairRead])
"""A page's rows validated in one call (one pass in pydantic's core, not one call per row)."""


async def _first_page(database: DirectReader, principal: Principal, scope: Scope) -> Page[RepairRead] | None:
    """``GET /repairs`` without a query string, answered directly (:mod:`fixdesk.platform.direct_routes`):
    the first page of the unfiltered list, as :func:`list_repairs` gives it."""
    params = PageParams()
    rows, total = await reads.unfiltered_page(database, principal, params)
    return Page[RepairRead].build(_REPAIR_ROWS.validate_python(rows), total, params)


@get_directly(
    router,
    "/repairs",
    answer=_first_page,
    permission=REPAIRS_READ,
    operation_id="repairs-list",
    response_model=Page[RepairRead],
    responses=response_example(200, examples.REPAIR_PAGE_RESPONSE),
)
async def list_repairs(
    session: SessionDep,
    principal: RepairsRead,
    params: Annotated[PageParams, Depends(page_params)],
    custom_field_filters: CustomFieldFilters,
    status_filter: Annotated[
        StatusFilter | None, Query(alias="status", description="A status, or the group 'active'")
    ] = None,
    status_group: Annotated[StatusGroup | None, Query(alias="statusGroup")] = None,
    technician_id: Annotated[uuid.UUID | None, Query(alias="technicianId")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    priority: Priority | None = None,
    date_from: Annotated[DayOrMoment | None, Query(alias="dateFrom", description="Created on/after")] = None,
    date_to: Annotated[DayOrMoment | None, Query(alias="dateTo", description="Created on/before")] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Repair number, device, customer name or email")
    ] = None,
):
    """List repairs, newest first, with customer and technician (filter by custom fields with
    ``?customFields.<key>=<value>``)."""
    filters = service.RepairFilters(
        status=status_filter,
        group=status_group if status_group != "all" else None,
        technician_id=technician_id,
        customer_id=customer_id,
        priority=priority.value if priority else None,
        date_from=date_from,
        date_to=date_to,
        search=search,
        custom_fields=custom_field_filters,
    )
    rows, total = await reads.repair_page(session, principal, filters, params)
    return Page[RepairRead].build(_REPAIR_ROWS.validate_python(rows), total, params)


@router.post(
    "/repairs",
    operation_id="repairs-create",
    status_code=status.HTTP_201_CREATED,
    response_model=RepairDetail,
    responses=response_example(201, examples.REPAIR_CREATED_RESPONSE),
    openapi_extra=request_example(examples.REPAIR_CREATE_REQUEST),
)
async def create_repair(
    body: RepairCreate, session: SessionDep, principal: RepairsCreate, settings: SettingsDep
):
    """Take a device in for repair (status received, number R-YYYY-NNNNNN), with its line items."""
    return _detail(await service.create_repair(session, principal, body, settings=settings), settings)


async def _direct_detail(database: DirectReader, principal: Principal, scope: Scope) -> RepairDetail | None:
    """``GET /repairs/{repair_id}`` answered directly (:mod:`fixdesk.platform.direct_routes`), as
    :func:`get_repair` answers it; an id that is not a hyphenated UUID goes to the endpoint (its 400)."""
    text = scope["path_params"]["repair_id"]
    try:
        repair_id = uuid.UUID(text)
    except ValueError:
        return None
    if str(repair_id) != text.lower():  # braces, a URN, hyphens elsewhere: the endpoint's rules
        return None
    settings: Settings = scope["app"].state.settings
    return _detail(await reads.repair_detail(database, principal, repair_id), settings)


@get_directly(
    router,
    "/repairs/{repair_id}",
    answer=_direct_detail,
    permission=REPAIRS_READ,
    operation_id="repairs-get",
    response_model=RepairDetail,
    responses=response_example(200, examples.REPAIR_DETAIL_RESPONSE),
)
async def get_repair(
    repair_id: Annotated[uuid.UUID, Path(examples=[examples.REPAIR_DETAIL_RESPONSE["id"]])],
    session: SessionDep,
    principal: RepairsRead,
    settings: SettingsDep,
):
    """One repair with line items, totals, status history, customer and technician."""
    return _detail(await reads.repair_detail(session, principal, repair_id), settings)


@router.patch("/repairs/{repair_id}", operation_id="repairs-update", response_model=RepairDetail)
async def update_repair(
    repair_id: uuid.UUID,
    body: RepairUpdate,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Change device or ticket details."""
    return _detail(await service.update_repair(session, principal, repair_id, body), settings)


@router.put(
    "/repairs/{repair_id}/status",
    operation_id="repairs-update-status",
    response_model=RepairDetail,
    responses=response_example(200, examples.REPAIR_DETAIL_RESPONSE),
    openapi_extra=request_example(examples.STATUS_CHANGE_REQUEST),
)
async def change_status(
    repair_id: uuid.UUID,
    body: StatusChange,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Move a repair to its next status (409 names the allowed ones)."""
    repair = await service.change_status(session, principal, repair_id, body)
    return _detail(repair, settings)


@router.post("/repairs/{repair_id}/assign", operation_id="repairs-assign", response_model=RepairDetail)
async def assign(
    repair_id: uuid.UUID,
    body: AssignRequest,
    session: SessionDep,
    principal: RepairsAssign,
    settings: SettingsDep,
):
    """Assign a technician to a repair (null unassigns)."""
    repair = await service.assign_technician(session, principal, repair_id, body.technician_id)
    return _detail(repair, settings)


@portal_router.get("/customer/repairs", operation_id="portal-repairs-list", response_model=Page[RepairRead])
async def list_my_repairs(
    session: SessionDep,
    principal: CustomerPortal,
    params: Annotated[PageParams, Depends(page_params)],
    status_group: Annotated[StatusGroup, Query(alias="status")] = "all",
    sort_by: Annotated[Literal["createdAt", "updatedAt", "status"], Query(alias="sortBy")] = "createdAt",
    sort_order: Annotated[Literal["asc", "desc"], Query(alias="sortOrder")] = "desc",
):
    """The signed-in customer's repairs (status all|active|completed|cancelled)."""
    rows, total = await service.list_customer_repairs(
        session, principal, params, group=status_group, sort_by=sort_by, sort_order=sort_order
    )
    return Page[RepairRead].build([_for_customer(RepairRead.model_validate(r)) for r in rows], total, params)


@portal_router.get(
    "/customer/repairs/{repair_id}", operation_id="portal-repairs-get", response_model=RepairDetail
)
async def get_my_repair(
    repair_id: uuid.UUID, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
):
    """One of the signed-in customer's repairs with its lines, totals and history (another customer's id
    answers 404)."""
    return _detail(await reads.repair_detail(session, principal, repair_id), settings, for_customer=True)


@portal_router.get(
    "/customer/dashboard/stats", operation_id="portal-dashboard-stats", response_model=DashboardStats
)
async def dashboard_stats(session: SessionDep, principal: CustomerPortal):
    """Totals of the signed-in customer's repairs."""
    return DashboardStats(**await service.customer_dashboard_stats(session, principal))
