"""Customer segments (issue 13, item 4; seed 002): saved filters over customers, their live counts and
members, RFM scores, and seed 002's segmentation by orders.

**Purchases, spend and last visit.** A customer's purchases are their sales orders that were not
cancelled nor refunded (the order's total, when completed or else when placed;
:func:`fixdesk.sales.access.order_purchases`) and their issued invoices with money received (the amount
paid net of refunds, when issued; :func:`fixdesk.billing.access.invoice_purchases`) — repairs and work
orders count through their invoices, which is where a repair shop's customer pays for them. *Total spend*
is the sum of their amounts (0 without any), *purchase count* their number, and the *last visit* the latest
of the customer's purchases and repair drop-offs (:func:`fixdesk.repairs.access.customer_drop_offs`). A
customer never seen has no last visit. All three come from one aggregate over a ``UNION ALL`` of the three
sources (:func:`customer_figures`), in integer cents, so SQLite and PostgreSQL give identical answers.

**RFM** (recency, frequency, monetary value) scores every customer with at least one purchase (archived
ones included: they are part of the shop's history the quintiles describe) from 1 to 5 per dimension, by
quintiles of the ranking of all such customers. With ``n`` such customers and ``rank`` the SQL ``RANK()`` of
the customer in ascending order of the dimension (ties share the lowest rank, so equal values always score
the same)::

    score = 1 + (5 × (rank − 1)) div n        (integer division: 1 … 5)

ordered by the latest purchase's moment for R (the most recent buyers score 5), the number of purchases
for F and the total spend for M (the most, the highest). Ties never round up: customers equal on a
dimension all take the score of the lowest of them, so a lone buyer, or a shop whose buyers all bought
once, scores 1 there (quintiles need a spread to tell customers apart). F and M are combined as ``FM = (F + M + 1) div 2``
(their mean, rounded half up), and the segment is the first line that matches, which covers all 25 cells:

=====================  ===========  ==========
segment                R            FM
=====================  ===========  ==========
``champions``          5            4–5
``loyal``              3–4          4–5
``cannot_lose``        1–2          5
``at_risk``            1–2          3–4
``potential_loyalist`` 4–5          2–3
``new_customer``       5            1
``promising``          4            1
``need_attention``     3            3
``about_to_sleep``     3            1–2
``hibernating``        2            1–2
``lost``               1            1–2
=====================  ===========  ==========

(The grid of the common RFM segment map over R and F, with FM in F's place so spend counts too.) A
customer without a purchase has no RFM segment, so an ``rfmSegments`` filter never matches them.

**Indexes.** Tag filters go through ``ix_customer_tags_tag``, statuses through
``ix_customers_status_created_at``, custom fields through ``ix_customers_custom_fields_gin`` on PostgreSQL;
the purchase aggregates read every order, paid invoice and repair once, grouped by customer (a segment is
a question about the whole customer base), and join customers by primary key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from fixdesk.billing import access as billing_access
from fixdesk.customers import access as customers_access
from fixdesk.db import cents_to_money, to_cents
from fixdesk.marketing.models import Segment
from fixdesk.marketing.schemas import (
    SegmentationCustomer,
    SegmentationGroup,
    SegmentationRead,
    SegmentationWithOrders,
    SegmentCreate,
    SegmentFilter,
    SegmentMemberRead,
    SegmentRead,
    SegmentUpdate,
)
from fixdesk.platform.errors import Conflict, NotFound
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.repairs import access as repairs_access
from fixdesk.sales import access as sales_access

SEGMENTATION_SAMPLE = 20
"""How many customers each group of ``GET /customers/segmentation`` lists (seed 002's ``customers``)."""


def customer_figures() -> Subquery:
    """``(customer_id, total_spend_cents, purchase_count, last_purchase_at, last_visit_at)`` per customer
    with a purchase or a repair (see the module docstring): one aggregate over the orders, invoices and
    repairs."""
    orders = sales_access.order_purchases().subquery()
    invoices = billing_access.invoice_purchases().subquery()
    drop_offs = repairs_access.customer_drop_offs().subquery()
    events = union_all(
        select(
            orders.c.customer_id,
            orders.c.amount_cents,
            orders.c.purchased_at.label("at"),
            literal_column("1").label("is_purchase"),
        ),
        select(invoices.c.customer_id, invoices.c.amount_cents, invoices.c.purchased_at, literal_column("1")),
        select(drop_offs.c.customer_id, literal_column("0"), drop_offs.c.visited_at, literal_column("0")),
    ).subquery()
    return (
        select(
            events.c.customer_id,
            func.sum(events.c.amount_cents).label("total_spend_cents"),
            func.sum(events.c.is_purchase).label("purchase_count"),
            func.max(case((events.c.is_purchase == 1, events.c.at))).label("last_purchase_at"),
            func.max(events.c.at).label("last_visit_at"),
        )
        .group_by(events.c.customer_id)
        .subquery()
    )


def rfm_scores() -> Subquery:
    """``(customer_id, recency_score, frequency_score, monetary_score, rfm_segment)`` of every customer with
    a purchase, by the rule of the module docstring."""
    figures = customer_figures()
    ranked = (
        select(
            figures.c.customer_id,
            func.rank().over(order_by=figures.c.last_purchase_at).label("recency_rank"),
            func.rank().over(order_by=figures.c.purchase_count).label("frequency_rank"),
            func.rank().over(order_by=figures.c.total_spend_cents).label("monetary_rank"),
            func.count().over().label("population"),
        )
        .where(figures.c.purchase_count > 0)
        .subquery()
    )

    def score(rank: Any) -> Any:
        return 1 + (5 * (rank - 1)) // ranked.c.population

    scored = select(
        ranked.c.customer_id,
        score(ranked.c.recency_rank).label("recency_score"),
        score(ranked.c.frequency_rank).label("frequency_score"),
        score(ranked.c.monetary_rank).label("monetary_score"),
    ).subquery()
    recency = scored.c.recency_score
    fm = (scored.c.frequency_score + scored.c.monetary_score + 1) // 2
    segment = case(
        (and_(recency == 5, fm >= 4), "champions"),
        (and_(recency.in_((3, 4)), fm >= 4), "loyal"),
        (and_(recency <= 2, fm == 5), "cannot_lose"),
        (and_(recency <= 2, fm >= 3), "at_risk"),
        (and_(recency >= 4, fm >= 2), "potential_loyalist"),
        (recency == 5, "new_customer"),
        (recency == 4, "promising"),
        (and_(recency == 3, fm == 3), "need_attention"),
        (recency == 3, "about_to_sleep"),
        (recency == 2, "hibernating"),
        else_="lost",
    )
    return select(
        scored.c.customer_id,
        scored.c.recency_score,
        scored.c.frequency_score,
        scored.c.monetary_score,
        segment.label("rfm_segment"),
    ).subquery()


@dataclass(frozen=True)
class ResolvedSegmentFilter:
    """A :class:`SegmentFilter` with its custom field conditions looked up: what
    :func:`fixdesk.marketing.access.audience_select` takes as ``segment_filter``."""

    filter: SegmentFilter
    custom_field_conditions: list[Any] = field(default_factory=list)

    def member_ids(self) -> Select[tuple[uuid.UUID]]:
        """``SELECT customers.id`` of the customers the filter matches now (a subquery; no query runs)."""
        wanted = self.filter
        statement = customers_access.customer_ids_where(
            statuses=wanted.statuses,
            tags_any=wanted.tags_any,
            tags_all=wanted.tags_all,
            conditions=self.custom_field_conditions,
        )
        customer_id = statement.selected_columns.id
        spend_or_visit = (
            wanted.min_total_spend,
            wanted.max_total_spend,
            wanted.last_visit_before,
            wanted.last_visit_after,
        )
        if any(value is not None for value in spend_or_visit):
            figures = customer_figures()
            statement = statement.outerjoin(figures, figures.c.customer_id == customer_id)
            spend = func.coalesce(figures.c.total_spend_cents, 0)
            if wanted.min_total_spend is not None:
                statement = statement.where(spend >= to_cents(wanted.min_total_spend))
            if wanted.max_total_spend is not None:
                statement = statement.where(spend <= to_cents(wanted.max_total_spend))
            if wanted.last_visit_before is not None:
                statement = statement.where(
                    or_(figures.c.last_visit_at.is_(None), figures.c.last_visit_at < wanted.last_visit_before)
                )
            if wanted.last_visit_after is not None:
                statement = statement.where(figures.c.last_visit_at >= wanted.last_visit_after)
        if wanted.rfm_segments:
            rfm = rfm_scores()
            statement = statement.where(
                customer_id.in_(select(rfm.c.customer_id).where(rfm.c.rfm_segment.in_(wanted.rfm_segments)))
            )
        return statement


async def resolve(session: AsyncSession, wanted: SegmentFilter) -> ResolvedSegmentFilter:
    """Look up ``wanted``'s custom fields (one query when it has any): 400 naming
    ``customFields.<key>`` for an unknown field or a value of the wrong type."""
    conditions: list[Any] = []
    if wanted.custom_fields:
        raw = {key: _filter_text(value) for key, value in wanted.custom_fields.items()}
        conditions = await customers_access.custom_field_conditions(session, raw)
    return ResolvedSegmentFilter(wanted, conditions)


def _filter_text(value: Any) -> str:
    # The custom field filters read text the way a query string carries it.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def _get(session: AsyncSession, segment_id: uuid.UUID) -> Segment:
    segment = await session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"Segment {segment_id} not found.")
    return segment


