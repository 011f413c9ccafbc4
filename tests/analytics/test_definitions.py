"""The overview's definitions on a small shop with hand-computed answers (issue 5, item 10).

The same data set is built on SQLite and on PostgreSQL (every test runs on both) and the answer is
compared with the same literal JSON, so the two backends give identical results: revenue by completion
date, intake by creation date, both period ends included, UTC calendar days, half-up rounding of means.
The period ends at a fixed instant, passed to the service the endpoint calls.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from fixdesk.analytics.schemas import AnalyticsOverview
from fixdesk.analytics.service import repair_overview
from tests.analytics.shop import add_repair, add_review, at, zero_day
from tests.factories import make_customer, make_user

NOW = at("2025-06-15T12:00:00")


async def overview_json(sessionmaker, label: str) -> dict[str, Any]:
    """The answer of ``GET /analytics/overview?period=label`` as if asked at :data:`NOW`."""
    async with sessionmaker() as session:
        result = await repair_overview(session, label, now=NOW)
    return AnalyticsOverview.of(result, "USD").model_dump(mode="json")


async def build_small_shop(client, app, sessionmaker) -> None:
    """Eleven repairs and six reviews around :data:`NOW` (the letters name them in the expectations).

    A received 06-14 09:00; B diagnosing 06-14 23:59:59 (last second of a UTC day); C cancelled 06-15
    00:00:00 (first second of the next); D completed 06-10 → 06-12 (2.00 days, 100.00, rated 5);
    E delivered 06-10 → 06-11 (1.01 days, 50.50, rated 4); F delivered 06-01 → exactly the 7-day start
    (7.00 days, 200.00, rated 4 exactly at the 7-day start); K completed 06-01 → one second before the
    7-day start (7.25 days, 40.00, rated 1 one second before it); G completed 05-01 → 05-20 (19.00 days,
    75.25, rated 3); H waiting for parts since 04-01 (120.00); I delivered 2025-01-10 → 01-12 (2.00 days,
    60.00, rated 2); J taken in one second before the one-year start and completed exactly at it
    (0.00 days, 10.00).
    """
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)

    async def repair(status: str, created: str, completed: str | None = None, total: str | None = None):
        return await add_repair(
            client,
            sessionmaker,
            staff,
            customer.id,
            status=status,
            created_at=at(created),
            completed_at=at(completed) if completed else None,
            total_cost=total,
        )

    await repair("received", "2025-06-14T09:00:00")
    await repair("diagnosing", "2025-06-14T23:59:59", total="80.00")
    await repair("cancelled", "2025-06-15T00:00:00", total="30.00")
    d = await repair("completed", "2025-06-10T10:00:00", "2025-06-12T10:00:00", "100.00")
    e = await repair("delivered", "2025-06-10T16:00:00", "2025-06-11T16:14:24", "50.50")
    f = await repair("delivered", "2025-06-01T12:00:00", "2025-06-08T12:00:00", "200.00")
    k = await repair("completed", "2025-06-01T06:00:00", "2025-06-08T11:59:59", "40.00")
    g = await repair("completed", "2025-05-01T12:00:00", "2025-05-20T12:00:00", "75.25")
    await repair("waiting_parts", "2025-04-01T12:00:00", total="120.00")
    i = await repair("delivered", "2025-01-10T12:00:00", "2025-01-12T12:00:00", "60.00")
    await repair("completed", "2024-06-15T11:59:59", "2024-06-15T12:00:00", "10.00")
    for repair_id, rating, written in (
        (d, 5, "2025-06-13T09:00:00"),
        (e, 4, "2025-06-12T09:00:00"),
        (f, 4, "2025-06-08T12:00:00"),
        (k, 1, "2025-06-08T11:59:59"),
        (g, 3, "2025-05-21T09:00:00"),
        (i, 2, "2025-01-13T09:00:00"),
    ):
        await add_review(sessionmaker, repair_id, rating, at(written))


def statuses(**counts: int) -> dict[str, int]:
    every = [
        "received",
        "diagnosing",
        "quoted",
        "approved",
        "repairing",
        "waiting_parts",
        "testing",
        "completed",
        "delivered",
        "cancelled",
    ]
    return {status: counts.get(status, 0) for status in every}


def days_with(first: date, last: date, busy: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every date from ``last`` back to ``first``: the ``busy`` ones as given, the others zero."""
    result = []
    day = last
    while day >= first:
        entry = zero_day(day)
        entry.update(busy.get(day.isoformat(), {}))
        result.append(entry)
        day -= timedelta(days=1)
    return result


