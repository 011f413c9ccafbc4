"""Plain-language requests against the database: the directory the language engine reads
(:mod:`fixdesk.fieldservice.language`), and applying its proposal through the work orders' own services.

The engine is pure; this module gives it the active technicians (names from their staff accounts) and the
open work orders a dispatcher talks about — scheduled from :data:`DAYS_BEFORE` days before the request's
date to :data:`DAYS_AFTER` days after it, and every undated draft — with their customer, street and window
in the shop's time zone. Applying a proposal runs the same service functions as the work-order endpoints,
in the request's one transaction: their checks (an inactive technician, a closed work order, a technician's
own jobs only) and their events hold.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.config import Settings
from fixdesk.fieldservice.access import visible_technicians, visible_work_orders
from fixdesk.fieldservice.language import (
    Directory,
    Proposal,
    TechnicianEntry,
    Understanding,
    WorkOrderEntry,
    understand_with_model,
)
from fixdesk.fieldservice.lifecycle import OPEN_STATUSES
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderStatus
from fixdesk.fieldservice.work_orders import service as work_orders
from fixdesk.fieldservice.work_orders.schemas import WorkOrderStatusChange, WorkOrderUpdate
from fixdesk.integrations.llm import build_llm_client
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.permissions import Principal

DAYS_BEFORE = 7
"""How far back a request may reach for a work order by its date (a job missed last week)."""
DAYS_AFTER = 60
"""How far ahead (the next two months of bookings)."""


async def build_directory(
    session: AsyncSession, principal: Principal, day: date, zone: ZoneInfo
) -> Directory:
    """The technicians and work orders ``principal`` may see that a request made on ``day`` (the shop's
    calendar) can name: active technicians, and open work orders scheduled within
    [``day`` − :data:`DAYS_BEFORE`, ``day`` + :data:`DAYS_AFTER`] or not yet dated. Two queries, plus one
    for the work orders' technicians."""
    technicians = (
        await session.execute(
            visible_technicians(principal)
            .where(Technician.is_active.is_(True))
            .options(joinedload(Technician.user))
            .order_by(Technician.created_at, Technician.id)
        )
    ).scalars()
    entries = tuple(
        TechnicianEntry(id=str(t.id), first_name=t.user.first_name, last_name=t.user.last_name)
        for t in technicians
    )
    statement = (
        visible_work_orders(principal)
        .where(
            WorkOrder.status.in_([status.value for status in OPEN_STATUSES]),
            or_(
                WorkOrder.scheduled_date.is_(None),
                and_(
                    WorkOrder.scheduled_date >= day - timedelta(days=DAYS_BEFORE),
                    WorkOrder.scheduled_date <= day + timedelta(days=DAYS_AFTER),
                ),
            ),
        )
        .options(
            joinedload(WorkOrder.customer),
            joinedload(WorkOrder.location),
            selectinload(WorkOrder.assignments),
        )
        .order_by(WorkOrder.scheduled_date, WorkOrder.time_window_start, WorkOrder.id)
    )
    rows = (await session.execute(statement)).unique().scalars()
    return Directory(technicians=entries, work_orders=tuple(_work_order_entry(row, zone) for row in rows))


def _work_order_entry(work_order: WorkOrder, zone: ZoneInfo) -> WorkOrderEntry:
    start = end = None
    if work_order.scheduled_date and work_order.time_window_start and work_order.time_window_end:
        # A window is stored as the shop's clock times on the scheduled day.
        start = datetime.combine(work_order.scheduled_date, work_order.time_window_start, tzinfo=zone)
        end = datetime.combine(work_order.scheduled_date, work_order.time_window_end, tzinfo=zone)
    location = work_order.location
    return WorkOrderEntry(
        id=str(work_order.id),
        number=work_order.work_order_number,
        customer_first_name=work_order.customer.first_name,
        customer_last_name=work_order.customer.last_name,
        service_type=work_order.service_type,
        street_address=location.address_line1 if location is not None else "",
        scheduled_date=work_order.scheduled_date,
        window_start=start,
        window_end=end,
        technician_ids=tuple(str(assignment.technician_id) for assignment in work_order.assignments),
    )


