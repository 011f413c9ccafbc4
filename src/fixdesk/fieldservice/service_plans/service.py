"""Recurring service plans (issue 11, item 5): keeping plans, and the periodic work that turns their
occurrences into work orders ahead of time and reminds customers before the visit.

Permissions: managing a plan needs ``work_orders:create`` (a plan is a standing order for work orders),
naming its technician also ``work_orders:assign``; reading plans needs ``work_orders:read`` (technicians,
who hold only that, read every plan: a plan names no visit of theirs yet).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderStatus
from fixdesk.fieldservice.permissions import WORK_ORDERS_ASSIGN, WORK_ORDERS_CREATE
from fixdesk.fieldservice.service_plans import recurrence as rules
from fixdesk.fieldservice.service_plans.models import (
    ServicePlan,
    ServicePlanOccurrence,
    ServicePlanStatus,
)
from fixdesk.fieldservice.service_plans.schemas import ServicePlanCreate, ServicePlanUpdate
from fixdesk.fieldservice.work_orders.schemas import WorkOrderCreate
from fixdesk.fieldservice.work_orders.service import (
    BookingConflicts,
    check_customer,
    check_place,
    create_work_order,
)
from fixdesk.messaging.service import format_date, language_of, notify_customer
from fixdesk.platform.errors import (
    Conflict,
    FixdeskError,
    Forbidden,
    NotFound,
    ValidationFailed,
    reject_nulls,
)
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal

log = structlog.get_logger("fixdesk.fieldservice")

REMINDER_TEMPLATE = "service_visit_reminder"


# --- checks -------------------------------------------------------------------------------------------------


async def _check_technician(session: AsyncSession, principal: Principal, technician_id: uuid.UUID) -> None:
    if not principal.has(WORK_ORDERS_ASSIGN):
        raise Forbidden(f"Naming the plan's technician needs the '{WORK_ORDERS_ASSIGN}' permission.")
    technician = await session.get(Technician, technician_id)
    if technician is None or not technician.is_active:
        raise ValidationFailed.for_field("technicianId", "no active technician with this id")


def _check_window(plan: ServicePlan) -> None:
    start, end = plan.time_window_start, plan.time_window_end
    if start is not None and end is not None and end <= start:
        raise ValidationFailed.for_field("timeWindowEnd", "must be after timeWindowStart")


def _earliest_open_day(plan: ServicePlan, today: date) -> date:
    """The first day an occurrence not created yet may fall on: today or later, on or after
    ``occurrences_from`` (start, or the day after a resume), after the latest one created (so an edited
    rule changes future occurrences only)."""
    earliest = max(plan.occurrences_from, today)
    if plan.last_occurrence_date is not None:
        earliest = max(earliest, plan.last_occurrence_date + timedelta(days=1))
    return earliest


def _refresh_next(plan: ServicePlan, today: date) -> None:
    if plan.status == ServicePlanStatus.paused.value:
        plan.next_occurrence_date = None
        return
    rule = rules.parse_rule(plan.recurrence, plan.starts_on)
    plan.next_occurrence_date = rules.first_on_or_after(rule, _earliest_open_day(plan, today), plan.ends_on)


# --- plans --------------------------------------------------------------------------------------------------


async def get_plan(session: AsyncSession, plan_id: uuid.UUID) -> ServicePlan:
    """The plan, or :class:`NotFound` (404)."""
    plan = await session.get(ServicePlan, plan_id)
    if plan is None:
        raise NotFound(f"No service plan {plan_id}.")
    return plan


async def create_plan(
    session: AsyncSession, principal: Principal, data: ServicePlanCreate, *, settings: Settings
) -> ServicePlan:
    """Store a plan (``active``) with its next occurrence. Its first work order is created by the periodic
    job once the occurrence is within ``FIXDESK_SERVICE_PLAN_LEAD_DAYS``.

    Raises :class:`ValidationFailed` (400 naming the field) for a bad ``recurrence``, an unknown or
    archived customer, a location of another customer or an unknown or inactive technician;
    :class:`Forbidden` (403) for a technician without ``work_orders:assign``."""
    rules.parse_rule(data.recurrence, data.starts_on)
    await check_customer(session, data.customer_id)
    await check_place(session, data.customer_id, data.location_id, None)
    if data.technician_id is not None:
        await _check_technician(session, principal, data.technician_id)
    now = utcnow()
    plan = ServicePlan(
        customer_id=data.customer_id,
        location_id=data.location_id,
        technician_id=data.technician_id,
        service_type=data.service_type,
        priority=data.priority.value,
        recurrence=rules.normalized(data.recurrence),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        time_window_start=data.time_window_start,
        time_window_end=data.time_window_end,
        estimated_duration_minutes=data.estimated_duration_minutes,
        notes=data.notes,
        status=ServicePlanStatus.active.value,
        occurrences_from=data.starts_on,
        created_by_id=principal.staff_user_id,
        created_at=now,
        updated_at=now,
    )
    _refresh_next(plan, settings.shop_today())
    session.add(plan)
    await session.flush()
    return plan


async def update_plan(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    data: ServicePlanUpdate,
    *,
    settings: Settings,
) -> ServicePlan:
    """Change a plan. The change applies to occurrences not created yet: their work orders are made
    from the plan as it is when the job reaches them; work orders already created keep what they had.

    Raises :class:`NotFound` (404), :class:`ValidationFailed` (400 naming the field) like
    :func:`create_plan`, :class:`Conflict` (409) for an ended plan."""
    plan = await get_plan(session, plan_id)
    if plan.status == ServicePlanStatus.ended.value:
        raise Conflict("The service plan has ended; start a new one.")
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(
        values, "location_id", "service_type", "recurrence", "estimated_duration_minutes", "priority"
    )
    if "recurrence" in values:
        rules.parse_rule(values["recurrence"], plan.starts_on)
        values["recurrence"] = rules.normalized(values["recurrence"])
    if "location_id" in values:
        await check_place(session, plan.customer_id, values["location_id"], None)
    if values.get("technician_id") is not None and values["technician_id"] != plan.technician_id:
        await _check_technician(session, principal, values["technician_id"])
    if "priority" in values:
        values["priority"] = values["priority"].value
    for name, value in values.items():
        setattr(plan, name, value)
    _check_window(plan)
    _refresh_next(plan, settings.shop_today())
    await session.flush()
    return plan


async def pause_plan(session: AsyncSession, plan_id: uuid.UUID) -> ServicePlan:
    """Stop creating occurrences (work orders already created stay). 409 unless ``active``."""
    plan = await get_plan(session, plan_id)
    if plan.status != ServicePlanStatus.active.value:
        raise Conflict(f"Only an active plan can be paused; this one is {plan.status}.")
    plan.status = ServicePlanStatus.paused.value
    plan.paused_at = utcnow()
    plan.next_occurrence_date = None
    await session.flush()
    return plan


async def resume_plan(session: AsyncSession, plan_id: uuid.UUID, *, settings: Settings) -> ServicePlan:
    """Continue a paused plan from its next occurrence after today (shop calendar): the occurrences that
    fell in the pause are skipped, not caught up. 409 unless ``paused``."""
    plan = await get_plan(session, plan_id)
    if plan.status != ServicePlanStatus.paused.value:
        raise Conflict(f"Only a paused plan can be resumed; this one is {plan.status}.")
    today = settings.shop_today()
    plan.status = ServicePlanStatus.active.value
    plan.paused_at = None
    plan.occurrences_from = max(plan.occurrences_from, today + timedelta(days=1))
    _refresh_next(plan, today)
    await session.flush()
    return plan


async def end_plan(
    session: AsyncSession, plan_id: uuid.UUID, ends_on: date | None, *, settings: Settings
) -> ServicePlan:
    """End a plan (``ended``): no occurrence after ``ends_on`` (default today, shop calendar); those up
    to it are still created. Work orders already created for later days are left for the dispatcher.
    400 for an ``endsOn`` before the plan starts or in the past; 409 for a plan already ended."""
    plan = await get_plan(session, plan_id)
    if plan.status == ServicePlanStatus.ended.value:
        raise Conflict("The service plan has already ended.")
    today = settings.shop_today()
    last_day = ends_on or today
    if last_day < today or last_day < plan.starts_on:
        raise ValidationFailed.for_field("endsOn", "must be today or later, and not before startsOn")
    if plan.status == ServicePlanStatus.paused.value:
        # The days of the pause stay skipped: an ended plan is not a resumed one.
        plan.occurrences_from = max(plan.occurrences_from, today + timedelta(days=1))
    plan.ends_on = last_day
    plan.status = ServicePlanStatus.ended.value
    plan.paused_at = None
    _refresh_next(plan, today)
    await session.flush()
    return plan


@dataclass
class PlanFilters:
    customer_id: uuid.UUID | None = None
    status: str | None = None


async def list_plans(
    session: AsyncSession, filters: PlanFilters, params: PageParams
) -> tuple[list[ServicePlan], int]:
    """A page of plans, newest first, filtered by customer and status."""
    statement = select(ServicePlan)
    if filters.customer_id:
        statement = statement.where(ServicePlan.customer_id == filters.customer_id)
    if filters.status:
        statement = statement.where(ServicePlan.status == filters.status)
    statement = statement.order_by(ServicePlan.created_at.desc(), ServicePlan.id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


# --- the periodic job ---------------------------------------------------------------------------------------


def _plan_principal(plan: ServicePlan) -> Principal:
    """Who opens an occurrence's work order: the plan itself (no staff user: ``createdById`` is null and
    the events name no actor), allowed to create and assign."""
    return Principal(
        id=plan.id,
        type="client",
        role="service_plan",
        permissions=frozenset({WORK_ORDERS_CREATE, WORK_ORDERS_ASSIGN}),
    )


def _work_order_for(plan: ServicePlan, day: date, technician_ids: list[uuid.UUID]) -> WorkOrderCreate:
    note = f"Service plan visit of {day.isoformat()}."
    return WorkOrderCreate(
        customer_id=plan.customer_id,
        location_id=plan.location_id,
        service_type=plan.service_type,
        priority=plan.priority,
        scheduled_date=day,
        time_window_start=plan.time_window_start,
        time_window_end=plan.time_window_end,
        estimated_duration_minutes=plan.estimated_duration_minutes,
        technician_ids=technician_ids,
        notes=f"{note}\n\n{plan.notes}" if plan.notes else note,
    )


async def _create_occurrence(
    session: AsyncSession, plan: ServicePlan, day: date, *, settings: Settings
) -> bool:
    """One occurrence and its work order in a SAVEPOINT: the occurrence row first, so a racing worker
    waits on its unique key and, once this transaction commits, fails there and creates nothing."""
    try:
        async with session.begin_nested():
            occurrence = ServicePlanOccurrence(plan_id=plan.id, occurrence_date=day)
            session.add(occurrence)
            await session.flush()
            technician_ids = [plan.technician_id] if plan.technician_id else []
            try:
                async with session.begin_nested():
                    work_order = await create_work_order(
                        session,
                        _plan_principal(plan),
                        _work_order_for(plan, day, technician_ids),
                        settings=settings,
                    )
            except BookingConflicts:
                # The technician is booked elsewhere that day: the visit is still made, unassigned, for
                # the dispatcher (or the dispatch plan) to place.
                work_order = await create_work_order(
                    session, _plan_principal(plan), _work_order_for(plan, day, []), settings=settings
                )
            occurrence.work_order_id = work_order.id
            await session.flush()
    except IntegrityError:
        return False  # another worker made this occurrence
    except FixdeskError as error:
        # The visit can no longer be booked (the customer was archived): skipped, so one plan cannot
        # stop the others' occurrences.
        log.warning(
            "service_plan_occurrence_skipped", plan_id=str(plan.id), day=day.isoformat(), reason=str(error)
        )
        return False
    return True


async def create_due_occurrences(session: AsyncSession, settings: Settings) -> int:
    """For every active (or ended) plan, create a scheduled work order for each occurrence from today to
    ``FIXDESK_SERVICE_PLAN_LEAD_DAYS`` ahead (shop calendar) not created yet, exactly once per (plan, day)
    however many workers run this at once; returns how many were created."""
    today = settings.shop_today()
    horizon = today + timedelta(days=settings.service_plan_lead_days)
    plans = (
        (
            await session.execute(
                select(ServicePlan)
                .where(
                    ServicePlan.status.in_([ServicePlanStatus.active.value, ServicePlanStatus.ended.value]),
                    ServicePlan.next_occurrence_date.is_not(None),
                    ServicePlan.next_occurrence_date <= horizon,
                )
                .order_by(ServicePlan.next_occurrence_date, ServicePlan.id)
            )
        )
        .scalars()
        .all()
    )
    created = 0
    for plan in plans:
        rule = rules.parse_rule(plan.recurrence, plan.starts_on)
        last = min(horizon, plan.ends_on) if plan.ends_on else horizon
        for day in rules.occurrences_between(rule, _earliest_open_day(plan, today), last):
            if await _create_occurrence(session, plan, day, settings=settings):
                created += 1
            plan.last_occurrence_date = max(plan.last_occurrence_date or day, day)
        _refresh_next(plan, today)
        await session.flush()
    return created


async def send_due_reminders(session: AsyncSession, settings: Settings) -> int:
    """Tell customers of their visits ``FIXDESK_SERVICE_PLAN_REMINDER_DAYS`` ahead (or fewer, for a visit
    created later than that): the ``service_visit_reminder`` message, once per occurrence (its id is the
    notification's event id, and ``reminded_at`` is set in the same transaction). Work orders no longer
    scheduled (started, cancelled, deleted) get no reminder. Returns how many occurrences were reminded."""
    today = settings.shop_today()
    horizon = today + timedelta(days=settings.service_plan_reminder_days)
    rows = (
        await session.execute(
            select(ServicePlanOccurrence, WorkOrder)
            .join(WorkOrder, WorkOrder.id == ServicePlanOccurrence.work_order_id)
            .where(
                ServicePlanOccurrence.reminded_at.is_(None),
                ServicePlanOccurrence.occurrence_date >= today,
                ServicePlanOccurrence.occurrence_date <= horizon,
                WorkOrder.status == WorkOrderStatus.scheduled.value,
            )
            .options(joinedload(WorkOrder.customer, innerjoin=True))
            .order_by(ServicePlanOccurrence.occurrence_date, ServicePlanOccurrence.id)
        )
    ).all()
    reminded = 0
    for occurrence, work_order in rows:
        # Claimed by a conditional update: a racing worker's waits for this transaction, then finds
        # reminded_at set and changes nothing.
        claimed = await session.execute(
            update(ServicePlanOccurrence)
            .where(ServicePlanOccurrence.id == occurrence.id, ServicePlanOccurrence.reminded_at.is_(None))
            .values(reminded_at=utcnow())
        )
        if claimed.rowcount != 1:
            continue
        customer = work_order.customer
        await notify_customer(
            session,
            settings,
            customer,
            REMINDER_TEMPLATE,
            _reminder_variables(customer.first_name, customer.language, work_order),
            event_id=occurrence.id,
        )
        reminded += 1
    return reminded


def _reminder_variables(first_name: str, language: str | None, work_order: WorkOrder) -> dict[str, Any]:
    start, end = work_order.time_window_start, work_order.time_window_end
    return {
        "customer_first_name": first_name,
        "work_order_number": work_order.work_order_number,
        "service_type": work_order.service_type,
        "visit_day": format_date(work_order.scheduled_date.isoformat(), language_of(language)),
        "window_start": start.strftime("%H:%M") if start else None,
        "window_end": end.strftime("%H:%M") if end else None,
    }


__all__ = [
    "PlanFilters",
    "create_due_occurrences",
    "create_plan",
    "end_plan",
    "get_plan",
    "list_plans",
    "pause_plan",
    "resume_plan",
    "send_due_reminders",
    "update_plan",
]
