"""How technicians and work orders are read: the one rule of who may see and change what.

* A staff user with the ``technician`` role sees only their own technician profile and only the work
  orders they are assigned to, and changes only those; everyone else holding the endpoint's permission
  (managers, agents, admins, API clients with the scope) sees and changes them all.
* What a technician may not see answers :class:`~fixdesk.platform.errors.NotFound` (404), the same as
  what does not exist, so its existence never leaks (as repairs do for customers).
* A change takes the work order **locked** (``FOR UPDATE`` on PostgreSQL), so concurrent changes take
  turns and each checks the lifecycle against the real current state (:func:`get_for_change`).

The later field service features (schedule, dispatch, plain-language requests) read through these
functions too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.fieldservice.models import (
    Technician,
    WorkOrder,
    WorkOrderItem,
    WorkOrderLabour,
    WorkOrderStatus,
    WorkOrderTechnician,
)
from fixdesk.identity.models import Role
from fixdesk.platform.buckets import bucket_index, in_buckets
from fixdesk.platform.errors import NotFound
from fixdesk.platform.permissions import Principal


def is_field_technician(principal: Principal) -> bool:
    """Whether ``principal`` is a staff user with the technician role (scoped to their own records)."""
    return principal.is_staff and principal.role == Role.technician.value


def visible_technicians(principal: Principal) -> Select[tuple[Technician]]:
    """``SELECT technicians`` limited to what ``principal`` may read: a technician their own profile,
    everyone else every profile."""
    statement = select(Technician)
    if is_field_technician(principal):
        statement = statement.where(Technician.user_id == principal.id)
    return statement


def own_technician_ids(principal: Principal) -> Select[tuple[uuid.UUID]]:
    """``SELECT technicians.id`` of the principal's own profile (no row for a non-technician)."""
    return select(Technician.id).where(Technician.user_id == principal.id)


def visible_work_orders(principal: Principal) -> Select[tuple[WorkOrder]]:
    """``SELECT work_orders`` limited to what ``principal`` may read: a technician the work orders they
    are assigned to, everyone else all. Every scoped read of work orders starts here."""
    statement = select(WorkOrder)
    if is_field_technician(principal):
        assigned = (
            select(WorkOrderTechnician.work_order_id)
            .join(Technician, Technician.id == WorkOrderTechnician.technician_id)
            .where(Technician.user_id == principal.id)
        )
        statement = statement.where(WorkOrder.id.in_(assigned))
    return statement


def _not_found(work_order_id: uuid.UUID) -> NotFound:
    return NotFound(f"Work order {work_order_id} not found.")


async def get_visible(session: AsyncSession, principal: Principal, work_order_id: uuid.UUID) -> WorkOrder:
    """The work order row (nothing loaded with it, no lock) if ``principal`` may read it; else
    :class:`NotFound` (404)."""
    statement = visible_work_orders(principal).where(WorkOrder.id == work_order_id)
    work_order = (await session.execute(statement)).scalar_one_or_none()
    if work_order is None:
        raise _not_found(work_order_id)
    return work_order


async def get_for_change(session: AsyncSession, principal: Principal, work_order_id: uuid.UUID) -> WorkOrder:
    """The work order locked for a change (``FOR UPDATE`` on PostgreSQL) if ``principal`` may read it,
    which for a technician means it is assigned to them; else :class:`NotFound` (404). Whoever may read a
    work order and holds the endpoint's permission may change it."""
    statement = visible_work_orders(principal).where(WorkOrder.id == work_order_id).with_for_update()
    work_order = (await session.execute(statement)).scalar_one_or_none()
    if work_order is None:
        raise _not_found(work_order_id)
    return work_order


async def load_work_order(session: AsyncSession, work_order_id: uuid.UUID) -> WorkOrder | None:
    """The work order by id without any principal's scope: for the system's own follow-up work only."""
    return await session.get(WorkOrder, work_order_id)


@dataclass(frozen=True)
class BillableLine:
    """A priced line of a work order as another domain bills it: ``quantity`` (a part count, or decimal
    hours for labour) × ``unit_price`` (per unit or per hour) − ``discount``, in the shop's currency."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class BillableWorkOrder:
    """What an invoice is made from: the work order's number, customer, status, tax rate (percent) and its
    part lines then labour lines, in their order."""

    id: uuid.UUID
    work_order_number: str
    customer_id: uuid.UUID
    status: str
    tax_rate: Decimal
    lines: tuple[BillableLine, ...]


async def get_billable(
    session: AsyncSession, principal: Principal, work_order_id: uuid.UUID
) -> BillableWorkOrder:
    """The work order's billable lines (parts, then labour as ``hours × rate``) if ``principal`` may read
    it; else :class:`NotFound` (404). Three queries."""
    work_order = await get_visible(session, principal, work_order_id)
    items = (
        await session.execute(
            select(WorkOrderItem)
            .where(WorkOrderItem.work_order_id == work_order_id)
            .order_by(WorkOrderItem.position, WorkOrderItem.id)
        )
    ).scalars()
    labour = (
        await session.execute(
            select(WorkOrderLabour)
            .where(WorkOrderLabour.work_order_id == work_order_id)
            .order_by(WorkOrderLabour.position, WorkOrderLabour.id)
        )
    ).scalars()
    lines = [
        BillableLine(item.description, Decimal(item.quantity), item.unit_price, item.discount)
        for item in items
    ] + [BillableLine(row.description, row.hours, row.rate, Decimal("0.00")) for row in labour]
    return BillableWorkOrder(
        id=work_order.id,
        work_order_number=work_order.work_order_number,
        customer_id=work_order.customer_id,
        status=work_order.status,
        tax_rate=work_order.tax_rate,
        lines=tuple(lines),
    )


async def completed_revenue(
    session: AsyncSession, boundaries: Sequence[datetime]
) -> tuple[list[Decimal], list[int]]:
    """The sum of ``total`` (shop currency) and the number of the ``completed`` work orders whose
    ``completedAt`` falls in each interval ``[boundaries[i], boundaries[i + 1])``: one aggregate query."""
    buckets = len(boundaries) - 1
    sums = [Decimal("0.00")] * buckets
    counts = [0] * buckets
    index = bucket_index(WorkOrder.completed_at, boundaries)
    rows = await session.execute(
        select(index, func.sum(WorkOrder.total), func.count())
        .where(
            WorkOrder.status == WorkOrderStatus.completed.value,
            in_buckets(WorkOrder.completed_at, boundaries),
        )
        .group_by(index)
    )
    for bucket, amount, count in rows:
        sums[int(bucket)] = amount or Decimal("0.00")
        counts[int(bucket)] = int(count)
    return sums, counts
