"""Work order rules: opening with gap-free ``WO-YYYY-NNNNNN`` numbers, details, lines priced by the
repairs' totals rule, technicians, the status lifecycle and the events of each change.

Scoping: :mod:`fixdesk.fieldservice.access` (a technician reads and changes only the work orders assigned
to them; 404 for the others). Every change publishes its events in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.fieldservice import lifecycle
from fixdesk.fieldservice.access import get_for_change, visible_work_orders
from fixdesk.fieldservice.events import (
    WORK_ORDER_ASSIGNED,
    WORK_ORDER_CANCELLED,
    WORK_ORDER_COMPLETED,
    WORK_ORDER_CREATED,
    WORK_ORDER_DELETED,
    WORK_ORDER_SCHEDULED,
    WORK_ORDER_STARTED,
    WORK_ORDER_STATUS_CHANGED,
    WORK_ORDER_UPDATED,
    WorkOrderEventPayload,
)
from fixdesk.fieldservice.models import (
    Equipment,
    ServiceLocation,
    Technician,
    WorkOrder,
    WorkOrderItem,
    WorkOrderLabour,
    WorkOrderStatus,
    WorkOrderStatusHistory,
    WorkOrderTechnician,
)
from fixdesk.fieldservice.permissions import WORK_ORDERS_ASSIGN
from fixdesk.fieldservice.work_orders.booking import Booking, BookingConflict, find_booking_conflicts
from fixdesk.fieldservice.work_orders.schemas import (
    WorkOrderCreate,
    WorkOrderItemCreate,
    WorkOrderLabourCreate,
    WorkOrderStatusChange,
    WorkOrderUpdate,
)
from fixdesk.platform.errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    ValidationFailed,
    reject_nulls,
)
from fixdesk.platform.events import publish
from fixdesk.platform.numbering import next_number
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.repairs.items import totals as money

WORK_ORDER_NUMBER_PREFIX = "WO"
_CUSTOMER_BRIEF = (Customer.first_name, Customer.last_name, Customer.email, Customer.phone)
_STATUS_EVENTS = {
    WorkOrderStatus.scheduled: WORK_ORDER_SCHEDULED,
    WorkOrderStatus.in_progress: WORK_ORDER_STARTED,
    WorkOrderStatus.completed: WORK_ORDER_COMPLETED,
    WorkOrderStatus.cancelled: WORK_ORDER_CANCELLED,
}


def _with_people(statement: Select[tuple[WorkOrder]]) -> Select[tuple[WorkOrder]]:
    """The work order with its customer (brief columns), location and technicians (with their users):
    the joined customer and location in the statement, the technicians in one more."""
    return statement.options(
        joinedload(WorkOrder.customer).load_only(*_CUSTOMER_BRIEF),
        joinedload(WorkOrder.location),
        selectinload(WorkOrder.assignments)
        .joinedload(WorkOrderTechnician.technician)
        .joinedload(Technician.user),
    ).execution_options(populate_existing=True)


def _with_detail(statement: Select[tuple[WorkOrder]]) -> Select[tuple[WorkOrder]]:
    return _with_people(statement).options(
        selectinload(WorkOrder.status_history),
        selectinload(WorkOrder.items),
        selectinload(WorkOrder.labour),
        selectinload(WorkOrder.attachments),
    )


async def get_work_order(session: AsyncSession, principal: Principal, work_order_id: uuid.UUID) -> WorkOrder:
    """One work order with customer, location, technicians, lines, history and photos, if ``principal`` may see
    it; else :class:`NotFound` (404)."""
    statement = _with_detail(visible_work_orders(principal).where(WorkOrder.id == work_order_id))
    work_order = (await session.execute(statement)).unique().scalar_one_or_none()
    if work_order is None:
        raise NotFound(f"Work order {work_order_id} not found.")
    return work_order


# --- checks of what a body names ------------------------------------------------------------------------


async def check_customer(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """400 naming ``customerId`` for an unknown or archived customer (work orders, service plans)."""
    customer = await customers.find_customer(session, customer_id)
    if customer is None:
        raise ValidationFailed.for_field("customerId", "no customer with this id")
    if customers.is_archived(customer):
        raise ValidationFailed.for_field("customerId", "the customer is archived")


async def check_place(
    session: AsyncSession,
    customer_id: uuid.UUID,
    location_id: uuid.UUID | None,
    equipment_id: uuid.UUID | None,
) -> None:
    """400 naming ``locationId`` for a location of another customer (or none), ``equipmentId`` for
    equipment that is not at that location (work orders, service plans)."""
    if location_id is not None:
        location = await session.get(ServiceLocation, location_id)
        if location is None or location.customer_id != customer_id:
            raise ValidationFailed.for_field(
                "locationId", "no service location of this customer with this id"
            )
    if equipment_id is not None:
        if location_id is None:
            raise ValidationFailed.for_field("equipmentId", "equipment needs the locationId it is at")
        equipment = await session.get(Equipment, equipment_id)
        if equipment is None or equipment.location_id != location_id:
            raise ValidationFailed.for_field("equipmentId", "no equipment at this location with this id")


async def _check_technicians(session: AsyncSession, technician_ids: Sequence[uuid.UUID]) -> None:
    if not technician_ids:
        return
    rows = await session.execute(
        select(Technician.id).where(Technician.id.in_(technician_ids), Technician.is_active.is_(True))
    )
    found = set(rows.scalars())
    for index, technician_id in enumerate(technician_ids):
        if technician_id not in found:
            raise ValidationFailed.for_field(f"technicianIds.{index}", "no active technician with this id")


def _check_window(start: Any, end: Any) -> None:
    if start is not None and end is not None and end <= start:
        raise ValidationFailed.for_field("timeWindowEnd", "must be after timeWindowStart")


# --- booking conflicts -------------------------------------------------------------------------------------


class BookingConflicts(Conflict):
    """409: the booking puts a technician over another job, outside their hours, into a break or on time
    off; ``conflicts`` lists each (:meth:`BookingConflict.as_json`). Sent again with ``override: true`` it
    is allowed."""

    title = "Booking conflict"


async def ensure_bookable(
    session: AsyncSession,
    booking: Booking | None,
    technician_ids: Sequence[uuid.UUID],
    *,
    settings: Settings,
    work_order_id: uuid.UUID | None = None,
    override: bool = False,
) -> list[dict[str, Any]]:
    """The one check of a booking (the rules of :mod:`fixdesk.fieldservice.work_orders.booking`), for
    every change that books technicians: creating a dated work order with technicians, changing its date,
    window or duration, assigning technicians, and the dispatch's apply.

    Raises :class:`BookingConflicts` (409 naming each conflict: kind, technician, the other work order's
    number or the time-off period) unless ``override``; with ``override`` returns the conflicts it let
    through (camelCase dicts), which the caller records in its event's ``overriddenConflicts``. A booking
    without a date (``None``) or without technicians books nothing."""
    if booking is None or not technician_ids:
        return []
    conflicts: list[BookingConflict] = await find_booking_conflicts(
        session, booking, technician_ids, zone=settings.shop_timezone, work_order_id=work_order_id
    )
    found = [conflict.as_json() for conflict in conflicts]
    if found and not override:
        raise BookingConflicts(
            " ".join(conflict.message for conflict in conflicts) + " Send override: true to book it anyway.",
            conflicts=found,
        )
    return found


# --- lines and totals --------------------------------------------------------------------------------------


def _lines(
    items: Sequence[WorkOrderItemCreate], labour: Sequence[WorkOrderLabourCreate]
) -> tuple[list[WorkOrderItem], list[WorkOrderLabour]]:
    """Line rows with their totals, by :mod:`fixdesk.repairs.items.totals` (the repairs' money rule).
    Raises :class:`ValidationFailed` naming ``items.<n>.discount`` for a discount above the line's gross."""
    item_rows = []
    for position, item in enumerate(items):
        try:
            line_total = money.item_total(item.quantity, item.unit_price, item.discount)
        except ValueError:
            gross = money.gross_amount(item.quantity, item.unit_price)
            raise ValidationFailed.for_field(
                f"items.{position}.discount",
                f"the discount ({item.discount}) cannot exceed quantity × unit price ({gross})",
            ) from None
        item_rows.append(
            WorkOrderItem(
                position=position,
                description=item.description,
                part_number=item.part_number,
                quantity=item.quantity,
                unit_price=item.unit_price,
                discount=item.discount,
                line_total=line_total,
            )
        )
    labour_rows = [
        WorkOrderLabour(
            position=position,
            description=line.description,
            hours=line.hours,
            rate=line.rate,
            line_total=money.labour_total(line.hours, line.rate),
        )
        for position, line in enumerate(labour)
    ]
    return item_rows, labour_rows


def _apply_totals(
    work_order: WorkOrder, items: Sequence[WorkOrderItem], labour: Sequence[WorkOrderLabour]
) -> None:
    result = money.compute_totals([row.line_total for row in (*items, *labour)], work_order.tax_rate)
    work_order.subtotal = result.subtotal
    work_order.tax_amount = result.tax_amount
    work_order.total = result.total


async def _replace_lines(
    session: AsyncSession,
    work_order: WorkOrder,
    items: Sequence[WorkOrderItemCreate] | None,
    labour: Sequence[WorkOrderLabourCreate] | None,
) -> None:
    """Replace the item and/or labour lines given (``None``: keep those) and recompute the totals."""
    new_items, new_labour = _lines(items or [], labour or [])
    if items is not None:
        await session.execute(delete(WorkOrderItem).where(WorkOrderItem.work_order_id == work_order.id))
        for row in new_items:
            row.work_order_id = work_order.id
            session.add(row)
    if labour is not None:
        await session.execute(delete(WorkOrderLabour).where(WorkOrderLabour.work_order_id == work_order.id))
        for row in new_labour:
            row.work_order_id = work_order.id
            session.add(row)
    await session.flush()
    kept_items = (
        new_items
        if items is not None
        else list(
            (
                await session.execute(
                    select(WorkOrderItem).where(WorkOrderItem.work_order_id == work_order.id)
                )
            ).scalars()
        )
    )
    kept_labour = (
        new_labour
        if labour is not None
        else list(
            (
                await session.execute(
                    select(WorkOrderLabour).where(WorkOrderLabour.work_order_id == work_order.id)
                )
            ).scalars()
        )
    )
    _apply_totals(work_order, kept_items, kept_labour)


async def _technician_ids(session: AsyncSession, work_order_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(WorkOrderTechnician.technician_id)
        .where(WorkOrderTechnician.work_order_id == work_order_id)
        .order_by(WorkOrderTechnician.position)
    )
    return list(rows.scalars())


async def _publish(
    session: AsyncSession, name: str, work_order: WorkOrder, principal: Principal, **change: Any
) -> None:
    technician_ids = change.pop("technician_ids", None)
    if technician_ids is None:
        technician_ids = await _technician_ids(session, work_order.id)
    payload = WorkOrderEventPayload.of(
        work_order, technician_ids, changed_by_id=principal.staff_user_id, **change
    )
    await publish(
        session, name, payload, customer_id=work_order.customer_id, actor_id=principal.staff_user_id
    )


# --- changes ------------------------------------------------------------------------------------------------


async def create_work_order(
    session: AsyncSession, principal: Principal, data: WorkOrderCreate, *, settings: Settings
) -> WorkOrder:
    """Open a work order: ``scheduled`` when it has a ``scheduledDate``, else ``draft``; the next
    ``WO-YYYY-NNNNNN`` number (the year on the shop's calendar, ``FIXDESK_SHOP_TIMEZONE``); its lines
    priced (taxed at ``FIXDESK_TAX_RATE``); the first history row; ``work_order.created`` (and
    ``work_order.scheduled``) in the same transaction.

    A dated work order with technicians is checked by :func:`ensure_bookable`: :class:`BookingConflicts`
    (409) unless ``override``, and the conflicts overridden go in ``work_order.created``'s
    ``overriddenConflicts``.

    Raises :class:`ValidationFailed` (400 naming the field) for an unknown or archived customer, a location
    of another customer, equipment elsewhere, an unknown or inactive technician, a window ending before it
    starts or a discount above its line; :class:`Forbidden` (403) for technicians without
    ``work_orders:assign``."""
    await check_customer(session, data.customer_id)
    await check_place(session, data.customer_id, data.location_id, data.equipment_id)
    if data.technician_ids:
        if not principal.has(WORK_ORDERS_ASSIGN):
            raise Forbidden(f"Assigning technicians needs the '{WORK_ORDERS_ASSIGN}' permission.")
        await _check_technicians(session, data.technician_ids)
    items, labour = _lines(data.items, data.labour)
    overridden = await ensure_bookable(
        session,
        Booking(
            data.scheduled_date,
            data.time_window_start,
            data.time_window_end,
            data.estimated_duration_minutes,
        )
        if data.scheduled_date is not None
        else None,
        data.technician_ids,
        settings=settings,
        override=data.override,
    )
    now = utcnow()
    status = WorkOrderStatus.scheduled if data.scheduled_date is not None else WorkOrderStatus.draft
    work_order = WorkOrder(
        work_order_number=await next_number(
            session, WORK_ORDER_NUMBER_PREFIX, at=now, zone=settings.shop_timezone
        ),
        customer_id=data.customer_id,
        location_id=data.location_id,
        equipment_id=data.equipment_id,
        status=status.value,
        priority=data.priority.value,
        service_type=data.service_type,
        required_skills=data.required_skills,
        scheduled_date=data.scheduled_date,
        time_window_start=data.time_window_start,
        time_window_end=data.time_window_end,
        estimated_duration_minutes=data.estimated_duration_minutes,
        notes=data.notes,
        checklist=[entry.model_dump() for entry in data.checklist],
        tax_rate=settings.tax_rate,
        created_by_id=principal.staff_user_id,
        created_at=now,
        updated_at=now,
        items=items,
        labour=labour,
        assignments=[
            WorkOrderTechnician(technician_id=technician_id, position=position)
            for position, technician_id in enumerate(data.technician_ids)
        ],
        status_history=[
            WorkOrderStatusHistory(
                from_status=None,
                to_status=status.value,
                changed_by_id=principal.staff_user_id,
                created_at=now,
            )
        ],
    )
    _apply_totals(work_order, items, labour)
    session.add(work_order)
    await session.flush()
    technician_ids = list(data.technician_ids)
    await _publish(
        session,
        WORK_ORDER_CREATED,
        work_order,
        principal,
        technician_ids=technician_ids,
        to_status=status.value,
        overridden_conflicts=overridden or None,
    )
    if status == WorkOrderStatus.scheduled:
        await _publish(
            session,
            WORK_ORDER_SCHEDULED,
            work_order,
            principal,
            technician_ids=technician_ids,
            to_status=status.value,
        )
    return await get_work_order(session, principal, work_order.id)


def _ensure_open(work_order: WorkOrder) -> None:
    if work_order.status not in {status.value for status in lifecycle.OPEN_STATUSES}:
        raise Conflict(
            f"A {work_order.status} work order cannot be changed.", currentStatus=work_order.status
        )


_BOOKING_FIELDS = ("scheduled_date", "time_window_start", "time_window_end", "estimated_duration_minutes")


async def update_work_order(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    data: WorkOrderUpdate,
    *,
    settings: Settings,
) -> WorkOrder:
    """Change details, window, checklist or lines of an open work order (409 once completed or
    cancelled). A scheduled or started job keeps a date: clearing it is a 400 (move it back to draft
    first). Publishes ``work_order.updated`` naming the changed fields.

    A change of date, window or duration is checked for the work order's technicians by
    :func:`ensure_bookable`: :class:`BookingConflicts` (409) unless ``override``, and the conflicts
    overridden go in ``work_order.updated``'s ``overriddenConflicts``."""
    work_order = await get_for_change(session, principal, work_order_id)
    _ensure_open(work_order)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    override = bool(values.pop("override", False))
    reject_nulls(
        values,
        "service_type",
        "required_skills",
        "priority",
        "estimated_duration_minutes",
        "checklist",
        "items",
        "labour",
    )
    if "location_id" in values or "equipment_id" in values:
        location_id = values.get("location_id", work_order.location_id)
        equipment_id = values.get(
            "equipment_id", work_order.equipment_id if "location_id" not in values else None
        )
        values["equipment_id"] = equipment_id
        await check_place(session, work_order.customer_id, location_id, equipment_id)
    _check_window(
        values.get("time_window_start", work_order.time_window_start),
        values.get("time_window_end", work_order.time_window_end),
    )
    if (
        "scheduled_date" in values
        and values["scheduled_date"] is None
        and work_order.status != WorkOrderStatus.draft.value
    ):
        raise ValidationFailed.for_field(
            "scheduledDate", f"a {work_order.status} work order needs a date; move it back to draft first"
        )
    overridden: list[dict[str, Any]] = []
    if any(name in values for name in _BOOKING_FIELDS):
        new_date = values.get("scheduled_date", work_order.scheduled_date)
        overridden = await ensure_bookable(
            session,
            Booking(
                new_date,
                values.get("time_window_start", work_order.time_window_start),
                values.get("time_window_end", work_order.time_window_end),
                values.get("estimated_duration_minutes") or work_order.estimated_duration_minutes,
            )
            if new_date is not None
            else None,
            await _technician_ids(session, work_order.id),
            settings=settings,
            work_order_id=work_order.id,
            override=override,
        )
    items, labour = values.pop("items", None), values.pop("labour", None)
    if "priority" in values:
        values["priority"] = (
            values["priority"].value if hasattr(values["priority"], "value") else values["priority"]
        )
    for name, value in values.items():
        setattr(work_order, name, value)
    changed = sorted(to_camel(name) for name in values)
    if items is not None or labour is not None:
        await _replace_lines(
            session,
            work_order,
            data.items if items is not None else None,
            data.labour if labour is not None else None,
        )
        changed += [name for name, given in (("items", items), ("labour", labour)) if given is not None]
    work_order.updated_at = utcnow()
    await session.flush()
    if changed:
        await _publish(
            session,
            WORK_ORDER_UPDATED,
            work_order,
            principal,
            changed_fields=sorted(changed),
            overridden_conflicts=overridden or None,
        )
    return await get_work_order(session, principal, work_order_id)


async def change_status(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    change: WorkOrderStatusChange,
    *,
    settings: Settings,
) -> WorkOrder:
    """Move a work order along its lifecycle (:mod:`fixdesk.fieldservice.lifecycle`): the history row, the
    stamps (``startedAt``, ``completedAt``, ``cancelledAt``), ``work_order.status_changed`` and the
    event of the new status (``.scheduled``, ``.started``, ``.completed``, ``.cancelled``).

    Raises :class:`IllegalTransition` (409, naming the allowed next states) for a move the lifecycle does
    not allow, :class:`ValidationFailed` (400, ``scheduledDate``) when scheduling a job without a date,
    :class:`NotFound` (404) for a work order the principal cannot see (a technician: not theirs).

    Moving to ``scheduled`` books the technicians again (a draft or a job in progress holds no time, so
    others may have been booked over it meanwhile): :func:`ensure_bookable`, :class:`BookingConflicts`
    (409) unless ``override``, and the conflicts overridden go in ``work_order.status_changed``'s
    ``overriddenConflicts``."""
    work_order = await get_for_change(session, principal, work_order_id)
    target = change.status
    allowed = lifecycle.allowed_next(work_order.status)
    if target.value not in allowed:
        raise IllegalTransition(work_order.status, target.value, allowed)
    if target == WorkOrderStatus.scheduled and work_order.scheduled_date is None:
        raise ValidationFailed.for_field(
            "scheduledDate", "set the work order's scheduledDate before scheduling it"
        )
    overridden: list[dict[str, Any]] = []
    if target == WorkOrderStatus.scheduled:
        overridden = await ensure_bookable(
            session,
            Booking.of(work_order),
            await _technician_ids(session, work_order.id),
            settings=settings,
            work_order_id=work_order.id,
            override=change.override,
        )
    now = utcnow()
    previous = work_order.status
    work_order.status = target.value
    work_order.updated_at = now
    if target == WorkOrderStatus.in_progress and work_order.started_at is None:
        work_order.started_at = now
    elif target == WorkOrderStatus.completed:
        work_order.completed_at = now
    elif target == WorkOrderStatus.cancelled:
        work_order.cancelled_at = now
    session.add(
        WorkOrderStatusHistory(
            work_order_id=work_order.id,
            from_status=previous,
            to_status=target.value,
            changed_by_id=principal.staff_user_id,
            notes=change.notes,
            created_at=now,
        )
    )
    await session.flush()
    technician_ids = await _technician_ids(session, work_order.id)
    change_fields = {"from_status": previous, "to_status": target.value, "notes": change.notes}
    await _publish(
        session,
        WORK_ORDER_STATUS_CHANGED,
        work_order,
        principal,
        technician_ids=technician_ids,
        overridden_conflicts=overridden or None,
        **change_fields,
    )
    specific = _STATUS_EVENTS.get(target)
    if specific is not None:
        await _publish(
            session, specific, work_order, principal, technician_ids=technician_ids, **change_fields
        )
    return await get_work_order(session, principal, work_order_id)


async def assign_technicians(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    technician_ids: list[uuid.UUID],
    *,
    settings: Settings,
    override: bool = False,
) -> WorkOrder:
    """Set the technicians of an open work order, lead first (an empty list unassigns everyone).
    Publishes ``work_order.assigned`` when they changed. Raises :class:`ValidationFailed` naming
    ``technicianIds.<n>`` for an unknown, inactive or repeated technician.

    The technicians added to a dated work order are checked by :func:`ensure_bookable`:
    :class:`BookingConflicts` (409) unless ``override``, and the conflicts overridden go in
    ``work_order.assigned``'s ``overriddenConflicts``."""
    work_order = await get_for_change(session, principal, work_order_id)
    _ensure_open(work_order)
    if len(set(technician_ids)) != len(technician_ids):
        raise ValidationFailed.for_field("technicianIds", "lists a technician twice")
    await _check_technicians(session, technician_ids)
    previous = await _technician_ids(session, work_order.id)
    overridden = await ensure_bookable(
        session,
        Booking.of(work_order),
        [technician_id for technician_id in technician_ids if technician_id not in previous],
        settings=settings,
        work_order_id=work_order.id,
        override=override,
    )
    if previous != technician_ids:
        await session.execute(
            delete(WorkOrderTechnician).where(WorkOrderTechnician.work_order_id == work_order.id)
        )
        for position, technician_id in enumerate(technician_ids):
            session.add(
                WorkOrderTechnician(
                    work_order_id=work_order.id, technician_id=technician_id, position=position
                )
            )
        work_order.updated_at = utcnow()
        await session.flush()
        await _publish(
            session,
            WORK_ORDER_ASSIGNED,
            work_order,
            principal,
            technician_ids=technician_ids,
            previous_technician_ids=previous,
            overridden_conflicts=overridden or None,
        )
    return await get_work_order(session, principal, work_order_id)


async def delete_work_order(session: AsyncSession, principal: Principal, work_order_id: uuid.UUID) -> None:
    """Delete a draft work order (its number stays used). Anything past draft is cancelled instead:
    :class:`Conflict` (409)."""
    work_order = await get_for_change(session, principal, work_order_id)
    if work_order.status != WorkOrderStatus.draft.value:
        raise Conflict(
            f"Only draft work orders can be deleted; cancel a {work_order.status} one instead.",
            currentStatus=work_order.status,
        )
    await _publish(session, WORK_ORDER_DELETED, work_order, principal)
    await session.delete(work_order)
    await session.flush()


# --- lists --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkOrderFilters:
    """Seed 001's filters (``status``, ``scheduled_date``, ``customer_id``, ``technician_id``) and a range
    of scheduled dates (``dateFrom``/``dateTo``, inclusive, shop calendar)."""

    status: str | None = None
    scheduled_date: date | None = None
    customer_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


async def list_work_orders(
    session: AsyncSession, principal: Principal, filters: WorkOrderFilters, params: PageParams
) -> tuple[list[WorkOrder], int]:
    """A page of work orders by scheduled date and window (undated drafts last, newest first among
    them), with customer, location and technicians: three queries per page at most, plus the count."""
    statement = visible_work_orders(principal)
    if filters.status:
        statement = statement.where(WorkOrder.status == filters.status)
    if filters.scheduled_date:
        statement = statement.where(WorkOrder.scheduled_date == filters.scheduled_date)
    if filters.customer_id:
        statement = statement.where(WorkOrder.customer_id == filters.customer_id)
    if filters.technician_id:
        statement = statement.where(
            WorkOrder.id.in_(
                select(WorkOrderTechnician.work_order_id).where(
                    WorkOrderTechnician.technician_id == filters.technician_id
                )
            )
        )
    if filters.date_from:
        statement = statement.where(WorkOrder.scheduled_date >= filters.date_from)
    if filters.date_to:
        statement = statement.where(WorkOrder.scheduled_date <= filters.date_to)
    statement = _with_people(
        statement.order_by(
            WorkOrder.scheduled_date.is_(None),
            WorkOrder.scheduled_date,
            WorkOrder.time_window_start,
            WorkOrder.created_at.desc(),
            WorkOrder.id,
        )
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total
