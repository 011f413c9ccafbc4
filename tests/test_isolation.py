"""How tests are isolated (tests/conftest.py): each test's database work happens in one transaction that is
rolled back at the end, so what one test writes, commits included, is never seen by the next, and no
table is emptied between tests. Shown on both databases with the fixtures' own building blocks: two
"tests" in a row on the same database."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from fixdesk.customers.models import Customer
from fixdesk.db import read_only
from tests.conftest import filled_tables, make_settings, rolled_back
from tests.factories import make_user


async def customers_seen(connection) -> int:
    return (await connection.execute(select(func.count()).select_from(Customer))).scalar_one()


async def test_what_a_test_commits_is_gone_for_the_next_test_without_truncation(
    engine, database_url, tmp_path, statement_counter
):
    async with rolled_back(engine) as first_test:
        app = first_test.app(make_settings(database_url, tmp_path))
        admin = await make_user(app, first_test.sessionmaker, "admin")
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            created = await client.post(
                "/api/v1/customers",
                json={"firstName": "Ana", "lastName": "Silva", "email": "ana@example.com"},
                headers=admin.headers,
            )
            assert created.status_code == 201, created.text
            # A request that fails rolls back its own work only: the test's earlier rows stay.
            duplicate = await client.post(
                "/api/v1/customers",
                json={"firstName": "Ana", "lastName": "Silva", "email": "ana@example.com"},
                headers=admin.headers,
            )
            assert duplicate.status_code == 409, duplicate.text
            # The request's commit is seen by the test's later sessions and requests…
            assert (
                await client.get(f"/api/v1/customers/{created.json()['id']}", headers=admin.headers)
            ).status_code == 200
        async with first_test.sessionmaker() as session:
            assert await customers_seen(session) == 1
        # … but it only released a SAVEPOINT: outside the test's transaction nothing was committed.
        async with read_only(engine).connect() as outside:
            assert await customers_seen(outside) == 0

    statement_counter.reset()
    async with rolled_back(engine) as second_test:
        async with second_test.sessionmaker() as session:
            assert await customers_seen(session) == 0
        async with second_test.begin() as connection:
            assert await filled_tables(connection) == []
    # The isolation cost no DELETE or TRUNCATE.
    assert not [
        statement
        for statement in statement_counter.statements or []
        if statement.lstrip().upper().startswith(("DELETE", "TRUNCATE"))
    ]
