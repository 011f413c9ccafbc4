"""The first listing of a day's suggestions makes the day's plan in the request's own transaction, against
the app's real connection pool (``commits``: every session its own connection, as in a server).

On SQLite a transaction that writes holds the database's write lock from its ``BEGIN IMMEDIATE``. The route
once wrote the plan through a second session while its own (declared writing) held that lock, so through
``make run`` the first listing of a day waited out the busy timeout and answered 503; the suite's sessions,
sharing one connection, could not see it. Each database runs this test."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fixdesk.fieldservice.dispatch.models import DispatchPlan
from tests.fieldservice.test_dispatch_plan import DAY, day, settings  # noqa: F401 - fixtures

pytestmark = [pytest.mark.usefixtures("fixed_clock"), pytest.mark.commits]
BACKENDS_COVERED = ("sqlite", "postgresql")


async def test_the_first_listing_of_a_day_makes_and_keeps_its_plan(backend, client, day, sessionmaker):  # noqa: F811
    assert backend in BACKENDS_COVERED
    headers = day["dispatcher"].headers

    first = await client.get("/api/v1/ai/dispatch/suggestions", params={"date": DAY}, headers=headers)
    again = await client.get("/api/v1/ai/dispatch/suggestions", params={"date": DAY}, headers=headers)

    assert first.status_code == 200, first.text
    assert len(first.json()["suggestions"]) == 6
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the plan made by the first listing was kept
    async with sessionmaker() as session:
        plans = await session.scalar(select(func.count()).select_from(DispatchPlan))
    assert plans == 1
