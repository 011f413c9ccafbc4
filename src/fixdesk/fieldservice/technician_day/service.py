"""The technician's day: the signed-in technician's work orders of a day, and "on my way".

"On my way" estimates the drive from where the technician is (the position the phone sends, else their
home base) to the work order's location with the straight-line estimate of
:mod:`fixdesk.integrations.routing` (haversine × ``FIXDESK_TRAVEL_ROAD_FACTOR`` at
``FIXDESK_TRAVEL_AVERAGE_SPEED_KMH``: no provider is called while the request waits, as everywhere else)
and publishes ``work_order.technician_on_the_way``; its subscriber
(:mod:`fixdesk.fieldservice.technician_day.jobs`) tells the customer on the channels they allow (a text
message when they take them), once per event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.fieldservice.access import get_for_change, visible_work_orders
from fixdesk.fieldservice.lifecycle import allowed_next
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderStatus, WorkOrderTechnician
from fixdesk.fieldservice.technician_day.events import WORK_ORDER_TECHNICIAN_ON_THE_WAY, OnTheWayPayload
from fixdesk.fieldservice.work_order_attachments import service as photos
from fixdesk.fieldservice.work_orders import service as work_orders
from fixdesk.fieldservice.work_orders.schemas import (
    WorkOrderItemCreate,
    WorkOrderStatusChange,
    WorkOrderUpdate,
)
from fixdesk.integrations.routing import Point, StraightLineRouter
from fixdesk.platform.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.permissions import Principal

SHOWN_STATUSES = (
    WorkOrderStatus.scheduled.value,
    WorkOrderStatus.in_progress.value,
    WorkOrderStatus.completed.value,
)
"""A day's list shows what is booked, under way and done (not drafts nor cancelled jobs)."""


async def own_technician(session: AsyncSession, principal: Principal) -> Technician:
    """The signed-in staff user's technician profile (with its user); :class:`NotFound` (404) without one."""
    technician = (
        await session.execute(
            select(Technician).where(Technician.user_id == principal.id).options(joinedload(Technician.user))
        )
    ).scalar_one_or_none()
    if technician is None:
        raise NotFound("You have no technician profile.")
    return technician


async def day_schedule(
    session: AsyncSession, principal: Principal, day: date
) -> tuple[Technician, list[WorkOrder]]:
    """The signed-in technician's work orders on ``day`` (the shop's calendar) that are scheduled, under
    way or done, by window (undated windows last), with customer, location and equipment. Two queries."""
    technician = await own_technician(session, principal)
    statement = (
        visible_work_orders(principal)
        .where(
            WorkOrder.scheduled_date == day,
            WorkOrder.status.in_(SHOWN_STATUSES),
            WorkOrder.id.in_(
                select(WorkOrderTechnician.work_order_id).where(
                    WorkOrderTechnician.technician_id == technician.id
                )
            ),
        )
        .options(
            joinedload(WorkOrder.customer), joinedload(WorkOrder.location), joinedload(WorkOrder.equipment)
        )
        .order_by(WorkOrder.time_window_start.is_(None), WorkOrder.time_window_start, WorkOrder.id)
    )
    return technician, list((await session.execute(statement)).unique().scalars())


@dataclass(frozen=True)
class OnTheWay:
    work_order: WorkOrder
    eta_minutes: int
    expected_arrival: datetime