async def resolve_saved(session: AsyncSession, segment_id: uuid.UUID) -> ResolvedSegmentFilter:
    """The saved segment's resolved filter; :class:`NotFound` (404) for an unknown segment."""
    segment = await _get(session, segment_id)
    return await resolve(session, SegmentFilter.model_validate(segment.filter))


async def count_members(session: AsyncSession, resolved: ResolvedSegmentFilter) -> int:
    """How many customers the filter matches now (one query)."""
    members = resolved.member_ids().subquery()
    return int((await session.execute(select(func.count()).select_from(members))).scalar_one())


def _stored(wanted: SegmentFilter) -> dict[str, Any]:
    return wanted.model_dump(mode="json", by_alias=True, exclude_none=True)


def _read(segment: Segment, count: int | None = None) -> SegmentRead:
    return SegmentRead(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        filter=SegmentFilter.model_validate(segment.filter),
        customer_count=count,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


async def _ensure_name_free(session: AsyncSession, name: str, segment_id: uuid.UUID | None = None) -> None:
    statement = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if segment_id is not None:
        statement = statement.where(Segment.id != segment_id)
    if (await session.execute(statement)).first() is not None:
        raise Conflict(f"A segment named {name!r} exists already.")


async def create_segment(
    session: AsyncSession, body: SegmentCreate, created_by_id: uuid.UUID | None
) -> SegmentRead:
    """Save a segment (409 when its name, compared case-insensitively, is taken; 400 for bad custom
    fields), answered with its live count."""
    resolved = await resolve(session, body.filter)
    await _ensure_name_free(session, body.name)
    segment = Segment(
        name=body.name, description=body.description, filter=_stored(body.filter), created_by_id=created_by_id
    )
    session.add(segment)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent save of the same name
        raise Conflict(f"A segment named {body.name!r} exists already.") from exc
    return _read(segment, await count_members(session, resolved))


async def update_segment(session: AsyncSession, segment_id: uuid.UUID, body: SegmentUpdate) -> SegmentRead:
    """Change a segment's name, description or filter; answered with its live count."""
    segment = await _get(session, segment_id)
    values = body.model_dump(exclude_unset=True)
    wanted = body.filter if body.filter is not None else SegmentFilter.model_validate(segment.filter)
    resolved = await resolve(session, wanted)
    if "name" in values:
        await _ensure_name_free(session, values["name"], segment_id)
        segment.name = values["name"]
    if "description" in values:
        segment.description = values["description"]
    if body.filter is not None:
        segment.filter = _stored(body.filter)
    await session.flush()
    return _read(segment, await count_members(session, resolved))


async def delete_segment(session: AsyncSession, segment_id: uuid.UUID) -> None:
    """Delete a saved segment (404 when there is none)."""
    segment = await _get(session, segment_id)
    await session.delete(segment)
    await session.flush()


async def get_segment(session: AsyncSession, segment_id: uuid.UUID) -> SegmentRead:
    """A saved segment with its live count."""
    segment = await _get(session, segment_id)
    resolved = await resolve(session, SegmentFilter.model_validate(segment.filter))
    return _read(segment, await count_members(session, resolved))


async def list_segments(session: AsyncSession, params: PageParams) -> tuple[list[SegmentRead], int]:
    """A page of saved segments by name (without counts: ``GET /segments/{id}`` counts one)."""
    statement = select(Segment).order_by(func.lower(Segment.name), Segment.id)
    rows, total = await paginate(session, statement, params)
    return [_read(segment) for segment in rows], total


async def preview(session: AsyncSession, wanted: SegmentFilter) -> int:
    """How many customers an unsaved filter matches now."""
    return await count_members(session, await resolve(session, wanted))


async def list_members(
    session: AsyncSession, segment_id: uuid.UUID, params: PageParams
) -> tuple[list[SegmentMemberRead], int]:
    """A page of a segment's customers by last and first name, each with their total spend, purchase
    count, last visit and RFM segment: three queries (page, count when needed, figures of the page)."""
    resolved = await resolve_saved(session, segment_id)
    customers, total = await paginate(session, customers_access.customers_in(resolved.member_ids()), params)
    ids = [customer.id for customer in customers]
    figures_by_id: dict[uuid.UUID, Any] = {}
    if ids:
        figures = customer_figures()
        rfm = rfm_scores()
        rows = await session.execute(
            select(
                figures.c.customer_id,
                figures.c.total_spend_cents,
                figures.c.purchase_count,
                figures.c.last_visit_at,
                rfm.c.rfm_segment,
            )
            .select_from(figures.outerjoin(rfm, rfm.c.customer_id == figures.c.customer_id))
            .where(figures.c.customer_id.in_(ids))
        )
        figures_by_id = {row.customer_id: row for row in rows}
    members = []
    for customer in customers:
        row = figures_by_id.get(customer.id)
        members.append(
            SegmentMemberRead(
                id=customer.id,
                first_name=customer.first_name,
                last_name=customer.last_name,
                email=customer.email,
                phone=customer.phone,
                status=customer.status,
                tags=customer.tag_names,
                total_spend=cents_to_money(row.total_spend_cents if row else 0),
                purchase_count=int(row.purchase_count) if row else 0,
                last_visit_at=row.last_visit_at if row else None,
                rfm_segment=row.rfm_segment if row else None,
            )
        )
    return members, total


async def segmentation(session: AsyncSession) -> SegmentationRead:
    """Seed 002's segmentation of the customers who are not archived: those with at least one sales order
    (:func:`fixdesk.sales.access.order_totals_by_customer`: not cancelled, not refunded) and those without.

    Only sales orders count here, as in the seed (``totalOrders`` is a count of orders): a paid repair or
    invoice does not make a customer one "with orders"; it counts toward total spend, last visit and RFM
    instead (the saved segments' figures). ``totalRevenue`` sums the orders' totals (tax included),
    ``averageOrderValue`` is that over the number of orders, ``conversionRate`` the percentage of customers
    with an order (two decimals, half up; 0 without customers). Each group lists its first
    :data:`SEGMENTATION_SAMPLE` customers: with orders by revenue (highest first), without by name. Five
    queries.
    """
    customer_ids = customers_access.customer_ids_where()
    totals = sales_access.order_totals_by_customer().subquery()
    buyers = select(totals).where(totals.c.customer_id.in_(customer_ids)).subquery()
    summary = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(buyers.c.revenue_cents), 0),
                func.coalesce(func.sum(buyers.c.order_count), 0),
            ).select_from(buyers)
        )
    ).one()
    with_count, revenue_cents, order_count = int(summary[0]), int(summary[1]), int(summary[2])
    all_count = int(
        (await session.execute(select(func.count()).select_from(customer_ids.subquery()))).scalar_one()
    )
    top = (
        await session.execute(
            select(buyers.c.customer_id, buyers.c.order_count, buyers.c.revenue_cents)
            .order_by(buyers.c.revenue_cents.desc(), buyers.c.customer_id)
            .limit(SEGMENTATION_SAMPLE)
        )
    ).all()
    top_ids = [row.customer_id for row in top]
    by_id = {}
    if top_ids:
        by_id = {
            customer.id: customer
            for customer in (await session.execute(customers_access.customers_in(top_ids))).scalars()
        }
    with_customers = [
        SegmentationCustomer(
            id=row.customer_id,
            first_name=by_id[row.customer_id].first_name,
            last_name=by_id[row.customer_id].last_name,
            email=by_id[row.customer_id].email,
            order_count=int(row.order_count),
            total_revenue=cents_to_money(row.revenue_cents),
        )
        for row in top
    ]
    without_ids = customer_ids.where(customer_ids.selected_columns.id.not_in(select(totals.c.customer_id)))
    without = (
        (await session.execute(customers_access.customers_in(without_ids).limit(SEGMENTATION_SAMPLE)))
        .scalars()
        .all()
    )
    revenue = cents_to_money(revenue_cents)
    cent = Decimal("0.01")
    average = (revenue / order_count).quantize(cent, ROUND_HALF_UP) if order_count else Decimal("0.00")
    rate = (
        (Decimal(100 * with_count) / all_count).quantize(cent, ROUND_HALF_UP)
        if all_count
        else Decimal("0.00")
    )
    return SegmentationRead(
        with_orders=SegmentationWithOrders(
            count=with_count, customers=with_customers, total_revenue=revenue, average_order_value=average
        ),
        without_orders=SegmentationGroup(
            count=all_count - with_count,
            customers=[
                SegmentationCustomer(
                    id=customer.id,
                    first_name=customer.first_name,
                    last_name=customer.last_name,
                    email=customer.email,
                    order_count=0,
                    total_revenue=Decimal("0.00"),
                )
                for customer in without
            ],
        ),
        conversion_rate=rate,
    )
