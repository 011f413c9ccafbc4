"""Work order endpoints (``/api/v1/work-orders``, seed 001)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from fixdesk.config import Settings
from fixdesk.customers.schemas import CustomerBrief
from fixdesk.fieldservice import examples, lifecycle
from fixdesk.fieldservice.locations.schemas import LocationRead
from fixdesk.fieldservice.models import WorkOrder, WorkOrderStatus
from fixdesk.fieldservice.permissions import (
    WORK_ORDERS_ASSIGN,
    WORK_ORDERS_CREATE,
    WORK_ORDERS_READ,
    WORK_ORDERS_UPDATE,
)
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.fieldservice.work_order_attachments.schemas import WorkOrderAttachmentRead
from fixdesk.fieldservice.work_orders import service
from fixdesk.fieldservice.work_orders.schemas import (
    TechnicianBrief,
    WorkOrderAssign,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderItemRead,
    WorkOrderLabourRead,
    WorkOrderRead,
    WorkOrderStatusChange,
    WorkOrderStatusHistoryRead,
    WorkOrderUpdate,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["work orders"])

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
WorkOrdersCreate = Annotated[Principal, Depends(require(WORK_ORDERS_CREATE))]
WorkOrdersUpdate = Annotated[Principal, Depends(require(WORK_ORDERS_UPDATE))]
WorkOrdersAssign = Annotated[Principal, Depends(require(WORK_ORDERS_ASSIGN))]


def work_order_read(work_order: WorkOrder, settings: Settings) -> WorkOrderRead:
    """The list view of a work order loaded with customer, location and technicians."""
    technicians = [assignment.technician for assignment in work_order.assignments]
    return WorkOrderRead(
        id=work_order.id,
        work_order_number=work_order.work_order_number,
        customer_id=work_order.customer_id,
        customer=CustomerBrief.model_validate(work_order.customer),
        location_id=work_order.location_id,
        location=LocationRead.model_validate(work_order.location) if work_order.location else None,
        equipment_id=work_order.equipment_id,
        status=work_order.status,
        priority=work_order.priority,
        service_type=work_order.service_type,
        required_skills=work_order.required_skills,
        scheduled_date=work_order.scheduled_date,
        time_window_start=work_order.time_window_start,
        time_window_end=work_order.time_window_end,
        estimated_duration_minutes=work_order.estimated_duration_minutes,
        technician_ids=[technician.id for technician in technicians],
        assigned_technician=technicians[0].id if technicians else None,
        technicians=[
            TechnicianBrief(id=t.id, first_name=t.user.first_name, last_name=t.user.last_name)
            for t in technicians
        ],
        notes=work_order.notes,
        checklist=work_order.checklist,
        time_on_site_minutes=work_order.time_on_site_minutes,
        sign_off_name=work_order.sign_off_name,
        completion_notes=work_order.completion_notes,
        subtotal=work_order.subtotal,
        tax_rate=work_order.tax_rate,
        tax_amount=work_order.tax_amount,
        total=work_order.total,
        currency=settings.currency,
        started_at=work_order.started_at,
        completed_at=work_order.completed_at,
        cancelled_at=work_order.cancelled_at,
        created_at=work_order.created_at,
        updated_at=work_order.updated_at,
    )


def work_order_detail(work_order: WorkOrder, settings: Settings) -> WorkOrderDetail:
    read = work_order_read(work_order, settings)
    return WorkOrderDetail(
        **read.model_dump(exclude={"estimated_duration_hours"}),
        items=[WorkOrderItemRead.model_validate(row) for row in work_order.items],
        labour=[WorkOrderLabourRead.model_validate(row) for row in work_order.labour],
        status_history=[WorkOrderStatusHistoryRead.model_validate(row) for row in work_order.status_history],
        photos=[WorkOrderAttachmentRead.model_validate(row) for row in work_order.attachments],
        allowed_transitions=lifecycle.allowed_next(work_order.status),
    )


@router.get(
    "/work-orders",
    operation_id="work-orders-list",
    response_model=Page[WorkOrderRead],
    responses=response_example(200, examples.WORK_ORDER_PAGE_RESPONSE),
)
async def list_work_orders(
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    status_filter: Annotated[WorkOrderStatus | None, Query(alias="status")] = None,
    scheduled_date: Annotated[CalendarDay | None, Query(alias="scheduledDate", description="One day")] = None,
    scheduled_date_snake: Annotated[
        date | None, Query(alias="scheduled_date", include_in_schema=False)
    ] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    customer_id_snake: Annotated[
        uuid.UUID | None, Query(alias="customer_id", include_in_schema=False)
    ] = None,
    technician_id: Annotated[
        uuid.UUID | None, Query(alias="technicianId", description="Assigned technician")
    ] = None,
    technician_id_snake: Annotated[
        uuid.UUID | None, Query(alias="technician_id", include_in_schema=False)
    ] = None,
    date_from: Annotated[
        CalendarDay | None, Query(alias="dateFrom", description="Scheduled on/after")
    ] = None,
    date_to: Annotated[CalendarDay | None, Query(alias="dateTo", description="Scheduled on/before")] = None,
):
    """List work orders by scheduled date and window (a technician sees only their own)."""
    filters = service.WorkOrderFilters(
        status=status_filter.value if status_filter else None,
        scheduled_date=scheduled_date or scheduled_date_snake,
        customer_id=customer_id or customer_id_snake,
        technician_id=technician_id or technician_id_snake,
        date_from=date_from,
        date_to=date_to,
    )
    rows, total = await service.list_work_orders(session, principal, filters, params)
    return Page[WorkOrderRead].build([work_order_read(row, settings) for row in rows], total, params)


@router.post(
    "/work-orders",
    operation_id="work-orders-create",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkOrderDetail,
    responses=response_example(201, examples.WORK_ORDER_RESPONSE),
    openapi_extra=request_example(examples.WORK_ORDER_CREATE_REQUEST),
)
async def create_work_order(
    body: WorkOrderCreate, session: SessionDep, principal: WorkOrdersCreate, settings: SettingsDep
):
    """Open a work order (number WO-YYYY-NNNNNN; scheduled when it has a date, else draft)."""
    work_order = await service.create_work_order(session, principal, body, settings=settings)
    return work_order_detail(work_order, settings)


@router.get(
    "/work-orders/{work_order_id}",
    operation_id="work-orders-get",
    response_model=WorkOrderDetail,
    responses=response_example(200, examples.WORK_ORDER_RESPONSE),
)
async def get_work_order(
    work_order_id: Annotated[uuid.UUID, Path(examples=[examples.WORK_ORDER_RESPONSE["id"]])],
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
):
    """One work order with lines, totals, technicians and status history."""
    return work_order_detail(await service.get_work_order(session, principal, work_order_id), settings)


@router.patch(
    "/work-orders/{work_order_id}", operation_id="work-orders-update", response_model=WorkOrderDetail
)
async def update_work_order(
    work_order_id: uuid.UUID,
    body: WorkOrderUpdate,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
):
    """Change an open work order's details, window, checklist or lines."""
    return work_order_detail(
        await service.update_work_order(session, principal, work_order_id, body, settings=settings), settings
    )


