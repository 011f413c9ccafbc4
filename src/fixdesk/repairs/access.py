"""How a repair is read: the scoped reads and the locked lookup for a change.

This is the one door to repairs for everything outside :mod:`fixdesk.repairs.service`: the repair features
(line items, quotes, attachments, warranty, tracking) and other domains read a repair on behalf of a
principal through these functions, never through a query of their own on ``repairs`` or a private helper,
so none of them can forget the scoping rule:

* who may **read** a repair: a portal customer only their own; staff and API clients (with the permission
  their endpoint declares) every repair (:func:`visible_repairs`);
* who may **change** one: staff only; a technician only the repairs assigned to them
  (:func:`ensure_can_change`);
* a change takes the repair row **locked** (``FOR UPDATE`` on PostgreSQL), so two concurrent changes of
  one repair take turns and each checks its rules against the real current state
  (:func:`get_for_change`, :func:`lock_repair`).

A repair the principal may not read answers :class:`~fixdesk.platform.errors.NotFound` (404), the same as
one that does not exist, so its existence never leaks; one they may read but not change answers
:class:`~fixdesk.platform.errors.Forbidden` (403).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.identity.models import Role
from fixdesk.platform.buckets import bucket_index, in_buckets
from fixdesk.platform.errors import Forbidden, NotFound
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import lifecycle
from fixdesk.repairs.models import Repair, RepairItem, RepairLabour, RepairReview


def visible_repairs(principal: Principal) -> Select[tuple[Repair]]:
    """``SELECT repairs`` limited to what ``principal`` may read: a customer only their own repairs, staff
    and API clients all of them. Every scoped read of repairs starts from this statement (or, for a
    statement built once, from :class:`VisibleStatement`)."""
    statement = select(Repair)
    if principal.is_customer:
        statement = statement.where(Repair.customer_id == principal.id)
    return statement


_VISIBLE_CUSTOMER_ID = "visible_customer_id"


@dataclass(frozen=True)
class VisibleStatement:
    """A statement over ``repairs`` built once at import, in the two scopes of :func:`visible_repairs`:
    for everyone (staff, API clients) and for one customer (their own repairs, the customer's id a bound
    parameter). Reusing the same statement objects lets SQLAlchemy reuse their cache key and compiled SQL,
    which for a statement of many columns and joins costs more than running it on a hot path."""

    everyone: Select[Any]
    customer: Select[Any]

    @classmethod
    def of(cls, statement: Select[Any]) -> VisibleStatement:
        """``statement`` (which selects from ``repairs``) in both scopes."""
        return cls(statement, statement.where(_customer_scope()))

    @classmethod
    def build(cls, make: Callable[[Any], Select[Any]]) -> VisibleStatement:
        """``make(scope)`` in both scopes, for a statement whose scope is not its outer ``WHERE`` (a count
        over a subquery): ``scope`` is ``None`` for everyone, else the condition to add."""
        return cls(make(None), make(_customer_scope()))

    def for_principal(self, principal: Principal) -> tuple[Select[Any], dict[str, Any]]:
        """The statement ``principal`` may run and its scope's bound parameters."""
        if principal.is_customer:
            return self.customer, {_VISIBLE_CUSTOMER_ID: principal.id}
        return self.everyone, {}


def _customer_scope() -> Any:
    # The table's column, not the mapped attribute: a statement of table columns runs as plain Core.
    return Repair.__table__.c.customer_id == bindparam(_VISIBLE_CUSTOMER_ID)


def ensure_can_change(principal: Principal, repair: Repair) -> None:
    """Raise :class:`Forbidden` (403) when ``principal`` may not change ``repair``: a customer never (their
    own decisions, such as approving a quote, are checked by those services), a technician only the
    repairs assigned to them."""
    if principal.is_customer:
        raise Forbidden("Customers cannot change repairs.")
    if principal.role == Role.technician and repair.technician_id != principal.id:
        raise Forbidden("Technicians can change only the repairs assigned to them.")