async def understand_request(
    session: AsyncSession, principal: Principal, settings: Settings, query: str, now: datetime
) -> Understanding:
    """Read ``query`` as said at ``now`` (aware) in the shop's time zone, with the model when
    ``FIXDESK_LLM_BASE_URL`` is set (falling back to the offline parser), against :func:`build_directory`."""
    zone = ZoneInfo(settings.shop_timezone)
    directory = await build_directory(session, principal, now.astimezone(zone).date(), zone)
    return await understand_with_model(
        query, now=now, timezone=settings.shop_timezone, directory=directory, model=build_llm_client(settings)
    )


async def apply_proposal(
    session: AsyncSession, principal: Principal, settings: Settings, proposal: Proposal
) -> WorkOrder:
    """Apply ``proposal`` (from :func:`understand_request`, sent back by the client) to its work order:

    * ``assign``: the technician becomes the work order's lead (others stay on it), and the date and
      window are set when the proposal has them; a draft that now has a date becomes ``scheduled``;
    * ``reschedule``: the date and window change (a draft becomes ``scheduled``);
    * ``unassign``: the technician leaves the work order.

    Times are the shop's (the window's start and end are converted to its zone). Raises what the work
    order services raise (404, 409 for a closed work order or a booking conflict, 400 naming the field) and
    :class:`ValidationFailed` for a proposal that lacks what its action needs."""
    zone = ZoneInfo(settings.shop_timezone)
    work_order_id = _uuid(proposal.work_order_id, "workOrderId")
    technician_id = _uuid(proposal.technician_id, "technicianId") if proposal.technician_id else None
    if proposal.action in ("assign", "unassign") and technician_id is None:
        raise ValidationFailed.for_field(
            "technicianId", f"an {proposal.action} proposal names its technician"
        )
    if proposal.action not in ("assign", "reschedule", "unassign"):
        raise ValidationFailed.for_field("action", "must be assign, reschedule or unassign")
    current = await work_orders.get_work_order(session, principal, work_order_id)
    technicians = [assignment.technician_id for assignment in current.assignments]
    if proposal.action == "unassign":
        await work_orders.assign_technicians(
            session,
            principal,
            work_order_id,
            [t for t in technicians if t != technician_id],
            settings=settings,
        )
    else:
        # The new date and window first, then the technician: the booking check of the assignment sees
        # the day and time the job is moving to, not the one it leaves.
        changes = _schedule_changes(proposal, zone)
        if changes:
            await work_orders.update_work_order(
                session, principal, work_order_id, WorkOrderUpdate(**changes), settings=settings
            )
        if proposal.action == "assign" and technician_id is not None:
            await work_orders.assign_technicians(
                session,
                principal,
                work_order_id,
                [technician_id, *(t for t in technicians if t != technician_id)],
                settings=settings,
            )
        if changes and current.status == WorkOrderStatus.draft.value:
            await work_orders.change_status(
                session,
                principal,
                work_order_id,
                WorkOrderStatusChange(status=WorkOrderStatus.scheduled, notes="Scheduled from a request"),
                settings=settings,
            )
    return await work_orders.get_work_order(session, principal, work_order_id)


def _schedule_changes(proposal: Proposal, zone: ZoneInfo) -> dict[str, object]:
    changes: dict[str, object] = {}
    if proposal.scheduled_date is not None:
        changes["scheduled_date"] = proposal.scheduled_date
    if proposal.window_start is not None and proposal.window_end is not None:
        start, end = proposal.window_start.astimezone(zone), proposal.window_end.astimezone(zone)
        changes["scheduled_date"] = start.date()
        changes["time_window_start"] = _clock(start.timetz())
        changes["time_window_end"] = _clock(end.timetz())
    return changes


def _clock(value: time) -> str:
    return value.replace(tzinfo=None).strftime("%H:%M")


def _uuid(value: str | None, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed.for_field(field, "must be an id") from None


__all__ = ["DAYS_AFTER", "DAYS_BEFORE", "apply_proposal", "build_directory", "understand_request"]
