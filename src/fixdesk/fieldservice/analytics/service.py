"""Field analytics, each figure defined here and computed the same way on SQLite and PostgreSQL: the
database returns plain rows (counts, sums, dates), and the arithmetic (rates, medians, quintiles) is done
in Python, so neither database's date or rounding functions decide a number.

Days and months are the shop's (``FIXDESK_SHOP_TIMEZONE``); money is Decimal in the shop's currency.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.fieldservice.models import (
    Equipment,
    ServiceLocation,
    WorkOrder,
    WorkOrderPriority,
    WorkOrderStatus,
)
from fixdesk.repairs import access as repairs

RECENT_DAYS = 90
"""The window of the rates (first-time fix, response time, satisfaction): the last 90 days."""
REVISIT_DAYS = 30
"""A fix holds when no other work order comes to the same equipment (or, without equipment, the same
location) within 30 days of its completion."""
UNPLANNED_PRIORITIES = (
    WorkOrderPriority.high.value,
    WorkOrderPriority.urgent.value,
    WorkOrderPriority.emergency.value,
)
"""Work orders at these priorities are corrective visits: something broke, nobody planned them."""
OPEN = (WorkOrderStatus.draft.value, WorkOrderStatus.scheduled.value, WorkOrderStatus.in_progress.value)
DONE = WorkOrderStatus.completed.value


@dataclass(frozen=True)
class FieldDashboard:
    total_customers: int
    active_work_orders: int
    revenue_mtd: Decimal
    first_time_fix_rate: float | None
    average_response_time_hours: float | None
    customer_satisfaction: float | None


def _month_start(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


async def dashboard(session: AsyncSession, settings: Settings, now: datetime) -> FieldDashboard:
    """Seed 001's dashboard at ``now``:

    * ``total_customers``: customers whose status is active;
    * ``active_work_orders``: work orders not yet completed or cancelled (draft, scheduled, in progress);
    * ``revenue_mtd``: the totals of the work orders completed since the first day of the shop's month;
    * ``first_time_fix_rate``: of the work orders completed in the last :data:`RECENT_DAYS` days (at least
      :data:`REVISIT_DAYS` ago, so each has had its chance to hold), the share with no other work order at
      the same equipment, or the same location when it has none, created within :data:`REVISIT_DAYS`
      days after its completion (``None`` without any);
    * ``average_response_time_hours``: the mean time from a work order's creation to its start, over those
      started in the last :data:`RECENT_DAYS` days;
    * ``customer_satisfaction``: the mean rating (1–5) customers gave in the last :data:`RECENT_DAYS`
      days (the repairs' reviews, the shop's one rating).
    """
    zone = ZoneInfo(settings.shop_timezone)
    since = now - timedelta(days=RECENT_DAYS)
    customers = (
        await session.execute(select(func.count()).where(Customer.status == CustomerStatus.active))
    ).scalar_one()
    active = (await session.execute(select(func.count()).where(WorkOrder.status.in_(OPEN)))).scalar_one()
    revenue = (
        await session.execute(
            select(func.coalesce(func.sum(WorkOrder.total), 0)).where(
                WorkOrder.status == DONE, WorkOrder.completed_at >= _month_start(now, zone)
            )
        )
    ).scalar_one()
    started = (
        await session.execute(
            select(WorkOrder.created_at, WorkOrder.started_at).where(
                WorkOrder.started_at.is_not(None), WorkOrder.started_at >= since
            )
        )
    ).all()
    response_hours = [
        (start - created).total_seconds() / 3600 for created, start in started if start >= created
    ]
    satisfaction, _ = await repairs.average_rating(session, since)
    return FieldDashboard(
        total_customers=int(customers),
        active_work_orders=int(active),
        revenue_mtd=Decimal(revenue).quantize(Decimal("0.01")),
        first_time_fix_rate=await _first_time_fix_rate(session, now),
        average_response_time_hours=round(statistics.fmean(response_hours), 2) if response_hours else None,
        customer_satisfaction=round(satisfaction, 2) if satisfaction is not None else None,
    )


async def _first_time_fix_rate(session: AsyncSession, now: datetime) -> float | None:
    earliest = now - timedelta(days=RECENT_DAYS)
    latest = now - timedelta(days=REVISIT_DAYS)
    rows = (
        await session.execute(
            select(
                WorkOrder.id,
                WorkOrder.equipment_id,
                WorkOrder.location_id,
                WorkOrder.completed_at,
                WorkOrder.created_at,
            ).where(WorkOrder.location_id.is_not(None))
        )
    ).all()
    visits: dict[tuple[str, uuid.UUID], list[tuple[datetime, uuid.UUID]]] = defaultdict(list)
    for row in rows:
        place = ("equipment", row.equipment_id) if row.equipment_id else ("location", row.location_id)
        visits[place].append((row.created_at, row.id))
    judged = held = 0
    for row in rows:
        if row.completed_at is None or not (earliest <= row.completed_at <= latest):
            continue
        place = ("equipment", row.equipment_id) if row.equipment_id else ("location", row.location_id)
        judged += 1
        deadline = row.completed_at + timedelta(days=REVISIT_DAYS)
        if not any(
            other != row.id and row.completed_at <= created <= deadline for created, other in visits[place]
        ):
            held += 1
    return round(held / judged, 3) if judged else None


@dataclass(frozen=True)
class EquipmentHealth:
    equipment_id: uuid.UUID
    customer_id: uuid.UUID
    equipment_type: str
    make: str | None
    model: str | None
    age_years: float | None
    services: int
    corrective_visits_12_months: int
    last_service_on: date | None
    next_due_on: date | None
    health_score: int


async def equipment_health(session: AsyncSession, settings: Settings, now: datetime) -> list[EquipmentHealth]:
    """Every piece of equipment with:

    * ``age_years`` since ``installedOn`` (``None`` when unknown);
    * ``services``: its completed work orders;
    * ``corrective_visits_12_months``: its work orders of the last 365 days at an unplanned priority
      (:data:`UNPLANNED_PRIORITIES`), whatever their status;
    * ``next_due_on``: the last completed service plus the median gap between its completed services
      (with two or more), else one year after the last service (or after installation);
    * ``health_score`` 0–100: 100, less 5 per year of age beyond 5 years (at most 40), less 15 per
      corrective visit in 12 months (at most 45), less 15 when the next service is overdue; never below 0.

    Worst first (lowest score), then by type."""
    zone = ZoneInfo(settings.shop_timezone)
    today = now.astimezone(zone).date()
    year_ago = now - timedelta(days=365)
    equipment = (
        await session.execute(
            select(Equipment, ServiceLocation.customer_id).join(
                ServiceLocation, ServiceLocation.id == Equipment.location_id
            )
        )
    ).all()
    orders = (
        await session.execute(
            select(
                WorkOrder.equipment_id,
                WorkOrder.status,
                WorkOrder.priority,
                WorkOrder.completed_at,
                WorkOrder.created_at,
            ).where(WorkOrder.equipment_id.is_not(None))
        )
    ).all()
    by_equipment: dict[uuid.UUID, list] = defaultdict(list)
    for order in orders:
        by_equipment[order.equipment_id].append(order)
    results = []
    for item, customer_id in equipment:
        own = by_equipment.get(item.id, [])
        done = sorted(
            o.completed_at.astimezone(zone).date() for o in own if o.status == DONE and o.completed_at
        )
        corrective = sum(1 for o in own if o.priority in UNPLANNED_PRIORITIES and o.created_at >= year_ago)
        age = round((today - item.installed_on).days / 365.25, 1) if item.installed_on else None
        last = done[-1] if done else None
        if len(done) >= 2:
            gap = statistics.median((b - a).days for a, b in itertools.pairwise(done))
            next_due = last + timedelta(days=max(1, round(gap)))
        elif last or item.installed_on:
            next_due = (last or item.installed_on) + timedelta(days=365)
        else:
            next_due = None
        score = 100
        if age is not None and age > 5:
            score -= min(40, round((age - 5) * 5))
        score -= min(45, 15 * corrective)
        if next_due is not None and next_due < today:
            score -= 15
        results.append(
            EquipmentHealth(
                equipment_id=item.id,
                customer_id=customer_id,
                equipment_type=item.equipment_type,
                make=item.make,
                model=item.model,
                age_years=age,
                services=len(done),
                corrective_visits_12_months=corrective,
                last_service_on=last,
                next_due_on=next_due,
                health_score=max(0, score),
            )
        )
    return sorted(results, key=lambda r: (r.health_score, r.equipment_type, str(r.equipment_id)))


@dataclass(frozen=True)
class CustomerInsight:
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    visits: int
    lifetime_value: Decimal
    last_visit_on: date | None
    recency_score: int
    frequency_score: int
    monetary_score: int
    segment: str
    usual_interval_days: int | None
    churn_risk: float | None


SEGMENTS = (
    ("champions", lambda r, f, m: r >= 4 and f >= 4 and m >= 4),
    ("at_risk", lambda r, f, m: r <= 2 and f >= 3),
    ("loyal", lambda r, f, m: f >= 4),
    ("promising", lambda r, f, m: r >= 4),
    ("hibernating", lambda r, f, m: r <= 2),
    ("needs_attention", lambda r, f, m: True),
)
"""RFM segments, the first that fits: champions (recent, frequent, spending), at risk (used to come often,
not lately), loyal (frequent), promising (recent), hibernating (not lately), needs attention (the rest)."""


def _quintile_scores(values: dict[uuid.UUID, float]) -> dict[uuid.UUID, int]:
    """1–5 by percent rank among ``values``: the lowest value scores 1, the highest 5, the others in
    proportion to their rank (ties share the rank of the first of them); a single customer scores 3."""
    ordered = sorted(values.values())
    count = len(ordered)
    if count == 1:
        return dict.fromkeys(values, 3)
    return {
        key: 1 + round(4 * bisect.bisect_left(ordered, value) / (count - 1)) for key, value in values.items()
    }


async def customer_intelligence(
    session: AsyncSession, settings: Settings, now: datetime
) -> list[CustomerInsight]:
    """Every customer with a completed work order: ``visits`` (completed work orders), ``lifetime_value``
    (their totals), ``last_visit_on``; RFM scores 1–5 by percent rank among these customers (recency: fewer days
    since the last visit scores higher; frequency: visits; monetary: lifetime value) and the segment of
    :data:`SEGMENTS`; ``usual_interval_days``, the median gap between their visits (two visits or more);
    ``churn_risk`` 0..1, the days since the last visit over twice the usual interval, capped at 1 (``None``
    without a usual interval). Highest churn risk first."""
    zone = ZoneInfo(settings.shop_timezone)
    today = now.astimezone(zone).date()
    rows = (
        await session.execute(
            select(WorkOrder.customer_id, WorkOrder.completed_at, WorkOrder.total).where(
                WorkOrder.status == DONE, WorkOrder.completed_at.is_not(None)
            )
        )
    ).all()
    visits: dict[uuid.UUID, list[date]] = defaultdict(list)
    spent: dict[uuid.UUID, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for row in rows:
        visits[row.customer_id].append(row.completed_at.astimezone(zone).date())
        spent[row.customer_id] += Decimal(row.total)
    if not visits:
        return []
    names = {
        row.id: (row.first_name, row.last_name)
        for row in (
            await session.execute(
                select(Customer.id, Customer.first_name, Customer.last_name).where(
                    Customer.id.in_(list(visits))
                )
            )
        ).all()
    }
    recency = _quintile_scores({key: -float((today - max(days)).days) for key, days in visits.items()})
    frequency = _quintile_scores({key: float(len(days)) for key, days in visits.items()})
    monetary = _quintile_scores({key: float(value) for key, value in spent.items()})
    results = []
    for customer_id, days in visits.items():
        days.sort()
        interval = (
            round(statistics.median((b - a).days for a, b in itertools.pairwise(days)))
            if len(days) > 1
            else None
        )
        since_last = (today - days[-1]).days
        risk = min(1.0, round(since_last / (2 * interval), 3)) if interval else None
        r, f, m = recency[customer_id], frequency[customer_id], monetary[customer_id]
        segment = next(name for name, fits in SEGMENTS if fits(r, f, m))
        first, last = names.get(customer_id, ("", ""))
        results.append(
            CustomerInsight(
                customer_id=customer_id,
                first_name=first,
                last_name=last,
                visits=len(days),
                lifetime_value=spent[customer_id].quantize(Decimal("0.01")),
                last_visit_on=days[-1],
                recency_score=r,
                frequency_score=f,
                monetary_score=m,
                segment=segment,
                usual_interval_days=interval,
                churn_risk=risk,
            )
        )
    return sorted(results, key=lambda c: (-(c.churn_risk or 0), str(c.customer_id)))
