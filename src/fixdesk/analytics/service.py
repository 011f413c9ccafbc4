"""Repair analytics: revenue, intake, turnaround and customer satisfaction over a recent period.

The numbers follow seed 000 (``GET /api/admin/analytics/overview``), made precise and exact:

* money and day sums are integer sums of the stored cents and hundredths (``db.Money`` and
  ``db.Hundredths`` columns), so SQLite and PostgreSQL agree to the cent; every mean is one ``Decimal``
  division in Python, rounded half-up to two places;
* calendar days are the shop's days (``FIXDESK_SHOP_TIMEZONE``): a repair taken in at 20:00 on 31
  December in New York counts on that day, not on 1 January as in UTC. Both backends compute the day the
  same way (:func:`shop_day`), from the zone's UTC offsets worked out in Python, so neither the database
  server's zone nor its own time zone data can move a repair to another day.

Where seed 000 is weak, Fixdesk differs on purpose: an unknown ``period`` is refused (400) instead of
silently becoming 30 days; ``delivered`` repairs count as done (the seed counted ``completed`` only, so a
repair left the revenue once collected); the window is exact 24-hour days in UTC instead of the server's
local calendar, and days are the shop's; means are exact decimals instead of float ``AVG``; and absent
data answers 0, never
``null``. The answer is not cached (the seed cached it for 10 minutes), so it always ends at the moment
of the request.

The answer takes three SQL statements whatever the number of repairs, days or reviews, each a range scan
of an index: ``repairs(created_at)``, ``repairs(actual_completion)`` and ``repair_reviews(created_at)``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, case, func, literal_column, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.db import CENT, cents_to_money, utcnow
from fixdesk.repairs import lifecycle
from fixdesk.repairs.models import Repair, RepairReview, RepairStatus

PeriodLabel = Literal["7d", "30d", "90d", "1y"]
"""The periods seed 000 offers: the last 7, 30 or 90 days, or the last year."""

PERIOD_DAYS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
"""Length of each period in days of 24 hours (a year is 365 days, as in seed 000)."""

DEFAULT_PERIOD: PeriodLabel = "30d"

# Completed (ready for pickup) and delivered (collected) both mean the work is done and billable. Seed 000
# counts only ``completed``, so a repair would drop out of the revenue the moment the customer collects it.
DONE_STATUSES: tuple[str, ...] = tuple(status.value for status in lifecycle.STATUS_GROUPS["completed"])

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PeriodWindow:
    """The time window of an overview: from ``start`` to ``end`` inclusive, both aware UTC datetimes, and
    the shop's time zone ``zone``, whose calendar days the daily figures follow."""

    label: str
    start: datetime
    end: datetime
    zone: tzinfo = UTC

    @classmethod
    def ending_at(cls, label: str, end: datetime, zone: tzinfo = UTC) -> PeriodWindow:
        """The period ``label`` (a key of :data:`PERIOD_DAYS`) ending at ``end``: it starts exactly
        ``days × 24 h`` earlier. Raises ``KeyError`` for an unknown label (the router only passes known
        ones)."""
        return cls(label=label, start=end - timedelta(days=PERIOD_DAYS[label]), end=end, zone=zone)

    def days(self) -> list[date]:
        """Every calendar date of the shop's zone the window touches, newest first: usually ``days + 1``
        dates, because the oldest and the newest one are partial days (the window starts at the current
        time of day)."""
        first, last = self.start.astimezone(self.zone).date(), self.end.astimezone(self.zone).date()
        return [last - timedelta(days=offset) for offset in range((last - first).days + 1)]


@dataclass(frozen=True)
class DayMetrics:
    """The repairs taken in on one calendar day of the shop during the period (seed 000's
    ``dailyMetrics`` row).

    ``repairs`` counts them whatever their status; ``revenue`` (shop currency) sums the total cost of
    those of them that are now completed or delivered, and ``average_completion_days`` is the mean of
    their completion days (two places, half-up; 0.00 when none is done).
    """

    day: date
    repairs: int = 0
    revenue: Decimal = Decimal("0.00")
    average_completion_days: Decimal = ZERO


@dataclass(frozen=True)
class RepairOverview:
    """The analytics overview of one period; see :func:`repair_overview` for every definition."""

    period: PeriodWindow
    total_revenue: Decimal
    total_repairs: int
    average_completion_days: Decimal
    customer_satisfaction: Decimal
    satisfaction_count: int
    repairs_by_status: dict[str, int]
    daily_metrics: list[DayMetrics] = field(default_factory=list)