@router.put(
    "/work-orders/{work_order_id}/status",
    operation_id="work-orders-update-status",
    response_model=WorkOrderDetail,
    openapi_extra=request_example(examples.WORK_ORDER_STATUS_REQUEST),
)
async def change_status(
    work_order_id: uuid.UUID,
    body: WorkOrderStatusChange,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
):
    """Move a work order to its next status (409 names the allowed ones)."""
    return work_order_detail(
        await service.change_status(session, principal, work_order_id, body, settings=settings), settings
    )


@router.put(
    "/work-orders/{work_order_id}/technicians",
    operation_id="work-orders-assign",
    response_model=WorkOrderDetail,
)
async def assign_technicians(
    work_order_id: uuid.UUID,
    body: WorkOrderAssign,
    session: SessionDep,
    principal: WorkOrdersAssign,
    settings: SettingsDep,
):
    """Set the technicians of a work order, lead first (an empty list unassigns)."""
    work_order = await service.assign_technicians(
        session, principal, work_order_id, body.technician_ids, settings=settings, override=body.override
    )
    return work_order_detail(work_order, settings)


@router.delete(
    "/work-orders/{work_order_id}", operation_id="work-orders-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_work_order(
    work_order_id: uuid.UUID, session: SessionDep, principal: WorkOrdersCreate
) -> None:
    """Delete a draft work order (409 for any other status: cancel it instead)."""
    await service.delete_work_order(session, principal, work_order_id)
