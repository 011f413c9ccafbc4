"""The schedule: the work orders of a range of days as calendar events (seed 001's ``GET /schedule``).

Scoping: :func:`fixdesk.fieldservice.access.visible_work_orders` (a technician sees only the work orders
assigned to them, and of those only their own events, not their co-workers').

Colours (``colorBy=status``, the default) follow the status:

======================  =========  ==========
status                  colour     name
======================  =========  ==========
``draft``               #9CA3AF    grey
``scheduled``           #3B82F6    blue (seed 001's example)
``in_progress``         #F59E0B    amber
``completed``           #10B981    green
======================  =========  ==========

With ``colorBy=technician`` each technician gets :data:`TECHNICIAN_PALETTE`'s colour at their rank among
all technicians by id (ids are UUIDv7, so by when the profile was created: a technician keeps their colour
as others join), repeating after twelve; an unassigned job is :data:`UNASSIGNED_COLOR`.
Cancelled work orders are not on the schedule.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.fieldservice.access import is_field_technician, own_technician_ids, visible_work_orders
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderStatus, WorkOrderTechnician
from fixdesk.fieldservice.schedule.schemas import ScheduleEvent
from fixdesk.fieldservice.work_orders.booking import Booking, booked_interval
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.permissions import Principal

STATUS_COLORS: dict[str, str] = {
    WorkOrderStatus.draft.value: "#9CA3AF",
    WorkOrderStatus.scheduled.value: "#3B82F6",
    WorkOrderStatus.in_progress.value: "#F59E0B",
    WorkOrderStatus.completed.value: "#10B981",
    WorkOrderStatus.cancelled.value: "#EF4444",
}
TECHNICIAN_PALETTE: tuple[str, ...] = (
    "#3B82F6",  # blue
    "#EF4444",  # red
    "#10B981",  # green
    "#F59E0B",  # amber
    "#8B5CF6",  # violet
    "#EC4899",  # pink
    "#14B8A6",  # teal
    "#F97316",  # orange
    "#6366F1",  # indigo
    "#84CC16",  # lime
    "#06B6D4",  # cyan
    "#A855F7",  # purple
)
UNASSIGNED_COLOR = "#9CA3AF"
MAX_DAYS = 92
"""The longest range one request may ask for (a quarter), so an answer stays a calendar's worth."""


class ColorBy(StrEnum):
    status = "status"
    technician = "technician"


async def list_events(
    session: AsyncSession,
    principal: Principal,
    start: date,
    end: date,
    *,
    settings: Settings,
    technician_id: uuid.UUID | None = None,
    color_by: ColorBy = ColorBy.status,
) -> list[ScheduleEvent]:
    """The events of the work orders scheduled from ``start`` to ``end`` (inclusive, shop calendar),
    optionally of one technician, ordered by start, technician and number. Three queries (four with
    ``colorBy=technician``) whatever the range.

    Raises :class:`ValidationFailed` (400, ``end``) for an end before the start or a range longer than
    :data:`MAX_DAYS` days."""
    if end < start:
        raise ValidationFailed.for_field("end", "must not be before start")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed.for_field("end", f"the range may span at most {MAX_DAYS} days")
    zone = ZoneInfo(settings.shop_timezone)
    statement = (
        visible_work_orders(principal)
        .where(
            WorkOrder.scheduled_date >= start,
            WorkOrder.scheduled_date <= end,
            WorkOrder.status != WorkOrderStatus.cancelled.value,
        )
        .options(
            joinedload(WorkOrder.customer).load_only(Customer.first_name, Customer.last_name),
            joinedload(WorkOrder.location),
            selectinload(WorkOrder.assignments)
            .joinedload(WorkOrderTechnician.technician)
            .joinedload(Technician.user),
        )
        .order_by(WorkOrder.scheduled_date, WorkOrder.time_window_start, WorkOrder.work_order_number)
    )
    only: set[uuid.UUID] | None = None
    if technician_id is not None:
        statement = statement.where(
            WorkOrder.id.in_(
                select(WorkOrderTechnician.work_order_id).where(
                    WorkOrderTechnician.technician_id == technician_id
                )
            )
        )
        only = {technician_id}
    if is_field_technician(principal):
        mine = set((await session.execute(own_technician_ids(principal))).scalars())
        only = mine if only is None else only & mine
    work_orders = (await session.execute(statement)).unique().scalars().all()
    ranks: dict[uuid.UUID, int] = {}
    if color_by == ColorBy.technician:
        ids = (await session.execute(select(Technician.id).order_by(Technician.id))).scalars()
        ranks = {identifier: rank for rank, identifier in enumerate(ids)}

    events: list[ScheduleEvent] = []
    for work_order in work_orders:
        booking = Booking.of(work_order)
        assert booking is not None  # selected by its date
        if booking.has_window:
            local_start, local_end = booked_interval(booking, None)
        else:
            local_start = datetime.combine(booking.scheduled_date, time())
            local_end = local_start + timedelta(days=1)
        technicians = [assignment.technician for assignment in work_order.assignments]
        if only is not None:
            technicians = [technician for technician in technicians if technician.id in only]
        customer = work_order.customer
        for technician in technicians or [None]:
            if technician is None and only is not None:
                continue
            if color_by == ColorBy.technician:
                color = (
                    TECHNICIAN_PALETTE[ranks.get(technician.id, 0) % len(TECHNICIAN_PALETTE)]
                    if technician is not None
                    else UNASSIGNED_COLOR
                )
            else:
                color = STATUS_COLORS[work_order.status]
            events.append(
                ScheduleEvent(
                    id=f"{work_order.id}:{technician.id}" if technician else str(work_order.id),
                    title=f"{work_order.service_type} - {customer.first_name} {customer.last_name}".strip(),
                    start=local_start.replace(tzinfo=zone),
                    end=local_end.replace(tzinfo=zone),
                    all_day=not booking.has_window,
                    color=color,
                    work_order_id=work_order.id,
                    work_order_number=work_order.work_order_number,
                    technician_id=technician.id if technician else None,
                    technician_name=(
                        f"{technician.user.first_name} {technician.user.last_name}" if technician else None
                    ),
                    status=work_order.status,
                    priority=work_order.priority,
                    service_type=work_order.service_type,
                    scheduled_date=work_order.scheduled_date,
                    customer_id=work_order.customer_id,
                    customer=f"{customer.first_name} {customer.last_name}".strip(),
                    address=work_order.location.address if work_order.location else None,
                )
            )
    events.sort(key=lambda event: (event.start, event.technician_name or "", event.work_order_number))
    return events
