"""Human document numbers, gap-free per prefix and year: ``R-2026-000123``, ``WO-…``, ``INV-…``, ``ORD-…``.

The year is the shop's (``FIXDESK_SHOP_TIMEZONE``), not UTC's: a repair taken in at 20:00 on 31 December
in New York (01:00 on 1 January in UTC) is numbered in the year it was on the shop's calendar, like the
paperwork handed to the customer.

One counter row per (prefix, year) is incremented with ``UPDATE … RETURNING`` inside the caller's
transaction. On PostgreSQL the row lock makes concurrent creators take turns, and a rolled-back creation
rolls its increment back too, so committed numbers never skip or repeat. On SQLite the write transaction
(``BEGIN IMMEDIATE``) serialises creators the same way. Invoice numbering law in many countries requires
exactly this (no gaps), which a database sequence cannot give.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, utcnow


class NumberSequence(Base):
    """The last number handed out for one prefix in one year."""

    __tablename__ = "number_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


def local_year(at: datetime, zone: str | tzinfo) -> int:
    """The calendar year of the instant ``at`` (aware) in ``zone`` (an IANA name or a ``tzinfo``)."""
    return at.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).year


async def next_number(
    session: AsyncSession,
    prefix: str,
    *,
    at: datetime | None = None,
    zone: str | tzinfo = "UTC",
    width: int = 6,
) -> str:
    """Take the next number for ``prefix`` in the year of ``at`` (default now) in the time zone ``zone``
    (pass the shop's, ``settings.shop_timezone``), e.g. ``R-2026-000001``."""
    year = local_year(at or utcnow(), zone)
    params = {"prefix": prefix, "year": year}
    await session.execute(
        text(
            "INSERT INTO number_sequences (prefix, year, last_value) VALUES (:prefix, :year, 0) "
            "ON CONFLICT (prefix, year) DO NOTHING"
        ),
        params,
    )
    value = (
        await session.execute(
            text(
                "UPDATE number_sequences SET last_value = last_value + 1 "
                "WHERE prefix = :prefix AND year = :year RETURNING last_value"
            ),
            params,
        )
    ).scalar_one()
    return f"{prefix}-{year}-{value:0{width}d}"
