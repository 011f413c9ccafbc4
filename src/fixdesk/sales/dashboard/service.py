"""The sales dashboard (seed 002): metrics, revenue chart, visitor insights and top products.

**What counts as a sale.** The shop of seed 002 sells products online and at the counter; a repair shop
also sells repairs and field jobs. So:

* an **order** counts when it is placed (``createdAt``) unless it was cancelled, with its ``total``,
  as ``online`` or ``offline`` sales after its ``orderType``;
* a **repair** counts as an ``offline`` sale when it is done (``completed`` or ``delivered``), at its
  completion (``actualCompletion``), with its ``totalCost``;
* a **work order** counts as an ``offline`` sale when ``completed``, at ``completedAt``, with its
  ``total``.

``totalOrders`` and ``productsSold`` count orders and their units only (a repair's fitted part is in the
repair's total, not a product sold). ``newCustomers`` counts customers added in the period. Repairs and
work orders are read through :mod:`fixdesk.repairs.access` and :mod:`fixdesk.fieldservice.access` with one
aggregate query each; every figure is a handful of grouped queries whatever the number of rows, and the
buckets are computed in Python (:mod:`fixdesk.platform.buckets`), so SQLite and PostgreSQL give the same
answers. Days are the shop's (``FIXDESK_SHOP_TIMEZONE``); amounts are in the shop's currency.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.db import new_id, utcnow
from fixdesk.fieldservice import access as fieldservice
from fixdesk.platform.buckets import bucket_index, in_buckets
from fixdesk.platform.errors import ValidationFailed
from fixdesk.repairs import access as repairs
from fixdesk.sales.dashboard import periods
from fixdesk.sales.dashboard.schemas import (
    CountMetric,
    DashboardMetrics,
    MoneyMetric,
    RevenueChart,
    TopProduct,
    VisitorInsights,
    VisitorPercentages,
)
from fixdesk.sales.models import Order, OrderItem, OrderStatus, OrderType, Product, Visit

ZERO = Decimal("0.00")
MAX_DAYS = 366
DEFAULT_DAYS = 30


def _change(value: Decimal, previous: Decimal) -> tuple[Decimal | None, str]:
    change_type = "increase" if value > previous else "decrease" if value < previous else "unchanged"
    if previous == 0:
        return None, change_type
    percent = ((value - previous) * 100 / previous).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return percent, change_type


def _count_metric(value: int, previous: int) -> CountMetric:
    change, change_type = _change(Decimal(value), Decimal(previous))
    return CountMetric(value=value, previous=previous, change=change, change_type=change_type)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Sales:
    """Per bucket: online and offline sales (shop currency), orders and units sold."""

    online: list[Decimal]
    offline: list[Decimal]
    orders: list[int]
    units: list[int]


async def sales_by_bucket(session: AsyncSession, boundaries: Sequence[datetime]) -> Sales:
    """Sales per bucket ``[boundaries[i], boundaries[i + 1])`` by the rules of the module docstring: four
    aggregate queries (orders, order units, repairs, work orders)."""
    size = len(boundaries) - 1
    online, offline = [ZERO] * size, [ZERO] * size
    orders, units = [0] * size, [0] * size
    index = bucket_index(Order.created_at, boundaries)
    live = (Order.status != OrderStatus.cancelled.value, in_buckets(Order.created_at, boundaries))
    rows = await session.execute(
        select(index, Order.order_type, func.sum(Order.total), func.count())
        .where(*live)
        .group_by(index, Order.order_type)
    )
    for bucket, order_type, amount, count in rows:
        series = online if order_type == OrderType.online.value else offline
        series[int(bucket)] += amount or ZERO
        orders[int(bucket)] += int(count)
    rows = await session.execute(
        select(index, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(*live)
        .group_by(index)
    )
    for bucket, quantity in rows:
        units[int(bucket)] = int(quantity or 0)
    for amounts, _ in (
        await repairs.completed_revenue(session, boundaries),
        await fieldservice.completed_revenue(session, boundaries),
    ):
        for bucket, amount in enumerate(amounts):
            offline[bucket] += amount
    return Sales(online, offline, orders, units)


def _days(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailed.for_field("startDate", "must be on or before endDate")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed.for_field("startDate", f"a period covers at most {MAX_DAYS} days")
    return start, end


async def metrics(
    session: AsyncSession,
    settings: Settings,
    start: date | None,
    end: date | None,
    *,
    now: datetime | None = None,
) -> DashboardMetrics:
    """Seed 002's cards for the shop days ``start``..``end`` (default: the 30 days ending today) and the
    previous period of the same length. Raises :class:`ValidationFailed` (400) for a period that ends
    before it starts or is longer than 366 days."""
    zone = ZoneInfo(settings.shop_timezone)
    first, last = _days(start, end, settings.shop_today(now or utcnow()))
    length = timedelta(days=(last - first).days + 1)
    previous_first = first - length
    boundaries = [
        periods.day_start(previous_first, zone),
        periods.day_start(first, zone),
        periods.day_start(last + timedelta(days=1), zone),
    ]
    sales = await sales_by_bucket(session, boundaries)
    new_customers = await customers.created_counts(session, boundaries)
    totals = [sales.online[i] + sales.offline[i] for i in range(2)]
    change, change_type = _change(totals[1], totals[0])
    return DashboardMetrics(
        start_date=first,
        end_date=last,
        previous_start_date=previous_first,
        previous_end_date=first - timedelta(days=1),
        total_sales=MoneyMetric(
            value=totals[1],
            previous=totals[0],
            currency=settings.currency,
            change=change,
            change_type=change_type,  # type: ignore[arg-type]
        ),
        total_orders=_count_metric(sales.orders[1], sales.orders[0]),
        products_sold=_count_metric(sales.units[1], sales.units[0]),
        new_customers=_count_metric(new_customers[1], new_customers[0]),
    )


async def revenue(
    session: AsyncSession,
    settings: Settings,
    period: periods.Period,
    start: date | None = None,
    end: date | None = None,
    *,
    now: datetime | None = None,
) -> RevenueChart:
    """Online and offline sales per point of ``period``'s chart (:func:`periods.chart`) around the shop's
    today, or per day from ``start`` to ``end`` when both are given (at most 366 days)."""
    zone = ZoneInfo(settings.shop_timezone)
    if start is not None or end is not None:
        first, last = _days(start, end, settings.shop_today(now or utcnow()))
        buckets = periods.daily(first, last, zone)
    else:
        buckets = periods.chart(period, settings.shop_today(now or utcnow()), zone)
    sales = await sales_by_bucket(session, buckets.boundaries)
    return RevenueChart(
        period=period,
        currency=settings.currency,
        labels=buckets.labels,
        online=sales.online,
        offline=sales.offline,
    )


def _percent(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal("0.0")
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


async def visitors(
    session: AsyncSession, settings: Settings, period: Any, *, now: datetime | None = None
) -> VisitorInsights:
    """Visitors per shop day over the last 1, 7 or 30 days (``period`` day|week|month) from the recorded
    visits: distinct visitors per day, those whose first visit ever was that day (new) and the others
    (loyal: they came on an earlier day too). One aggregate query."""
    first, last = periods.trailing_days(period, settings.shop_today(now or utcnow()))
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    first_visits = (
        select(Visit.visitor_hash, func.min(Visit.visited_on).label("first_day"))
        .where(
            Visit.visitor_hash.in_(
                select(Visit.visitor_hash).where(Visit.visited_on >= first, Visit.visited_on <= last)
            )
        )
        .group_by(Visit.visitor_hash)
        .subquery()
    )
    is_new = func.sum(case((first_visits.c.first_day == Visit.visited_on, 1), else_=0))
    rows = await session.execute(
        select(Visit.visited_on, func.count(), is_new)
        .join(first_visits, first_visits.c.visitor_hash == Visit.visitor_hash)
        .where(Visit.visited_on >= first, Visit.visited_on <= last)
        .group_by(Visit.visited_on)
    )
    unique = dict.fromkeys(days, 0)
    new = dict.fromkeys(days, 0)
    for day, count, new_count in rows:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        unique[day] = int(count)
        new[day] = int(new_count or 0)
    loyal = {day: unique[day] - new[day] for day in days}
    total = sum(unique.values())
    labels = [day.strftime("%a") for day in days]
    return VisitorInsights(
        period=period,
        labels=labels,
        dates=days,
        loyal_customers=[loyal[day] for day in days],
        new_customers=[new[day] for day in days],
        unique_customers=[unique[day] for day in days],
        percentages=VisitorPercentages(
            loyal=_percent(sum(loyal.values()), total),
            new=_percent(sum(new.values()), total),
            unique=Decimal("100.0") if total else Decimal("0.0"),
        ),
    )


async def top_products(
    session: AsyncSession,
    settings: Settings,
    limit: int,
    period: periods.Period | None,
    *,
    now: datetime | None = None,
) -> list[TopProduct]:
    """The ``limit`` best-selling products by units in orders that were not cancelled, over the last 1, 7,
    30 or 365 shop days (``period``) or all time; ties by revenue, then product id. One grouped query."""
    units = func.sum(OrderItem.quantity).label("units")
    revenue_cents = func.sum(OrderItem.line_total).label("revenue")
    statement = (
        select(Product.id, Product.name, Product.sku, units, revenue_cents)
        .join(OrderItem, OrderItem.product_id == Product.id)
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.status != OrderStatus.cancelled.value)
        .group_by(Product.id, Product.name, Product.sku)
        .order_by(units.desc(), revenue_cents.desc(), Product.id)
        .limit(limit)
    )
    if period is not None:
        zone = ZoneInfo(settings.shop_timezone)
        first, last = periods.window(period, settings.shop_today(now or utcnow()))
        statement = statement.where(
            Order.created_at >= periods.day_start(first, zone),
            Order.created_at < periods.day_start(last + timedelta(days=1), zone),
        )
    rows = (await session.execute(statement)).all()
    best = int(rows[0].units) if rows else 0
    return [
        TopProduct(
            id=row.id,
            rank=rank,
            name=row.name,
            sku=row.sku,
            popularity=int((Decimal(int(row.units)) * 100 / best).to_integral_value(ROUND_HALF_UP))
            if best
            else 0,
            sales=int(row.units),
            revenue=row.revenue or ZERO,
        )
        for rank, row in enumerate(rows, start=1)
    ]


def visitor_hash(settings: Settings, visitor_id: str) -> str:
    """The keyed hash a visitor is counted by: HMAC-SHA256 under the shop's signing key of the visitor id
    (hex). Without the key the stored hashes cannot be linked back to visitor ids."""
    key = hashlib.sha256(("fixdesk.sales.visits:" + settings.signing_key).encode()).digest()
    return hmac.new(key, visitor_id.encode(), hashlib.sha256).hexdigest()


async def record_visit(
    session: AsyncSession, settings: Settings, visitor_id: str, source: str, *, now: datetime | None = None
) -> None:
    """Count ``visitor_id`` as a visitor of the shop's today (once a day, whatever the number of page
    views; the day's first source is kept). Stores the keyed hash only, never the id or an address."""
    moment = now or utcnow()
    values = {
        "visitor_hash": visitor_hash(settings, visitor_id),
        "visited_on": settings.shop_today(moment),
        "source": source,
        "created_at": moment,
    }
    dialect = (await session.connection()).dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Visit)
        .values(id=new_id(), **values)
        .on_conflict_do_nothing(index_elements=["visited_on", "visitor_hash"])
    )
    await session.execute(statement)