async def on_my_way(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    work_order_id: uuid.UUID,
    position: Point | None,
) -> OnTheWay:
    """Announce that the signed-in technician is driving to ``work_order_id`` (one assigned to them and
    scheduled): the ETA in whole minutes (rounded up) from ``position`` (else their home base) to the
    location, and the ``work_order.technician_on_the_way`` event in the caller's transaction.

    Raises :class:`NotFound` (404) for a work order not theirs, :class:`Conflict` (409) unless it is
    scheduled, :class:`ValidationFailed` (400) when the location or the starting point has no
    coordinates."""
    technician = await own_technician(session, principal)
    work_order = await get_for_change(session, principal, work_order_id)
    assigned = (
        await session.execute(
            select(WorkOrderTechnician.technician_id).where(
                WorkOrderTechnician.work_order_id == work_order.id
            )
        )
    ).scalars()
    if technician.id not in set(assigned):
        raise NotFound(f"Work order {work_order_id} not found.")
    if work_order.status != WorkOrderStatus.scheduled.value:
        raise Conflict(f"The work order is {work_order.status}; only a scheduled visit can be on its way.")
    location = (
        (
            await session.execute(
                select(WorkOrder).where(WorkOrder.id == work_order.id).options(joinedload(WorkOrder.location))
            )
        )
        .scalar_one()
        .location
    )
    if location is None or location.latitude is None or location.longitude is None:
        raise ValidationFailed.for_field("workOrderId", "the work order's location has no coordinates")
    start = position
    if start is None:
        if technician.home_latitude is None or technician.home_longitude is None:
            raise ValidationFailed.for_field(
                "latitude", "send your position: your home base has no coordinates"
            )
        start = Point(technician.home_latitude, technician.home_longitude)
    estimate = StraightLineRouter(
        road_factor=settings.travel_road_factor, average_speed_kmh=settings.travel_average_speed_kmh
    )
    seconds, _metres = estimate.trip(start, Point(location.latitude, location.longitude))
    eta_minutes = max(1, -(-seconds // 60))
    arrival = utcnow() + timedelta(minutes=eta_minutes)
    payload = OnTheWayPayload(
        id=work_order.id,
        work_order_id=work_order.id,
        work_order_number=work_order.work_order_number,
        customer_id=work_order.customer_id,
        technician_id=technician.id,
        technician_first_name=technician.user.first_name,
        eta_minutes=eta_minutes,
        expected_arrival=arrival,
    )
    await publish(
        session,
        WORK_ORDER_TECHNICIAN_ON_THE_WAY,
        payload,
        customer_id=work_order.customer_id,
        actor_id=principal.staff_user_id,
    )
    return OnTheWay(work_order, eta_minutes, arrival)


@dataclass(frozen=True)
class VisitReport:
    """What the technician records when finishing on site: ``notes`` (also the status change's note),
    ``time_on_site_minutes``, the customer's ``sign_off_name`` and the ``parts`` used (added to the work
    order's lines, priced by its totals rule), and ``photo_ids``: photos of the visit uploaded before
    (:mod:`fixdesk.fieldservice.work_order_attachments`), which must all be this work order's."""

    notes: str | None
    time_on_site_minutes: int | None
    sign_off_name: str | None
    parts: list[WorkOrderItemCreate]
    photo_ids: list[uuid.UUID] = field(default_factory=list)


async def complete_visit(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    work_order_id: uuid.UUID,
    report: VisitReport,
) -> WorkOrder:
    """Finish the signed-in technician's visit (a work order assigned to them and in progress): the parts
    join its lines (the totals follow), the report is stored, and it moves to ``completed`` with
    ``work_order.completed``, all in the caller's transaction.

    Raises :class:`NotFound` (404) for a work order not theirs, :class:`IllegalTransition` (409, from
    the lifecycle) unless it is in progress, and :class:`ValidationFailed` (400, ``photoIds``) for a photo
    id that is not one of the work order's."""
    technician = await own_technician(session, principal)
    work_order = await get_for_change(session, principal, work_order_id)
    assigned = (
        await session.execute(
            select(WorkOrderTechnician.technician_id).where(
                WorkOrderTechnician.work_order_id == work_order.id
            )
        )
    ).scalars()
    if technician.id not in set(assigned):
        raise NotFound(f"Work order {work_order_id} not found.")
    if work_order.status != WorkOrderStatus.in_progress.value:
        raise IllegalTransition(
            work_order.status, WorkOrderStatus.completed.value, allowed_next(work_order.status)
        )
    await photos.check_photo_ids(session, work_order.id, report.photo_ids)
    if report.parts:
        current = await work_orders.get_work_order(session, principal, work_order_id)
        kept = [
            WorkOrderItemCreate(
                description=item.description,
                part_number=item.part_number,
                quantity=item.quantity,
                unit_price=item.unit_price,
                discount=item.discount,
            )
            for item in current.items
        ]
        await work_orders.update_work_order(
            session,
            principal,
            work_order_id,
            WorkOrderUpdate(items=[*kept, *report.parts]),
            settings=settings,
        )
    work_order.time_on_site_minutes = report.time_on_site_minutes
    work_order.sign_off_name = report.sign_off_name
    work_order.completion_notes = report.notes
    return await work_orders.change_status(
        session,
        principal,
        work_order_id,
        WorkOrderStatusChange(status=WorkOrderStatus.completed, notes=report.notes),
        settings=settings,
    )
