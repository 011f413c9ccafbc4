"""The analytics' days are the shop's days (issue 9, item 9), on SQLite and PostgreSQL alike: a repair taken
in at 20:00 on 31 December in New York counts on that day, not on 1 January as in UTC; one taken in at
00:30 on 1 January in Auckland counts on 1 January, not on 31 December. Every instant is explicit, and
the period ends at a fixed instant, so nothing depends on the day the tests run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from fixdesk.analytics.schemas import AnalyticsOverview
from fixdesk.analytics.service import repair_overview, utc_offset_periods
from fixdesk.db import utcnow
from tests.analytics.shop import add_repair
from tests.conftest import make_settings
from tests.factories import make_customer, make_user


def instant(text: str) -> datetime:
    """An aware instant from ISO 8601 with its offset, e.g. ``2026-01-01T01:00:00Z``."""
    return datetime.fromisoformat(text)


async def take_in(client, app, sessionmaker, *moments: str, delivered: dict[str, str] | None = None) -> None:
    """A repair taken in at each instant; those in ``delivered`` (instant → total) were completed an hour
    later and collected."""
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    for moment in moments:
        created = instant(moment)
        total = (delivered or {}).get(moment)
        await add_repair(
            client,
            sessionmaker,
            staff,
            customer.id,
            status="delivered" if total else "received",
            created_at=created,
            completed_at=created + timedelta(hours=1) if total else None,
            total_cost=total,
        )


async def daily(sessionmaker, label: str, now: str, zone: str) -> dict[str, tuple[int, float]]:
    """``{date: (repairs, revenue)}`` of the overview's days that had intake, as the endpoint answers."""
    async with sessionmaker() as session:
        result = await repair_overview(session, label, now=instant(now), zone=zone)
    body = AnalyticsOverview.of(result, "USD").model_dump(mode="json")
    days = [day["date"] for day in body["dailyMetrics"]]
    assert days == sorted(days, reverse=True), "newest first"
    assert len(days) == len(set(days)), "each date once"
    return {day["date"]: (day["repairs"], day["revenue"]) for day in body["dailyMetrics"] if day["repairs"]}


async def test_new_years_eve_in_new_york_belongs_to_the_old_year(client, app, sessionmaker):
    # EST is UTC−5.
    await take_in(
        client,
        app,
        sessionmaker,
        "2026-01-01T01:00:00Z",  # 20:00 on 31 December in New York
        "2026-01-01T04:59:59Z",  # 23:59:59 on 31 December
        "2026-01-01T05:00:00Z",  # midnight: 1 January
        "2025-12-31T04:00:00Z",  # 23:00 on 30 December
        delivered={"2026-01-01T01:00:00Z": "120.00"},
    )

    in_new_york = await daily(sessionmaker, "7d", now="2026-01-02T12:00:00Z", zone="America/New_York")
    in_utc = await daily(sessionmaker, "7d", now="2026-01-02T12:00:00Z", zone="UTC")

    assert in_new_york == {"2026-01-01": (1, 0.0), "2025-12-31": (2, 120.0), "2025-12-30": (1, 0.0)}
    assert in_utc == {"2026-01-01": (3, 120.0), "2025-12-31": (1, 0.0)}


async def test_new_year_in_auckland_starts_thirteen_hours_before_utcs(client, app, sessionmaker):
    # NZDT is UTC+13.
    await take_in(
        client,
        app,
        sessionmaker,
        "2025-12-31T10:59:59Z",  # 23:59:59 on 31 December in Auckland
        "2025-12-31T11:30:00Z",  # 00:30 on 1 January
        "2025-12-30T12:00:00Z",  # 01:00 on 31 December
    )

    in_auckland = await daily(sessionmaker, "7d", now="2026-01-02T00:00:00Z", zone="Pacific/Auckland")

    assert in_auckland == {"2026-01-01": (1, 0.0), "2025-12-31": (2, 0.0)}


@pytest.mark.parametrize(
    ("zone", "moments", "now", "expected"),
    [
        (
            # New York moves from EST (−5) to EDT (−4) at 07:00Z on 8 March 2026.
            "America/New_York",
            ["2026-03-08T04:30:00Z", "2026-03-09T03:30:00Z", "2026-03-09T04:30:00Z"],
            "2026-03-12T12:00:00Z",
            # 23:30 on 7 March (EST); 23:30 on 8 March (EDT); 00:30 on 9 March (EDT; 23:30 in EST).
            {"2026-03-09": (1, 0.0), "2026-03-08": (1, 0.0), "2026-03-07": (1, 0.0)},
        ),
        (
            # Auckland moves from NZDT (+13) to NZST (+12) at 14:00Z on 4 April 2026.
            "Pacific/Auckland",
            ["2026-04-04T10:30:00Z", "2026-04-05T11:30:00Z", "2026-04-05T12:30:00Z"],
            "2026-04-10T00:00:00Z",
            # 23:30 on 4 April (NZDT); 23:30 on 5 April (NZST; 00:30 on the 6th in NZDT); 00:30 on 6 April.
            {"2026-04-06": (1, 0.0), "2026-04-05": (1, 0.0), "2026-04-04": (1, 0.0)},
        ),
    ],
)
async def test_a_change_of_daylight_saving_time_inside_the_period_moves_no_repair(
    client, app, sessionmaker, zone, moments, now, expected
):
    await take_in(client, app, sessionmaker, *moments)

    assert await daily(sessionmaker, "30d", now=now, zone=zone) == expected


async def test_the_endpoint_counts_in_the_configured_shop_time_zone(database_url, tmp_path, database):
    """Through ``GET /analytics/overview``: a repair taken in at 01:30 UTC two days ago counts on the
    previous evening's date in New York. Relative to now, so it holds on any day."""
    settings = make_settings(database_url, tmp_path, shop_timezone="America/New_York")
    app = database.app(settings)
    sessionmaker = database.sessionmaker
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        taken_in = (utcnow() - timedelta(days=2)).replace(hour=1, minute=30, second=0, microsecond=0)
        await take_in(client, app, sessionmaker, taken_in.isoformat())
        manager = await make_user(app, sessionmaker, "manager")
        response = await client.get(
            "/api/v1/analytics/overview", params={"period": "7d"}, headers=manager.headers
        )

    assert response.status_code == 200, response.text
    new_york_date = taken_in.astimezone(ZoneInfo("America/New_York")).date()
    assert new_york_date == taken_in.date() - timedelta(days=1)
    counted: dict[str, Any] = {day["date"]: day["repairs"] for day in response.json()["dailyMetrics"]}
    assert counted[new_york_date.isoformat()] == 1
    assert sum(counted.values()) == 1


def test_utc_offsets_of_a_year_in_new_york_change_at_the_two_transitions():
    start, end = instant("2026-01-01T00:00:00Z"), instant("2026-12-31T23:59:59Z")

    periods = utc_offset_periods(ZoneInfo("America/New_York"), start, end)

    assert periods == [
        (start, -5 * 3600),
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -4 * 3600),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), -5 * 3600),
    ]
    assert utc_offset_periods(ZoneInfo("UTC"), start, end) == [(start, 0)]