def _not_found(repair_id: uuid.UUID) -> NotFound:
    return NotFound(f"Repair {repair_id} not found.")


async def get_visible(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> Repair:
    """The repair row (no relationship loaded, no lock) if ``principal`` may read it; else
    :class:`NotFound` (404). One query."""
    statement = visible_repairs(principal).where(Repair.id == repair_id)
    repair = (await session.execute(statement)).scalar_one_or_none()
    if repair is None:
        raise _not_found(repair_id)
    return repair


async def ensure_visible(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> None:
    """Raise :class:`NotFound` (404) unless ``principal`` may read repair ``repair_id``; loads no row (one
    ``EXISTS`` query)."""
    statement = select(visible_repairs(principal).where(Repair.id == repair_id).exists())
    if not (await session.execute(statement)).scalar():
        raise _not_found(repair_id)


def visible_repair_ids(principal: Principal, repair_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """``SELECT repairs.id`` of repair ``repair_id`` if ``principal`` may read it (no row otherwise): for a
    subquery that scopes another table's rows to a visible repair."""
    return visible_repairs(principal).where(Repair.id == repair_id).with_only_columns(Repair.id)


async def lock_repair(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> Repair:
    """The repair row, if ``principal`` may read it, locked for a change; else :class:`NotFound` (404).

    ``FOR UPDATE`` on PostgreSQL (SQLite's write transaction already serialises writers). Whether the
    principal may change the repair is the caller's rule: :func:`get_for_change` for staff changes; a
    customer's own decisions (approving a quote, a review) need only that the repair is theirs."""
    statement = visible_repairs(principal).where(Repair.id == repair_id).with_for_update()
    repair = (await session.execute(statement)).scalar_one_or_none()
    if repair is None:
        raise _not_found(repair_id)
    return repair


async def get_for_change(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> Repair:
    """The repair locked for a staff change: :func:`lock_repair`, then :func:`ensure_can_change` (404 for a
    repair the principal cannot read, 403 for a customer or another technician's repair)."""
    repair = await lock_repair(session, principal, repair_id)
    ensure_can_change(principal, repair)
    return repair


def with_tracking_token(token: str) -> Select[tuple[Repair]]:
    """``SELECT repairs`` of the repair whose public tracking link carries ``token`` (compared exactly):
    whoever holds the link may follow the repair without signing in, so what is shown of it is the
    tracking page's business (:mod:`fixdesk.repairs.tracking`)."""
    return select(Repair).where(Repair.tracking_token == token)


async def load_repair(session: AsyncSession, repair_id: uuid.UUID, *, lock: bool = False) -> Repair | None:
    """The repair row by id without any principal's scope, or ``None``: for the system's own follow-up
    work (event subscribers, jobs), never for a request made on someone's behalf. ``lock`` takes it
    ``FOR UPDATE`` (fresh from the database), so two follow-ups of one repair take turns."""
    if lock:
        statement = (
            select(Repair)
            .where(Repair.id == repair_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await session.execute(statement)).scalar_one_or_none()
    return await session.get(Repair, repair_id)


async def average_rating(session: AsyncSession, since: datetime) -> tuple[float | None, int]:
    """The mean of the customers' repair ratings (1–5) given since ``since``, and how many there were
    (``None`` and 0 without any): the shop's satisfaction figure for other domains' dashboards."""
    row = (
        await session.execute(
            select(func.avg(RepairReview.rating), func.count()).where(RepairReview.created_at >= since)
        )
    ).one()
    return (float(row[0]) if row[0] is not None else None), int(row[1])


@dataclass(frozen=True)
class BillableLine:
    """A priced line of a repair as another domain bills it: ``quantity`` (a part count, or decimal hours
    for labour) × ``unit_price`` (per unit or per hour) − ``discount``, in the shop's currency."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class BillableRepair:
    """What an invoice is made from: the repair's number, customer, tax rate (percent), deposit taken at
    the counter (an amount, shop currency) and its part lines then labour lines, in their order."""

    id: uuid.UUID
    repair_number: str
    customer_id: uuid.UUID
    status: str
    tax_rate: Decimal
    deposit: Decimal
    lines: tuple[BillableLine, ...]


async def get_billable(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> BillableRepair:
    """The repair's billable lines (parts, then labour as ``hours × rate``) if ``principal`` may read it;
    else :class:`NotFound` (404). Three queries: the repair, its items, its labour."""
    repair = await get_visible(session, principal, repair_id)
    items = (
        await session.execute(
            select(RepairItem)
            .where(RepairItem.repair_id == repair_id)
            .order_by(RepairItem.position, RepairItem.id)
        )
    ).scalars()
    labour = (
        await session.execute(
            select(RepairLabour)
            .where(RepairLabour.repair_id == repair_id)
            .order_by(RepairLabour.position, RepairLabour.id)
        )
    ).scalars()
    lines = [
        BillableLine(item.description, Decimal(item.quantity), item.unit_price, item.discount)
        for item in items
    ] + [BillableLine(row.description, row.hours, row.rate, Decimal("0.00")) for row in labour]
    return BillableRepair(
        id=repair.id,
        repair_number=repair.repair_number,
        customer_id=repair.customer_id,
        status=repair.status,
        tax_rate=repair.tax_rate,
        deposit=repair.deposit or Decimal("0.00"),
        lines=tuple(lines),
    )


@dataclass(frozen=True)
class PartLine:
    """A repair's line item that names a product (a part in stock): its id, the product and how many."""

    item_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int


def is_done(status: str) -> bool:
    """Whether a repair in ``status`` counts as done: ``completed`` (ready for pickup) or ``delivered``."""
    return status in lifecycle.STATUS_GROUPS["completed"]


async def part_lines(session: AsyncSession, repair_id: uuid.UUID) -> list[PartLine]:
    """The line items of repair ``repair_id`` that name a product, in line order (one query, unscoped: for
    the system's own follow-up work, such as taking fitted parts out of stock)."""
    rows = await session.execute(
        select(RepairItem.id, RepairItem.product_id, RepairItem.quantity)
        .where(RepairItem.repair_id == repair_id, RepairItem.product_id.is_not(None))
        .order_by(RepairItem.position, RepairItem.id)
    )
    return [PartLine(item_id, product_id, int(quantity)) for item_id, product_id, quantity in rows]


async def completed_revenue(
    session: AsyncSession, boundaries: Sequence[datetime]
) -> tuple[list[Decimal], list[int]]:
    """The sum of ``totalCost`` (shop currency) and the number of the repairs done (``completed`` or
    ``delivered``) whose completion (``actualCompletion``) falls in each interval
    ``[boundaries[i], boundaries[i + 1])``: one aggregate query. Repairs without a total count as 0."""
    buckets = len(boundaries) - 1
    sums = [Decimal("0.00")] * buckets
    counts = [0] * buckets
    index = bucket_index(Repair.actual_completion, boundaries)
    rows = await session.execute(
        select(index, func.sum(Repair.total_cost), func.count())
        .where(
            Repair.status.in_(lifecycle.STATUS_GROUPS["completed"]),
            in_buckets(Repair.actual_completion, boundaries),
        )
        .group_by(index)
    )
    for bucket, amount, count in rows:
        sums[int(bucket)] = amount or Decimal("0.00")
        counts[int(bucket)] = int(count)
    return sums, counts


def customer_drop_offs() -> Select[tuple[uuid.UUID, datetime]]:
    """``SELECT customer_id, visited_at``: every repair's intake (a visit of its customer to the shop, when
    the device was received), through ``ix_repairs_customer_id_created_at``; for other domains' "last
    visit" of a customer."""
    return select(Repair.customer_id.label("customer_id"), Repair.created_at.label("visited_at"))
