"""Human repair numbers (issue 2, item 4): ``R-<year>-000001`` onwards, unique and gap-free, also when 50
repairs are created at the same time on PostgreSQL and when a creation rolls back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.numbering import NumberSequence, next_number
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import service
from fixdesk.repairs.models import Repair
from fixdesk.repairs.schemas import RepairCreate
from tests.factories import count_rows, make_customer, make_repair, make_user, repair_body
from tests.support.clock import FIXED_NOW

# Numbers carry the year: the tests run at a fixed moment (tests/support/clock.py), whatever the day.
pytestmark = pytest.mark.usefixtures("fixed_clock")
YEAR = FIXED_NOW.year
CONCURRENT_CREATIONS = 50


def numbers(count: int) -> list[str]:
    return [f"R-{YEAR}-{sequence:06d}" for sequence in range(1, count + 1)]


def staff_principal(user_id) -> Principal:
    return Principal(id=user_id, type="user", role="agent", permissions=permissions_for("agent"))


async def stored_numbers(sessionmaker) -> list[str]:
    async with sessionmaker() as session:
        return sorted((await session.execute(select(Repair.repair_number))).scalars())


async def last_value(sessionmaker, prefix: str = "R", year: int = YEAR) -> int | None:
    async with sessionmaker() as session:
        sequence = await session.get(NumberSequence, (prefix, year))
        return sequence.last_value if sequence else None


async def test_sequential_creations_are_numbered_without_gaps(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    created = [(await make_repair(client, agent, customer.id))["repairNumber"] for _ in range(5)]
    assert created == numbers(5)
    assert await last_value(sessionmaker) == 5


async def test_a_rolled_back_creation_leaves_no_gap(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    assert (await make_repair(client, agent, customer.id))["repairNumber"] == numbers(1)[0]

    # A creation that takes number 2 and then fails: its transaction rolls back, number and all.
    async with app.state.sessionmaker() as session:
        repair = await service.create_repair(
            session, staff_principal(agent.id), RepairCreate(**repair_body(customer.id))
        )
        assert repair.repair_number == numbers(2)[1]
        await session.rollback()
    assert await count_rows(sessionmaker, Repair) == 1
    assert await last_value(sessionmaker) == 1

    assert (await make_repair(client, agent, customer.id))["repairNumber"] == numbers(2)[1]
    assert await stored_numbers(sessionmaker) == numbers(2)


async def test_numbers_count_per_prefix_and_year(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        taken = [
            await next_number(session, "R", at=datetime(2025, 12, 31, 23, 59, tzinfo=UTC)),
            await next_number(session, "R", at=datetime(2026, 1, 1, tzinfo=UTC)),
            await next_number(session, "WO", at=datetime(2026, 6, 1, tzinfo=UTC)),
            await next_number(session, "R", at=datetime(2025, 5, 1, tzinfo=UTC)),
            await next_number(session, "INV", at=datetime(2026, 6, 1, tzinfo=UTC), width=8),
        ]
    assert taken == [
        "R-2025-000001",
        "R-2026-000001",
        "WO-2026-000001",
        "R-2025-000002",
        "INV-2026-00000001",
    ]


@pytest.mark.commits  # concurrent requests, each on its own connection
async def test_concurrent_creations_get_every_number_once(backend, app, sessionmaker):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the sequential test covers it")
    agent = await make_user(app, sessionmaker, "agent")
    customers = [await make_customer(app, sessionmaker) for _ in range(5)]
    principal = staff_principal(agent.id)

    async def create(index: int) -> str:
        # Each creation is its own session and transaction on its own connection, like 50 requests.
        async with transaction(app.state.sessionmaker) as session:
            customer = customers[index % len(customers)]
            repair = await service.create_repair(
                session, principal, RepairCreate(**repair_body(customer.id, deviceModel=f"Model {index}"))
            )
            return repair.repair_number

    # return_exceptions: every creation finishes before the test judges (and the tables are wiped).
    created = await asyncio.gather(
        *(create(index) for index in range(CONCURRENT_CREATIONS)), return_exceptions=True
    )
    assert [c for c in created if isinstance(c, BaseException)] == []
    assert sorted(created) == numbers(CONCURRENT_CREATIONS)
    assert await stored_numbers(sessionmaker) == numbers(CONCURRENT_CREATIONS)
    assert await last_value(sessionmaker) == CONCURRENT_CREATIONS


@pytest.mark.commits  # concurrent requests, each on its own connection
async def test_concurrent_requests_get_every_number_once(backend, client, app, sessionmaker):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the sequential test covers it")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)

    responses = await asyncio.gather(
        *(
            client.post("/api/v1/repairs", json=repair_body(customer.id), headers=agent.headers)
            for _ in range(CONCURRENT_CREATIONS)
        ),
        return_exceptions=True,
    )
    assert [getattr(r, "status_code", r) for r in responses] == [201] * CONCURRENT_CREATIONS
    assert sorted(r.json()["repairNumber"] for r in responses) == numbers(CONCURRENT_CREATIONS)
    assert await stored_numbers(sessionmaker) == numbers(CONCURRENT_CREATIONS)
