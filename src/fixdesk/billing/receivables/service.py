"""Receivables (issue 12, item 8): what customers owe by how late it is, what was invoiced and collected
per month, and how customers paid. Each figure is defined on its function below.

Every figure is an aggregate query (``GROUP BY``, a handful of statements whatever the number of
invoices) whose day and month boundaries are computed here, in the shop's calendar
(``FIXDESK_SHOP_TIMEZONE``), and compared with the stored dates and UTC instants in plain ``CASE``
expressions: neither database's date functions decide a bucket or a month, so SQLite and PostgreSQL give
the same answer for the same rows. Sums are exact (money is integer cents in the database, ``Decimal``
here) in the invoices' currency (the shop's ``FIXDESK_CURRENCY``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.billing import lifecycle
from fixdesk.billing.models import CreditNote, Invoice, InvoiceStatus, Payment, PaymentKind
from fixdesk.customers.models import Customer

ZERO = Decimal("0.00")
AGING_BUCKETS: tuple[str, ...] = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
"""The aging buckets by days past the due date on the shop's calendar: ``current`` (not yet due: due
today or later), 1–30, 31–60, 61–90 and over 90 days past due (the accountants' standard aging report)."""
BUCKET_UPPER_DAYS: tuple[int, ...] = (0, 30, 60, 90)
"""The most days past due of each bucket but the last (``current`` is 0 days past due or less)."""
DEFAULT_MONTHS = 12
MAX_MONTHS = 24
_OWING = [status.value for status in lifecycle.OWING]


@dataclass
class AgingRow:
    """What one customer (or, for the totals, everyone) owes, split by :data:`AGING_BUCKETS`: each bucket
    the sum of the balances due of the issued invoices in it, ``invoices`` how many owe anything."""

    customer_id: uuid.UUID | None
    customer_name: str
    invoices: int = 0
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(AGING_BUCKETS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass(frozen=True)
class MonthRow:
    """One month of the shop's calendar (``month`` its first day)."""

    month: date
    invoiced: Decimal
    credited: Decimal
    collected: Decimal


@dataclass(frozen=True)
class MethodRow:
    method: str
    payments: int
    received: Decimal
    refunds: int
    refunded: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass(frozen=True)
class Receivables:
    as_of: date
    customers: list[AgingRow]
    totals: AgingRow
    months: list[MonthRow]
    methods: list[MethodRow]

    @property
    def period_start(self) -> date:
        return self.months[0].month

    @property
    def period_end(self) -> date:
        """The last day of the period (the end of the current month)."""
        return _next_month(self.months[-1].month) - timedelta(days=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the ``months`` months ending with ``today``'s, oldest first, and the first day
    of the month after (``months + 1`` dates)."""
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    starts = [first]
    for _ in range(months):
        starts.append(_next_month(starts[-1]))
    return starts


async def aging(session: AsyncSession, today: date) -> tuple[list[AgingRow], AgingRow]:
    """The aging of receivables on ``today`` (the shop's day): every issued invoice still owing (status
    ``sent``, ``partially_paid`` or ``overdue``, balance above zero; drafts and void invoices owe
    nothing) counted with its **balance due** in the bucket of its days past due, ``today − due date``.
    Per customer (most owed first, then by name) and in total. One ``GROUP BY`` query."""
    bounds = [today - timedelta(days=days) for days in BUCKET_UPPER_DAYS]
    bucket = case(
        *[(Invoice.due_date >= bound, index) for index, bound in enumerate(bounds)],
        else_=len(bounds),
    ).label("bucket")
    statement = (
        select(
            Invoice.customer_id,
            Customer.first_name,
            Customer.last_name,
            bucket,
            func.count().label("invoices"),
            func.sum(Invoice.balance_due).label("owed"),
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.status.in_(_OWING), Invoice.balance_due > 0)
        .group_by(Invoice.customer_id, Customer.first_name, Customer.last_name, bucket)
    )
    rows: dict[uuid.UUID, AgingRow] = {}
    totals = AgingRow(customer_id=None, customer_name="")
    for row in (await session.execute(statement)).all():
        name = f"{row.first_name} {row.last_name}".strip()
        entry = rows.setdefault(row.customer_id, AgingRow(customer_id=row.customer_id, customer_name=name))
        key = AGING_BUCKETS[row.bucket]
        owed = Decimal(row.owed or 0).quantize(Decimal("0.01"))
        entry.buckets[key] += owed
        entry.invoices += row.invoices
        totals.buckets[key] += owed
        totals.invoices += row.invoices
    ordered = sorted(
        rows.values(), key=lambda entry: (-entry.total, entry.customer_name, str(entry.customer_id))
    )
    return ordered, totals


def _month_case(column: Any, bounds: Sequence[date | datetime]) -> Any:
    """The index of the month ``column`` falls in: ``bounds`` are the months' first days (or instants)
    and the end of the last one; the caller keeps ``column`` within them."""
    return case(*[(column < bounds[index + 1], index) for index in range(len(bounds) - 1)]).label("month")


async def monthly(session: AsyncSession, starts: list[date], zone: ZoneInfo) -> list[MonthRow]:
    """Per month of ``starts`` (see :func:`month_starts`), on the shop's calendar:

    * ``invoiced``: the totals of the invoices issued that month (by issue date), void ones left out (a
      void invoice was never owed);
    * ``credited``: the totals of the credit notes issued that month;
    * ``collected``: the payments received that month (by the moment received, in the shop's time zone)
      less the refunds given that month.

    Three ``GROUP BY`` queries; months without any are zeros."""
    invoiced = dict.fromkeys(range(len(starts) - 1), ZERO)
    credited = dict(invoiced)
    collected = dict(invoiced)
    month = _month_case(Invoice.issue_date, starts)
    for row in (
        await session.execute(
            select(month, func.sum(Invoice.total).label("amount"))
            .where(
                Invoice.issue_date >= starts[0],
                Invoice.issue_date < starts[-1],
                Invoice.status.not_in([InvoiceStatus.draft.value, InvoiceStatus.void.value]),
            )
            .group_by(month)
        )
    ).all():
        invoiced[row.month] = Decimal(row.amount or 0)
    month = _month_case(CreditNote.issue_date, starts)
    for row in (
        await session.execute(
            select(month, func.sum(CreditNote.total).label("amount"))
            .where(CreditNote.issue_date >= starts[0], CreditNote.issue_date < starts[-1])
            .group_by(month)
        )
    ).all():
        credited[row.month] = Decimal(row.amount or 0)
    instants = [datetime.combine(day, time.min, tzinfo=zone) for day in starts]
    month = _month_case(Payment.received_at, instants)
    for row in (
        await session.execute(
            select(month, Payment.kind, func.sum(Payment.amount).label("amount"))
            .where(Payment.received_at >= instants[0], Payment.received_at < instants[-1])
            .group_by(month, Payment.kind)
        )
    ).all():
        sign = -1 if row.kind == PaymentKind.refund else 1
        collected[row.month] += sign * Decimal(row.amount or 0)
    return [
        MonthRow(
            month=starts[index],
            invoiced=invoiced[index].quantize(Decimal("0.01")),
            credited=credited[index].quantize(Decimal("0.01")),
            collected=collected[index].quantize(Decimal("0.01")),
        )
        for index in range(len(starts) - 1)
    ]


async def by_method(session: AsyncSession, start: datetime, end: datetime) -> list[MethodRow]:
    """Payments by method received from ``start`` up to ``end`` (aware instants): per method how many
    payments and how much they brought in, how many refunds were given and how much they gave back
    (a refund keeps its payment's method). Methods by net amount, largest first. One ``GROUP BY``."""
    statement = (
        select(
            Payment.method,
            Payment.kind,
            func.count().label("count"),
            func.sum(Payment.amount).label("amount"),
        )
        .where(Payment.received_at >= start, Payment.received_at < end)
        .group_by(Payment.method, Payment.kind)
    )
    figures: dict[str, dict[str, tuple[int, Decimal]]] = {}
    for row in (await session.execute(statement)).all():
        figures.setdefault(row.method, {})[row.kind] = (
            int(row.count),
            Decimal(row.amount or 0).quantize(Decimal("0.01")),
        )
    rows = [
        MethodRow(
            method=method,
            payments=kinds.get(PaymentKind.payment.value, (0, ZERO))[0],
            received=kinds.get(PaymentKind.payment.value, (0, ZERO))[1],
            refunds=kinds.get(PaymentKind.refund.value, (0, ZERO))[0],
            refunded=kinds.get(PaymentKind.refund.value, (0, ZERO))[1],
        )
        for method, kinds in figures.items()
    ]
    return sorted(rows, key=lambda row: (-row.net, row.method))


async def receivables(
    session: AsyncSession, *, today: date, zone: str, months: int = DEFAULT_MONTHS
) -> Receivables:
    """The receivables report on ``today`` (the shop's day, in time zone ``zone``): the aging
    (:func:`aging`), the last ``months`` months up to and including the current one (:func:`monthly`)
    and the payments by method over those same months (:func:`by_method`). Five queries."""
    tz = ZoneInfo(zone)
    starts = month_starts(today, months)
    customers, totals = await aging(session, today)
    return Receivables(
        as_of=today,
        customers=customers,
        totals=totals,
        months=await monthly(session, starts, tz),
        methods=await by_method(
            session,
            datetime.combine(starts[0], time.min, tzinfo=tz),
            datetime.combine(starts[-1], time.min, tzinfo=tz),
        ),
    )