def busy(repairs: int, revenue: float = 0.0, average: float = 0.0) -> dict[str, Any]:
    return {"repairs": repairs, "revenue": revenue, "avgCompletionTime": average}


async def test_seven_days_whole_answer(client, app, sessionmaker):
    await build_small_shop(client, app, sessionmaker)

    assert await overview_json(sessionmaker, "7d") == {
        "overview": {
            # D + E + F: F was completed exactly at the period's start, K one second before it.
            "totalRevenue": 350.50,
            # (2.00 + 1.01 + 7.00) / 3 = 3.3366…
            "avgCompletionTime": 3.34,
            # A, B, C, D, E were taken in within the last 7 days.
            "totalRepairs": 5,
            # D 5, E 4, F 4 (written exactly at the start); K's 1 is one second too early.
            "customerSatisfaction": 4.33,
            "satisfactionCount": 3,
        },
        "repairsByStatus": statuses(received=1, diagnosing=1, completed=1, delivered=1, cancelled=1),
        "dailyMetrics": [
            # C at 00:00:00 belongs to the 15th, B at 23:59:59 to the 14th (UTC days).
            {"date": "2025-06-15", "repairs": 1, "revenue": 0.0, "avgCompletionTime": 0.0},
            {"date": "2025-06-14", "repairs": 2, "revenue": 0.0, "avgCompletionTime": 0.0},
            {"date": "2025-06-13", "repairs": 0, "revenue": 0.0, "avgCompletionTime": 0.0},
            {"date": "2025-06-12", "repairs": 0, "revenue": 0.0, "avgCompletionTime": 0.0},
            {"date": "2025-06-11", "repairs": 0, "revenue": 0.0, "avgCompletionTime": 0.0},
            # D and E: (2.00 + 1.01) / 2 = 1.505, half-up to 1.51 (a float average gives 1.5).
            {"date": "2025-06-10", "repairs": 2, "revenue": 150.50, "avgCompletionTime": 1.51},
            {"date": "2025-06-09", "repairs": 0, "revenue": 0.0, "avgCompletionTime": 0.0},
            {"date": "2025-06-08", "repairs": 0, "revenue": 0.0, "avgCompletionTime": 0.0},
        ],
        "period": {"label": "7d", "startDate": "2025-06-08T12:00:00Z", "endDate": "2025-06-15T12:00:00Z"},
        "currency": "USD",
    }


LONGER_PERIODS = [
    (
        "30d",
        # + K and G; (2.00 + 1.01 + 7.00 + 7.25 + 19.00) / 5 = 7.252; ratings 5 4 4 1 3 → 3.40.
        {"totalRevenue": 465.75, "avgCompletionTime": 7.25, "totalRepairs": 7},
        statuses(received=1, diagnosing=1, completed=2, delivered=2, cancelled=1),
        date(2025, 5, 16),
        {},
    ),
    (
        "90d",
        # Nothing more was completed, but G and H were taken in.
        {"totalRevenue": 465.75, "avgCompletionTime": 7.25, "totalRepairs": 9},
        statuses(received=1, diagnosing=1, waiting_parts=1, completed=3, delivered=2, cancelled=1),
        date(2025, 3, 17),
        {"2025-05-01": busy(1, 75.25, 19.00), "2025-04-01": busy(1)},
    ),
    (
        "1y",
        # + I and J (completed exactly at the start; taken in a second before it, so not counted).
        {"totalRevenue": 535.75, "avgCompletionTime": 5.47, "totalRepairs": 10},
        statuses(received=1, diagnosing=1, waiting_parts=1, completed=3, delivered=3, cancelled=1),
        date(2024, 6, 15),
        {"2025-05-01": busy(1, 75.25, 19.00), "2025-04-01": busy(1), "2025-01-10": busy(1, 60.00, 2.00)},
    ),
]
"""(label, overview, repairs by status, first day, busy days) of each longer period."""


async def test_longer_periods(client, app, sessionmaker):
    # One shop for the three periods: they only read it, and building it through the API is most of the
    # test's time.
    await build_small_shop(client, app, sessionmaker)

    for label, overview, by_status, first_day, busy_days in LONGER_PERIODS:
        satisfaction = {"1y": (3.17, 6)}.get(label, (3.40, 5))

        answer = await overview_json(sessionmaker, label)

        assert answer["overview"] == {
            **overview,
            "customerSatisfaction": satisfaction[0],
            "satisfactionCount": satisfaction[1],
        }, label
        assert answer["repairsByStatus"] == by_status, label
        # F and K: (7.00 + 7.25) / 2 = 7.125, half-up to 7.13.
        days = {
            "2025-06-15": busy(1),
            "2025-06-14": busy(2),
            "2025-06-10": busy(2, 150.50, 1.51),
            "2025-06-01": busy(2, 240.00, 7.13),
            **busy_days,
        }
        assert answer["dailyMetrics"] == days_with(first_day, date(2025, 6, 15), days), label
        assert len(answer["dailyMetrics"]) == {"30d": 31, "90d": 91, "1y": 366}[label]
        assert answer["period"]["startDate"] == f"{first_day.isoformat()}T12:00:00Z", label


