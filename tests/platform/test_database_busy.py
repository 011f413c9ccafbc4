"""A database that is busy is not a server error (issue 9, item 6): when SQLite's busy timeout runs out
behind another writer's lock, or PostgreSQL's lock_timeout behind a row lock, the answer is
``503 SERVICE_UNAVAILABLE`` with ``Retry-After`` (never a 500), and nothing of the request is kept."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fixdesk.app import create_app
from fixdesk.customers.models import Customer
from fixdesk.db import create_engine
from tests.factories import count_rows, make_customer, make_user
from tests.platform.problems import assert_problem

SHORT_WAIT_MS = 100


def client_of(application: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def assert_busy(response: httpx.Response) -> None:
    body = assert_problem(response, 503, "SERVICE_UNAVAILABLE")
    assert response.headers["retry-after"] == "1"
    assert "Retry" in body["detail"]
    assert "locked" not in response.text  # the database's own message stays in the log


@pytest.mark.commits  # a second connection holds the lock the app waits for
async def test_a_write_behind_a_held_sqlite_lock_is_a_503_with_retry_after(
    backend, database_url, settings, app, sessionmaker
):
    if backend != "sqlite":
        pytest.skip("SQLite's database lock; PostgreSQL's lock timeout has its own test")
    admin = await make_user(app, sessionmaker, "admin")
    impatient = create_engine(database_url, sqlite_busy_timeout_ms=SHORT_WAIT_MS)
    holder = create_engine(database_url)
    try:
        async with holder.connect() as connection, client_of(create_app(settings, engine=impatient)) as http:
            # BEGIN IMMEDIATE (see fixdesk.db) takes the write lock and keeps it until the rollback.
            transaction = await connection.begin()
            body = {"firstName": "Ana", "lastName": "Silva"}

            plain = await http.post("/api/v1/customers", json=body, headers=admin.headers)
            keyed = await http.post(
                "/api/v1/customers", json=body, headers={**admin.headers, "Idempotency-Key": "busy-1"}
            )

            await transaction.rollback()
            assert_busy(plain)
            # The idempotency key is claimed before the endpoint runs, by middleware: same answer.
            assert_busy(keyed)
            after = await http.post(
                "/api/v1/customers", json=body, headers={**admin.headers, "Idempotency-Key": "busy-1"}
            )
            assert after.status_code == 201, after.text
    finally:
        await impatient.dispose()
        await holder.dispose()
    assert await count_rows(sessionmaker, Customer) == 1


@pytest.mark.commits  # a second connection holds the lock the app waits for
async def test_a_write_behind_a_postgresql_row_lock_past_lock_timeout_is_a_503(
    backend, database_url, settings, app, sessionmaker
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout; SQLite's busy database has its own test")
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, first_name="Ana")
    impatient = create_async_engine(
        database_url, connect_args={"server_settings": {"lock_timeout": str(SHORT_WAIT_MS)}}
    )
    holder = create_engine(database_url)
    try:
        async with holder.connect() as connection, client_of(create_app(settings, engine=impatient)) as http:
            transaction = await connection.begin()
            await connection.execute(
                text("SELECT id FROM customers WHERE id = :id FOR UPDATE"), {"id": customer.id}
            )

            response = await http.patch(
                f"/api/v1/customers/{customer.id}", json={"firstName": "Bea"}, headers=admin.headers
            )

            await transaction.rollback()
            assert_busy(response)
    finally:
        await impatient.dispose()
        await holder.dispose()
    async with sessionmaker() as session:
        stored = await session.get(Customer, uuid.UUID(str(customer.id)))
    assert stored is not None
    assert stored.first_name == "Ana"