def mean(total: int, count: int, *, scale: int = 1) -> Decimal:
    """``total / scale / count`` rounded half-up to two places, 0.00 when ``count`` is 0.

    ``total`` is an exact integer sum from SQL (hundredths of a day with ``scale=100``, or whole rating
    points); dividing once in ``Decimal`` keeps a half-hundredth such as 1.005 rounding up to 1.01, where
    a float ``AVG`` would give 1.0 or 1.00 depending on the backend.
    """
    if count == 0:
        return ZERO
    return (Decimal(total) / (scale * count)).quantize(CENT, rounding=ROUND_HALF_UP)


def utc_offset_periods(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The UTC offsets of ``zone`` between the instants ``start`` and ``end``: ``(since, seconds)`` pairs,
    the first ``since`` being ``start``, each offset applying until the next pair's instant.

    The zone is sampled once a day and each change is narrowed down to the second (zone rules change
    offsets on whole seconds, and never twice in a day). A year has two periods in a zone with daylight
    saving time and one elsewhere.
    """

    def offset(epoch: int) -> int:
        delta = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    first, last = int(start.timestamp()), int(end.timestamp()) + 1
    periods = [(start, offset(first))]
    sample = first
    while sample < last:
        following = min(sample + 86_400, last)
        current = periods[-1][1]
        if offset(following) != current:
            before, after = sample, following  # offset(before) == current != offset(after)
            while after - before > 1:
                middle = (before + after) // 2
                if offset(middle) == current:
                    before = middle
                else:
                    after = middle
            periods.append((datetime.fromtimestamp(after, UTC), offset(after)))
        sample = following
    return periods


def _day_at_offset(column: Any, seconds: int, dialect_name: str) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a UTC timestamp column moved by ``seconds``. The offset is an integer written
    as a literal, so the expression carries no bind parameter."""
    if dialect_name == "postgresql":
        # timezone('UTC', …) gives the UTC wall time whatever the session's TimeZone setting.
        moved = func.timezone(literal_column("'UTC'"), column) + literal_column(
            f"INTERVAL '{seconds} seconds'"
        )
        return func.to_char(moved, literal_column("'YYYY-MM-DD'"))
    # SQLite keeps naive UTC text, which date() reads; the modifier moves it first.
    return func.date(column, literal_column(f"'{seconds:+d} seconds'"))


def shop_day(
    column: Any, dialect_name: str, zone: tzinfo, start: datetime, end: datetime
) -> ColumnElement[str]:
    """The calendar date in ``zone`` of a :class:`fixdesk.db.UTCDateTime` column, as ``YYYY-MM-DD`` text,
    for values between ``start`` and ``end``.

    The zone's UTC offsets over the window come from Python's ``zoneinfo`` (:func:`utc_offset_periods`);
    the SQL adds the offset in force at each value (a ``CASE`` over the instants where it changes), the
    same way on SQLite and PostgreSQL. Group by the expression's label, not the expression: the change
    instants are bind parameters, which PostgreSQL would not recognise as the same expression twice.
    """
    periods = utc_offset_periods(zone, start, end)
    if len(periods) == 1:
        return _day_at_offset(column, periods[0][1], dialect_name)
    return case(
        *(
            (column < changes_at, _day_at_offset(column, seconds, dialect_name))
            for (_, seconds), (changes_at, _) in itertools.pairwise(periods)
        ),
        else_=_day_at_offset(column, periods[-1][1], dialect_name),
    )


def _integer_sum(column: Any) -> ColumnElement[int]:
    # The raw integer sum (cents, hundredths): without the coercion the Money/Hundredths type would carry
    # through SUM and convert the result, and the exact integer is what the means are computed from.
    return type_coerce(func.coalesce(func.sum(column), 0), BigInteger())


async def repair_overview(
    session: AsyncSession,
    label: PeriodLabel = DEFAULT_PERIOD,
    *,
    now: datetime | None = None,
    zone: str | tzinfo = "UTC",
) -> RepairOverview:
    """The shop's repair analytics for the period ``label`` ending ``now`` (default: the current time),
    with days on the calendar of ``zone`` (the shop's time zone, ``settings.shop_timezone``).

    The period runs from ``days × 24 h`` before ``now`` up to ``now``, both ends included (``7d``, ``30d``,
    ``90d``, ``1y`` = 7, 30, 90, 365 days). Within it:

    * ``total_revenue``: the sum of ``total_cost`` of the repairs *completed* in the period (status
      ``completed`` or ``delivered`` and ``actual_completion`` in the period), in the shop currency,
      two places. A repair without a total cost adds nothing. Seed 000 counted ``completed`` only, which
      loses every repair once it is collected.
    * ``total_repairs`` and ``repairs_by_status``: the repairs *created* in the period, counted by their
      current status. Every status of the lifecycle is a key, in lifecycle order, with 0 when none has it
      (seed 000 lists only the statuses present, which makes a client guess whether a missing key means 0).
    * ``average_completion_days``: the mean ``completion_days`` (days, two places, half-up) of the repairs
      completed in the period, as for the revenue; 0.00 when there are none.
    * ``customer_satisfaction``: the mean rating (1–5, two places, half-up) of the reviews *written* in the
      period, ``satisfaction_count`` their number; 0.00 and 0 when there are none.
    * ``daily_metrics``: one :class:`DayMetrics` for every calendar date of the shop (``zone``) from the
      period's start to ``now``, newest first (as in seed 000), days without intake included with zeros, so a chart needs no
      gap filling. A day's figures are about the repairs *created* that day (seed 000's definition, a
      cohort view): its revenue therefore differs from ``total_revenue``, which is by completion date.

    Three SQL statements, independent of the amount of data. Means are never ``AVG`` in SQL: integer sums
    and counts are divided in Python (:func:`mean`), so both backends give the same digits. Raises
    ``KeyError`` for a label outside :data:`PERIOD_DAYS` (the endpoint admits only those and answers 400
    for any other).
    """
    shop_zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    window = PeriodWindow.ending_at(label, now or utcnow(), shop_zone)
    dialect_name = session.get_bind().dialect.name

    completed_in_period = (
        Repair.status.in_(DONE_STATUSES),
        Repair.actual_completion >= window.start,
        Repair.actual_completion <= window.end,
    )
    revenue_cents, completion_hundredths, completion_count = (
        await session.execute(
            select(
                _integer_sum(Repair.total_cost),
                _integer_sum(Repair.completion_days),
                func.count(Repair.completion_days),
            ).where(*completed_in_period)
        )
    ).one()

    rating_total, review_count = (
        await session.execute(
            select(_integer_sum(RepairReview.rating), func.count()).where(
                RepairReview.created_at >= window.start, RepairReview.created_at <= window.end
            )
        )
    ).one()

    # One pass over the repairs created in the period, grouped by the shop's day and status: the status
    # counts and the daily figures both come from it.
    day = shop_day(Repair.created_at, dialect_name, shop_zone, window.start, window.end).label("shop_day")
    intake_rows = (
        await session.execute(
            select(
                day,
                Repair.status,
                func.count(),
                _integer_sum(Repair.total_cost),
                _integer_sum(Repair.completion_days),
                func.count(Repair.completion_days),
            )
            .where(Repair.created_at >= window.start, Repair.created_at <= window.end)
            .group_by(literal_column("shop_day"), Repair.status)
        )
    ).all()

    by_status: Counter[str] = Counter({status.value: 0 for status in RepairStatus})
    repairs_per_day: Counter[date] = Counter()
    revenue_per_day: Counter[date] = Counter()
    completion_total_per_day: Counter[date] = Counter()
    completion_count_per_day: Counter[date] = Counter()
    for day_text, status, count, cents, hundredths, completed_count in intake_rows:
        created_on = date.fromisoformat(day_text)
        by_status[status] += count
        repairs_per_day[created_on] += count
        if status in DONE_STATUSES:
            revenue_per_day[created_on] += int(cents)
            completion_total_per_day[created_on] += int(hundredths)
            completion_count_per_day[created_on] += completed_count

    daily = [
        DayMetrics(
            day=created_on,
            repairs=repairs_per_day[created_on],
            revenue=cents_to_money(revenue_per_day[created_on]),
            average_completion_days=mean(
                completion_total_per_day[created_on], completion_count_per_day[created_on], scale=100
            ),
        )
        for created_on in window.days()
    ]
    return RepairOverview(
        period=window,
        total_revenue=cents_to_money(revenue_cents),
        total_repairs=sum(by_status.values()),
        average_completion_days=mean(int(completion_hundredths), int(completion_count), scale=100),
        customer_satisfaction=mean(int(rating_total), int(review_count)),
        satisfaction_count=int(review_count),
        repairs_by_status=dict(by_status),
        daily_metrics=daily,
    )
