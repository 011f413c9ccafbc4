"""Building a shop's repair history for the analytics tests, and the overview computed in plain Python.

Repairs are taken in and walked through the lifecycle over the API, so the service stamps status,
``actualCompletion`` and ``completionDays`` itself; then the rows are back-dated through the ORM (there is
no API for moving time), keeping the turnaround the service computed. Reviews are written through the ORM.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.db import transaction, utcnow
from fixdesk.repairs.models import Repair, RepairReview
from tests.factories import TO_COMPLETED, Actor, backdate_repair, make_repair, walk

PATHS: dict[str, list[str]] = {
    "received": [],
    "diagnosing": ["diagnosing"],
    "quoted": ["diagnosing", "quoted"],
    "approved": ["diagnosing", "quoted", "approved"],
    "repairing": ["diagnosing", "quoted", "approved", "repairing"],
    "waiting_parts": ["diagnosing", "quoted", "approved", "waiting_parts"],
    "testing": ["diagnosing", "quoted", "approved", "repairing", "testing"],
    "completed": list(TO_COMPLETED),
    "delivered": [*TO_COMPLETED, "delivered"],
    "cancelled": ["diagnosing", "cancelled"],
}
STATUS_ORDER = list(PATHS)
DONE = {"completed", "delivered"}
PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}


def at(text: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DDTHH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def add_repair(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    staff: Actor,
    customer_id: uuid.UUID,
    *,
    status: str,
    created_at: datetime,
    completed_at: datetime | None = None,
    total_cost: str | None = None,
) -> uuid.UUID:
    """A repair taken in at ``created_at`` and now in ``status``; a completed or delivered one was finished
    at ``completed_at``. Returns its id."""
    overrides: dict[str, Any] = {"totalCost": total_cost} if total_cost is not None else {}
    repair = await make_repair(client, staff, customer_id, **overrides)
    if status in DONE:
        assert completed_at is not None, "a finished repair needs its completion time"
        # Taken in one turnaround ago, so the completion the service stamps now has the planned duration.
        await backdate_repair(sessionmaker, repair["id"], utcnow() - (completed_at - created_at))
    await walk(client, staff, repair["id"], *PATHS[status])
    values: dict[str, Any] = {"created_at": created_at}
    if status in DONE:
        values["actual_completion"] = completed_at
    async with transaction(sessionmaker) as session:
        await session.execute(update(Repair).where(Repair.id == uuid.UUID(repair["id"])).values(**values))
    return uuid.UUID(repair["id"])


async def add_review(
    sessionmaker: async_sessionmaker[AsyncSession], repair_id: uuid.UUID, rating: int, created_at: datetime
) -> None:
    """The customer's review of a finished repair, written at ``created_at``."""
    async with transaction(sessionmaker) as session:
        repair = await session.get(Repair, repair_id)
        assert repair is not None
        session.add(
            RepairReview(
                repair_id=repair_id,
                customer_id=repair.customer_id,
                rating=rating,
                comment="Thanks",
                created_at=created_at,
            )
        )


@dataclass
class Rows:
    """Every repair and review as stored."""

    repairs: list[Repair]
    reviews: list[RepairReview]


async def read_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> Rows:
    async with sessionmaker() as session:
        repairs = list((await session.execute(select(Repair))).scalars())
        reviews = list((await session.execute(select(RepairReview))).scalars())
    return Rows(repairs, reviews)


# --- the overview in plain Python ------------------------------------------------------------------------


def _two_places(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _average(values: list[Decimal]) -> float:
    return _two_places(sum(values, Decimal(0)) / len(values)) if values else 0.0


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment <= end


def python_overview(
    rows: Rows, label: str, start: datetime, end: datetime, currency: str = "USD"
) -> dict[str, Any]:
    """The JSON the endpoint should answer for the window ``start``..``end``, computed row by row."""
    completed = [r for r in rows.repairs if r.status in DONE and _within(r.actual_completion, start, end)]
    created = [r for r in rows.repairs if _within(r.created_at, start, end)]
    ratings = [Decimal(review.rating) for review in rows.reviews if _within(review.created_at, start, end)]
    by_status = {status: sum(1 for r in created if r.status == status) for status in STATUS_ORDER}
    daily = []
    day = end.date()
    while day >= start.date():
        of_day = [r for r in created if r.created_at.astimezone(UTC).date() == day]
        done = [r for r in of_day if r.status in DONE]
        daily.append(
            {
                "date": day.isoformat(),
                "repairs": len(of_day),
                "revenue": float(sum((r.total_cost or Decimal(0) for r in done), Decimal(0))),
                "avgCompletionTime": _average(
                    [r.completion_days for r in done if r.completion_days is not None]
                ),
            }
        )
        day -= timedelta(days=1)
    return {
        "overview": {
            "totalRevenue": float(sum((r.total_cost or Decimal(0) for r in completed), Decimal(0))),
            "totalRepairs": len(created),
            "avgCompletionTime": _average(
                [r.completion_days for r in completed if r.completion_days is not None]
            ),
            "customerSatisfaction": _average(ratings),
            "satisfactionCount": len(ratings),
        },
        "repairsByStatus": by_status,
        "dailyMetrics": daily,
        "period": {"label": label, "startDate": iso(start), "endDate": iso(end)},
        "currency": currency,
    }


def iso(moment: datetime) -> str:
    """How the API writes an instant: ISO 8601 in UTC with ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def zero_day(day: date) -> dict[str, Any]:
    return {"date": day.isoformat(), "repairs": 0, "revenue": 0.0, "avgCompletionTime": 0.0}
