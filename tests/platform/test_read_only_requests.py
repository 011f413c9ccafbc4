"""GET and HEAD requests read in a read-only session (issue 9, item 11): on PostgreSQL in autocommit, with no
``BEGIN`` and ``COMMIT`` round trips (``tests/repairs/test_performance.py`` counts them), and on both
databases a write in it fails loudly instead of being committed on its own. A GET that must write says so
with ``@writes_on_read`` and gets a normal transaction. Every GET of the suite runs under this guard, so the
suite shows that no other GET writes."""

from __future__ import annotations

import uuid

import pytest
from fastapi import APIRouter
from sqlalchemy import select, update

from fixdesk.customers.models import Customer
from fixdesk.platform.deps import SessionDep, writes_on_read
from tests.factories import make_customer, make_user

probes = APIRouter(prefix="/api/v1/probes")


@probes.get("/orm/{customer_id}")
async def orm_change(customer_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    customer = await session.get(Customer, customer_id)
    assert customer is not None
    customer.last_name = "ChangedByOrm"  # flushed when the request's session commits
    return {"changed": "orm"}


@probes.get("/core/{customer_id}")
async def core_update(customer_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    await session.execute(
        update(Customer).where(Customer.id == customer_id).values(last_name="ChangedByCore")
    )
    return {"changed": "core"}


@probes.get("/connection/{customer_id}")
async def connection_update(customer_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    connection = await session.connection()
    table = Customer.__table__
    await connection.execute(table.update().where(table.c.id == customer_id).values(last_name="ChangedRaw"))
    return {"changed": "connection"}


@probes.get("/declared/{customer_id}")
@writes_on_read
async def declared_update(customer_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    await session.execute(update(Customer).where(Customer.id == customer_id).values(last_name="Declared"))
    return {"changed": "declared"}


@probes.get("/read/{customer_id}")
async def read(customer_id: uuid.UUID, session: SessionDep) -> dict[str, str]:
    last_name = (
        await session.execute(select(Customer.last_name).where(Customer.id == customer_id))
    ).scalar_one()
    return {"lastName": last_name}


@pytest.fixture
def probed_app(app):
    app.include_router(probes)
    # Ahead of the pages' routes, which would answer an unknown path first.
    app.router.routes.insert(0, app.router.routes.pop())
    return app


async def _last_name(client, customer_id) -> str:
    response = await client.get(f"/api/v1/probes/read/{customer_id}")
    assert response.status_code == 200, response.text
    return response.json()["lastName"]


@pytest.mark.parametrize("kind", ["orm", "core", "connection"])
async def test_a_get_that_writes_without_saying_so_fails_and_changes_nothing(
    probed_app, client, sessionmaker, kind
):
    customer = await make_customer(probed_app, sessionmaker, last_name="Original")

    refused = await client.get(f"/api/v1/probes/{kind}/{customer.id}")

    assert refused.status_code == 500
    assert refused.headers["content-type"] == "application/problem+json"
    assert await _last_name(client, customer.id) == "Original"


async def test_a_get_declared_writing_commits_its_change(probed_app, client, sessionmaker):
    customer = await make_customer(probed_app, sessionmaker, last_name="Original")

    response = await client.get(f"/api/v1/probes/declared/{customer.id}")

    assert response.status_code == 200, response.text
    assert await _last_name(client, customer.id) == "Declared"


async def test_after_a_refused_get_other_requests_write_as_before(probed_app, client, sessionmaker):
    """The guard belongs to the read-only session, not to the connection it used: the next request that
    may write does (in the tests, every session shares one connection)."""
    admin = await make_user(probed_app, sessionmaker, "admin")
    customer = await make_customer(probed_app, sessionmaker, last_name="Original")
    refused = await client.get(f"/api/v1/probes/core/{customer.id}")
    assert refused.status_code == 500

    changed = await client.patch(
        f"/api/v1/customers/{customer.id}", json={"lastName": "Patched"}, headers=admin.headers
    )
    declared = await client.get(f"/api/v1/probes/declared/{customer.id}")

    assert changed.status_code == 200, changed.text
    assert changed.json()["lastName"] == "Patched"
    assert declared.status_code == 200, declared.text
    assert await _last_name(client, customer.id) == "Declared"
