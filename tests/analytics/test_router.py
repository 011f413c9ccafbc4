"""``GET /api/v1/analytics/overview`` (issue 5, item 10): the answer equals the same overview computed in
plain Python over the rows read back from the database, for every period, on SQLite and PostgreSQL; who
may ask; and what a bad period answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fixdesk.repairs.models import RepairStatus
from tests.analytics.shop import (
    DONE,
    PERIOD_DAYS,
    STATUS_ORDER,
    add_repair,
    add_review,
    parse_instant,
    python_overview,
    read_rows,
)
from tests.conftest import make_settings
from tests.factories import make_customer, make_user

URL = "/api/v1/analytics/overview"


async def build_random_shop(client, app, sessionmaker, *, repairs: int = 36, seed: int = 5) -> datetime:
    """``repairs`` repairs over the last 400 days in every status, some of them right inside and right
    outside the 7- and 30-day periods, with totals (a few unpriced) and reviews of most finished ones.
    Returns the reference instant the data was placed before."""
    source = random.Random(seed)
    staff = await make_user(app, sessionmaker, "manager")
    customers = [await make_customer(app, sessionmaker, first_name=f"Customer{n}") for n in range(4)]
    # A minute back, so nothing is placed after the moment the endpoint is asked.
    reference = datetime.now(UTC) - timedelta(minutes=1)
    # Right inside / right outside the short periods (an hour's margin), then spread over the year.
    ages = [timedelta(days=7) - timedelta(hours=1), timedelta(days=7, hours=1)]
    ages += [timedelta(days=30) - timedelta(hours=1), timedelta(days=30, hours=1)]
    ages += [timedelta(minutes=source.randint(10, 400 * 24 * 60)) for _ in range(repairs - len(ages))]
    for index, age in enumerate(ages):
        status = STATUS_ORDER[index % len(STATUS_ORDER)]
        created_at = reference - age
        completed_at = None
        if status in DONE:
            turnaround = timedelta(minutes=source.randint(30, 20 * 24 * 60))
            completed_at = min(created_at + turnaround, reference - timedelta(minutes=5))
        total = None if index % 7 == 3 else f"{source.randint(1500, 60000) / 100:.2f}"
        repair_id = await add_repair(
            client,
            sessionmaker,
            staff,
            customers[index % len(customers)].id,
            status=status,
            created_at=created_at,
            completed_at=completed_at,
            total_cost=total,
        )
        if completed_at is not None and source.random() < 0.8:
            written = min(completed_at + timedelta(hours=source.randint(1, 96)), reference)
            await add_review(sessionmaker, repair_id, source.randint(1, 5), written)
    return reference


async def test_every_period_equals_the_computation_in_python(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    reference = await build_random_shop(client, app, sessionmaker)
    rows = await read_rows(sessionmaker)

    answers = {}
    for label, days in PERIOD_DAYS.items():
        asked = datetime.now(UTC)
        response = await client.get(URL, params={"period": label}, headers=manager.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        start, end = (parse_instant(body["period"][key]) for key in ("startDate", "endDate"))
        # The window is exactly `days` × 24 h and ends at the moment of the request.
        assert end - start == timedelta(days=days)
        assert reference < asked <= end <= datetime.now(UTC)
        assert body == python_overview(rows, label, start, end)
        answers[label] = body

    # The data set really tells the periods apart, so a wrong window would be noticed.
    totals = [answers[label]["overview"]["totalRepairs"] for label in PERIOD_DAYS]
    assert totals == sorted(totals)
    assert len(set(totals)) == 4
    assert answers["7d"]["overview"]["totalRevenue"] < answers["1y"]["overview"]["totalRevenue"]
    assert (
        answers["1y"]["overview"]["satisfactionCount"] > answers["30d"]["overview"]["satisfactionCount"] > 0
    )
    assert sum(answers["1y"]["repairsByStatus"].values()) == answers["1y"]["overview"]["totalRepairs"]
    assert (
        sum(day["repairs"] for day in answers["1y"]["dailyMetrics"])
        == answers["1y"]["overview"]["totalRepairs"]
    )


async def test_default_period_is_thirty_days(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.get(URL, headers=admin.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"]["label"] == "30d"
    start, end = (parse_instant(body["period"][key]) for key in ("startDate", "endDate"))
    assert end - start == timedelta(days=30)
    assert len(body["dailyMetrics"]) == 31
    assert body["currency"] == "USD"
    assert list(body["repairsByStatus"]) == [status.value for status in RepairStatus]


@pytest.mark.parametrize("period", ["bad", "14d", "30D", "1Y", "", "365d"])
async def test_another_period_answers_400(client, app, sessionmaker, period):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.get(URL, params={"period": period}, headers=admin.headers)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [error["field"] for error in problem["errors"]] == ["period"]


@pytest.mark.parametrize("role", ["technician", "agent"])
async def test_bench_and_front_desk_staff_may_not_read_analytics(client, app, sessionmaker, role):
    user = await make_user(app, sessionmaker, role)

    response = await client.get(URL, headers=user.headers)

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "FORBIDDEN"
    assert "analytics:read" in response.json()["detail"]


async def test_customers_and_anonymous_callers_are_refused(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    assert (await client.get(URL, headers=customer.headers)).status_code == 403
    assert (await client.get(URL)).status_code == 401


async def test_amounts_are_in_the_shop_currency(database_url, tmp_path, database, sessionmaker):
    application = database.app(make_settings(database_url, tmp_path, currency="EUR"))
    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        manager = await make_user(application, sessionmaker, "manager")
        response = await http.get(URL, params={"period": "7d"}, headers=manager.headers)

    assert response.status_code == 200, response.text
    assert response.json()["currency"] == "EUR"