async def test_empty_shop_answers_zeros_not_nulls(sessionmaker, app):
    answer = await overview_json(sessionmaker, "7d")

    assert answer["overview"] == {
        "totalRevenue": 0.0,
        "totalRepairs": 0,
        "avgCompletionTime": 0.0,
        "customerSatisfaction": 0.0,
        "satisfactionCount": 0,
    }
    assert answer["repairsByStatus"] == statuses()
    assert answer["dailyMetrics"] == days_with(date(2025, 6, 8), date(2025, 6, 15), {})


async def test_means_round_half_up_not_half_even(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    # Turnarounds 1.00 and 1.01 days: the mean 1.005 is a float just below 1.005.
    finished = []
    for created, completed in (
        ("2025-06-13T08:00:00", "2025-06-14T08:00:00"),
        ("2025-06-13T09:00:00", "2025-06-14T09:14:24"),
    ):
        repair_id = await add_repair(
            client,
            sessionmaker,
            staff,
            customer.id,
            status="completed",
            created_at=at(created),
            completed_at=at(completed),
            total_cost="10.00",
        )
        finished.append(repair_id)
    # Eight ratings summing to 37: 4.625, which half-even rounding (and round() on the float) makes 4.62.
    # The other six rated repairs were finished in January, outside the period.
    ratings = [5, 5, 5, 5, 5, 4, 4, 4]
    more = [
        await add_repair(
            client,
            sessionmaker,
            staff,
            customer.id,
            status="delivered",
            created_at=at("2025-01-01T08:00:00"),
            completed_at=at("2025-01-02T08:00:00"),
        )
        for _ in range(len(ratings) - len(finished))
    ]
    for index, (repair_id, rating) in enumerate(zip([*finished, *more], ratings, strict=True)):
        await add_review(sessionmaker, repair_id, rating, at(f"2025-06-14T1{index}:00:00"))

    answer = await overview_json(sessionmaker, "7d")

    assert answer["overview"]["avgCompletionTime"] == 1.01
    assert answer["overview"]["customerSatisfaction"] == 4.63
    assert answer["overview"]["satisfactionCount"] == 8
    assert answer["dailyMetrics"][2] == {
        "date": "2025-06-13",
        "repairs": 2,
        "revenue": 20.0,
        "avgCompletionTime": 1.01,
    }


async def test_a_review_counts_when_it_was_written_not_when_the_repair_was(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    last_year = await add_repair(
        client,
        sessionmaker,
        staff,
        customer.id,
        status="delivered",
        created_at=at("2024-01-01T08:00:00"),
        completed_at=at("2024-01-02T08:00:00"),
        total_cost="10.00",
    )
    await add_review(sessionmaker, last_year, 2, at("2025-06-14T08:00:00"))

    answer = await overview_json(sessionmaker, "7d")

    assert answer["overview"] == {
        "totalRevenue": 0.0,
        "totalRepairs": 0,
        "avgCompletionTime": 0.0,
        "customerSatisfaction": 2.0,
        "satisfactionCount": 1,
    }


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Anchorage"])
async def test_the_database_session_time_zone_does_not_move_a_day(
    backend, client, app, sessionmaker, database, zone
):
    if backend != "postgresql":
        pytest.skip("SQLite has no session time zone: its timestamps are stored as UTC text")
    await build_small_shop(client, app, sessionmaker)
    in_utc = await overview_json(sessionmaker, "7d")
    # UTC+14 and UTC-8: B (23:59:59) and C (00:00:00) would land on other days in local time. The
    # connection's session time zone, as a server or a pooler configured so would set it (undone with
    # the test's transaction).
    async with database.begin() as connection:
        await connection.exec_driver_sql(f"SET TIME ZONE '{zone}'")
    in_zone = await overview_json(sessionmaker, "7d")

    assert in_zone == in_utc
    assert [day["repairs"] for day in in_zone["dailyMetrics"][:2]] == [1, 2]
