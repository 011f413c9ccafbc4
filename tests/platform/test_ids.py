"""Ids are time-ordered UUIDs (version 7, RFC 9562), in the database and in API responses."""

import time
import uuid

from fixdesk.db import new_id
from tests.factories import make_customer, make_repair, make_user


def test_new_id_is_version_7():
    value = new_id()
    assert isinstance(value, uuid.UUID)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_ids_sort_in_creation_order():
    generated = [new_id() for _ in range(1000)]
    assert len(set(generated)) == 1000
    assert sorted(generated) == generated
    # The text form (what the API and SQLite store) sorts the same way.
    assert sorted(str(value) for value in generated) == [str(value) for value in generated]


def test_new_id_carries_its_creation_time():
    before_ms = time.time_ns() // 1_000_000
    value = new_id()
    after_ms = time.time_ns() // 1_000_000
    # RFC 9562: the first 48 bits are the Unix time in milliseconds.
    assert before_ms <= value.int >> 80 <= after_ms


async def test_ids_in_api_responses_are_version_7(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)

    me = await client.get("/api/v1/users/me", headers=admin.headers)
    assert me.status_code == 200
    detail = await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)
    assert detail.status_code == 200
    body = detail.json()

    ids = [me.json()["id"], body["id"], body["customer"]["id"]]
    ids += [entry["id"] for entry in body["statusHistory"]]
    assert len(ids) >= 4
    for value in ids:
        assert uuid.UUID(value).version == 7, value
