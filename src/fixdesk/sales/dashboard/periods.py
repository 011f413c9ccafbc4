"""The windows and chart buckets of the sales dashboard, on the shop's calendar
(``FIXDESK_SHOP_TIMEZONE``): every boundary is the start of a shop day (or hour, or month) converted to
UTC, so "Monday" is the shop's Monday whatever the server's zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

Period = Literal["day", "week", "month", "year"]

WEEKDAYS = list(calendar.day_name)  # Monday … Sunday (seed 002's labels)
MONTHS = list(calendar.month_abbr)[1:]  # Jan … Dec


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant the shop's ``day`` begins."""
    return datetime.combine(day, time(), tzinfo=zone)


@dataclass(frozen=True)
class Buckets:
    """A chart's points: ``labels[i]`` names ``[boundaries[i], boundaries[i + 1])``; ``days`` the shop
    days of the points when each point is one day."""

    labels: list[str]
    boundaries: list[datetime]
    days: list[date] | None = None

    @property
    def start(self) -> datetime:
        return self.boundaries[0]

    @property
    def end(self) -> datetime:
        return self.boundaries[-1]


def daily(first: date, last: date, zone: tzinfo, labels: list[str] | None = None) -> Buckets:
    """One point per shop day from ``first`` to ``last`` inclusive, labelled ``YYYY-MM-DD`` by default."""
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return Buckets(
        labels=labels or [day.isoformat() for day in days],
        boundaries=[day_start(day, zone) for day in days] + [day_start(last + timedelta(days=1), zone)],
        days=days,
    )


def chart(period: Period, today: date, zone: tzinfo) -> Buckets:
    """The buckets of a revenue chart around the shop's ``today``:

    * ``day``: the 24 hours of today, labelled ``00:00`` … ``23:00``;
    * ``week``: Monday to Sunday of this week (ISO week), labelled with the weekday's name (seed 002);
    * ``month``: every day of this month, labelled ``YYYY-MM-DD``;
    * ``year``: the twelve months of this year, labelled ``Jan`` … ``Dec``.
    """
    if period == "day":
        hours = [datetime.combine(today, time(hour), tzinfo=zone) for hour in range(24)]
        return Buckets(
            labels=[f"{hour:02d}:00" for hour in range(24)],
            boundaries=[*hours, day_start(today + timedelta(days=1), zone)],
            days=None,
        )
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        return daily(monday, monday + timedelta(days=6), zone, labels=WEEKDAYS)
    if period == "month":
        first = today.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return daily(first, last, zone)
    months = [date(today.year, month, 1) for month in range(1, 13)]
    return Buckets(
        labels=MONTHS,
        boundaries=[day_start(month, zone) for month in months]
        + [day_start(date(today.year + 1, 1, 1), zone)],
    )


def trailing_days(period: Literal["day", "week", "month"], today: date) -> tuple[date, date]:
    """The shop days a visitors chart covers, ending today: 1, 7 or 30 days."""
    length = {"day": 1, "week": 7, "month": 30}[period]
    return today - timedelta(days=length - 1), today


def window(period: Period, today: date) -> tuple[date, date]:
    """The shop days a top-products ranking covers, ending today: 1, 7, 30 or 365 days."""
    length = {"day": 1, "week": 7, "month": 30, "year": 365}[period]
    return today - timedelta(days=length - 1), today
