"""Idempotency keys: a POST retried with the same ``Idempotency-Key`` is answered from the first run, never
run twice; misuse is a 409; failures give the key back; old records are purged."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import Response
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.customers.models import Customer
from fixdesk.db import make_sessionmaker, read_only, transaction, utcnow
from fixdesk.platform.idempotency import (
    PURGE_JOB,
    SECRET_SHOWN_ONCE_FLAG,
    IdempotencyKey,
    request_fingerprint,
)
from fixdesk.platform.jobs import enqueue, registry
from fixdesk.platform.jobs.worker import Worker
from fixdesk.platform.permissions import Authenticated
from tests.conftest import unique_email
from tests.factories import make_user
from tests.platform.problems import assert_problem

CUSTOMERS = "/api/v1/customers"
PASSWORD = "correct horse battery"


def customer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"firstName": "Ana", "lastName": "Silva", "email": unique_email("ana")}
    body.update(overrides)
    return body


def keyed(actor: Any, key: str) -> dict[str, str]:
    return {**actor.headers, "Idempotency-Key": key}


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def key_records(sessionmaker: async_sessionmaker[AsyncSession]) -> list[IdempotencyKey]:
    async with sessionmaker() as session:
        return list((await session.execute(select(IdempotencyKey))).scalars())


# --- replay --------------------------------------------------------------------------------------------


async def test_a_retried_post_is_answered_from_the_first_run(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    body = customer_body()

    first = await client.post(CUSTOMERS, json=body, headers=keyed(admin, "create-ana-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = await client.post(CUSTOMERS, json=body, headers=keyed(admin, "create-ana-1"))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    # A new request all the same: its own request id and rate-limit numbers.
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert int(again.headers["x-ratelimit-remaining"]) < int(first.headers["x-ratelimit-remaining"])
    assert await count(sessionmaker, Customer) == 1

    [record] = await key_records(sessionmaker)
    assert record.principal == f"user:{admin.id}"
    assert (record.key, record.status_code) == ("create-ana-1", 201)
    assert record.completed_at is not None
    assert (record.locked_by, record.locked_until) == (None, None)


async def test_after_logout_a_replay_is_401_not_the_stored_answer(client, app, sessionmaker):
    # Issue 9: the stored 201 (with the customer's data) was replayed to a token whose session had ended.
    user = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    login = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}", "Idempotency-Key": "create-after"}
    body = customer_body()
    first = await client.post(CUSTOMERS, json=body, headers=headers)
    assert first.status_code == 201, first.text
    logout = await client.post("/api/v1/auth/logout", headers={"Authorization": headers["Authorization"]})
    assert logout.status_code == 200, logout.text

    replay = await client.post(CUSTOMERS, json=body, headers=headers)

    assert_problem(replay, 401, "UNAUTHORIZED")
    assert "idempotent-replayed" not in replay.headers
    assert body["email"] not in replay.text
    assert replay.headers["www-authenticate"] == "Bearer"
    # Signed in again (a new session of the same user), the key's answer is theirs again.
    again = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    headers["Authorization"] = f"Bearer {again.json()['accessToken']}"
    replayed = await client.post(CUSTOMERS, json=body, headers=headers)
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert await count(sessionmaker, Customer) == 1


async def test_the_same_key_with_a_different_request_is_a_conflict(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    body = customer_body()
    assert (await client.post(CUSTOMERS, json=body, headers=keyed(admin, "k-1"))).status_code == 201

    other_body = await client.post(CUSTOMERS, json=customer_body(), headers=keyed(admin, "k-1"))
    problem = assert_problem(other_body, 409, "IDEMPOTENCY_CONFLICT")
    assert "different request" in problem["detail"]
    other_query = await client.post(f"{CUSTOMERS}?x=1", json=body, headers=keyed(admin, "k-1"))
    assert_problem(other_query, 409, "IDEMPOTENCY_CONFLICT")
    assert await count(sessionmaker, Customer) == 1


async def test_keys_belong_to_their_principal(client, app, sessionmaker):
    first, second = await make_user(app, sessionmaker, "admin"), await make_user(app, sessionmaker, "admin")
    body = {"firstName": "Walk", "lastName": "In"}  # no email, so both may create it

    mine = await client.post(CUSTOMERS, json=body, headers=keyed(first, "shared-key"))
    theirs = await client.post(CUSTOMERS, json=body, headers=keyed(second, "shared-key"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await count(sessionmaker, Customer) == 2


async def test_client_errors_are_stored_and_replayed(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    invalid = customer_body(email="not-an-email")

    first = await client.post(CUSTOMERS, json=invalid, headers=keyed(admin, "bad-1"))
    assert_problem(first, 400, "VALIDATION_ERROR")
    again = await client.post(CUSTOMERS, json=invalid, headers=keyed(admin, "bad-1"))
    assert again.status_code == 400
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    # A corrected request is a different request: it needs a new key.
    fixed = customer_body()
    assert_problem(
        await client.post(CUSTOMERS, json=fixed, headers=keyed(admin, "bad-1")), 409, "IDEMPOTENCY_CONFLICT"
    )
    assert (await client.post(CUSTOMERS, json=fixed, headers=keyed(admin, "bad-2"))).status_code == 201


@pytest.mark.parametrize(
    ("key", "message"),
    [("k" * 256, "at most 255"), ("", "must not be empty"), ("caf\u00e9", "printable ASCII")],
)
async def test_malformed_keys_are_a_validation_error(client, app, sessionmaker, key, message):
    admin = await make_user(app, sessionmaker, "admin")
    headers = {**admin.headers, "Idempotency-Key": key.encode()}
    response = await client.post(CUSTOMERS, json=customer_body(), headers=headers)
    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert message in problem["errors"][0]["message"]
    assert await count(sessionmaker, Customer) == 0
    assert await key_records(sessionmaker) == []


async def test_a_key_of_255_characters_is_accepted(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, json=customer_body(), headers=keyed(admin, "k" * 255))
    assert response.status_code == 201, response.text
    assert [record.key for record in await key_records(sessionmaker)] == ["k" * 255]


async def test_anonymous_requests_and_other_methods_ignore_the_key(client, app, sessionmaker):
    user = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    credentials = {"email": user.email, "password": PASSWORD}
    # Login answers carry fresh tokens: they are never stored or replayed.
    first = await client.post("/api/v1/auth/login", json=credentials, headers={"Idempotency-Key": "login-1"})
    second = await client.post("/api/v1/auth/login", json=credentials, headers={"Idempotency-Key": "login-1"})
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["refreshToken"] != second.json()["refreshToken"]
    assert "idempotent-replayed" not in second.headers

    created = await client.post(CUSTOMERS, json=customer_body(), headers=user.headers)
    path = f"{CUSTOMERS}/{created.json()['id']}"
    for city in ("Porto", "Braga"):
        patched = await client.patch(path, json={"city": city}, headers=keyed(user, "patch-1"))
        assert patched.status_code == 200
        assert patched.json()["city"] == city
    assert await key_records(sessionmaker) == []


# --- concurrency and failures --------------------------------------------------------------------------


async def test_ten_concurrent_requests_with_one_key_create_exactly_one_customer(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    body = customer_body()

    responses = await asyncio.gather(
        *(client.post(CUSTOMERS, json=body, headers=keyed(admin, "burst-1")) for _ in range(10))
    )

    originals = [r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    assert len(originals) == 1, [(r.status_code, r.text) for r in responses]
    for response in responses:
        if response is originals[0]:
            continue
        if response.status_code == 201:
            assert response.headers["idempotent-replayed"] == "true"
            assert response.content == originals[0].content
        else:
            problem = assert_problem(response, 409, "IDEMPOTENCY_CONFLICT")
            assert "in progress" in problem["detail"]
    assert await count(sessionmaker, Customer) == 1


def add_gated_route(app: Any) -> tuple[asyncio.Event, asyncio.Event, list[int]]:
    """A POST that waits for ``release`` after signalling ``entered``; ``runs`` counts its executions.

    It opens no database transaction while it waits: on SQLite that would hold the one write lock, and
    the retry would queue behind it instead of finding the claim (the middleware scopes the key by the
    bearer token all the same)."""
    entered, release, runs = asyncio.Event(), asyncio.Event(), []

    async def gated() -> dict[str, int]:
        runs.append(1)
        entered.set()
        await release.wait()
        return {"run": len(runs)}

    app.add_api_route("/api/v1/test-gated", gated, methods=["POST"], status_code=201)
    return entered, release, runs


async def test_a_retry_while_the_first_request_runs_is_a_conflict(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    entered, release, runs = add_gated_route(app)

    first = asyncio.create_task(client.post("/api/v1/test-gated", json={}, headers=keyed(admin, "slow-1")))
    try:
        await asyncio.wait_for(entered.wait(), timeout=10)
        retry = await client.post("/api/v1/test-gated", json={}, headers=keyed(admin, "slow-1"))
    finally:
        release.set()
    problem = assert_problem(retry, 409, "IDEMPOTENCY_CONFLICT")
    assert "in progress" in problem["detail"]
    assert retry.headers["retry-after"] == "1"

    finished = await asyncio.wait_for(first, timeout=10)
    assert finished.status_code == 201
    replayed = await client.post("/api/v1/test-gated", json={}, headers=keyed(admin, "slow-1"))
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == {"run": 1}
    assert len(runs) == 1


def add_flaky_route(app: Any, failure: str) -> list[int]:
    """A POST whose first run fails (``failure``: ``"raise"`` or ``"503"``) and whose later runs succeed."""
    runs: list[int] = []

    async def flaky(principal: Authenticated, response: Response) -> dict[str, int]:
        runs.append(1)
        if len(runs) == 1:
            if failure == "raise":
                raise RuntimeError("the first run breaks")
            response.status_code = 503
            return {"run": len(runs)}
        return {"run": len(runs)}

    app.add_api_route("/api/v1/test-flaky", flaky, methods=["POST"], status_code=201)
    return runs


@pytest.mark.parametrize("failure", ["raise", "503"])
async def test_a_server_error_gives_the_key_back(client, app, sessionmaker, json_log, failure):
    admin = await make_user(app, sessionmaker, "admin")
    runs = add_flaky_route(app, failure)

    failed = await client.post("/api/v1/test-flaky", json={"n": 1}, headers=keyed(admin, "flaky-1"))
    assert failed.status_code in (500, 503)
    assert await key_records(sessionmaker) == []

    retried = await client.post("/api/v1/test-flaky", json={"n": 1}, headers=keyed(admin, "flaky-1"))
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert retried.json() == {"run": 2}
    replayed = await client.post("/api/v1/test-flaky", json={"n": 1}, headers=keyed(admin, "flaky-1"))
    assert replayed.json() == {"run": 2}
    assert replayed.headers["idempotent-replayed"] == "true"
    assert len(runs) == 2


async def test_an_answer_marked_no_store_is_never_stored(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    runs: list[int] = []

    async def show_secret_once(principal: Authenticated, response: Response) -> dict[str, str]:
        runs.append(1)
        response.headers["Cache-Control"] = "no-store"
        return {"secret": f"shown-once-{len(runs)}"}

    app.add_api_route("/api/v1/test-secret", show_secret_once, methods=["POST"], status_code=201)
    first = await client.post("/api/v1/test-secret", headers=keyed(admin, "secret-1"))
    second = await client.post("/api/v1/test-secret", headers=keyed(admin, "secret-1"))
    assert (first.json(), second.json()) == ({"secret": "shown-once-1"}, {"secret": "shown-once-2"})
    assert await key_records(sessionmaker) == []


SECRET_ROUTES = [
    # (where it is created, its body, the field of the answer that shows the secret)
    ("/api/v1/api-clients", {"name": "ERP", "scopes": ["customers:read"]}, "clientSecret"),
    ("/api/v1/webhooks", {"url": "https://8.8.8.8/hooks", "events": ["*"]}, "secret"),
]


@pytest.mark.parametrize(("path", "body", "field"), SECRET_ROUTES)
async def test_an_answer_showing_a_secret_is_never_stored_and_a_retry_is_a_conflict(
    client, app, sessionmaker, path, body, field
):
    admin = await make_user(app, sessionmaker, "admin")

    created = await client.post(path, json=body, headers=keyed(admin, "create-1"))
    assert created.status_code == 201, created.text
    rotated = await client.post(
        f"{path}/{created.json()['id']}/rotate-secret", headers=keyed(admin, "rotate-1")
    )
    assert rotated.status_code == 200, rotated.text
    secrets = [created.json()[field], rotated.json()[field]]

    for key, first in (("create-1", created), ("rotate-1", rotated)):
        request_path = path if key == "create-1" else f"{path}/{created.json()['id']}/rotate-secret"
        again = await client.post(
            request_path, json=body if key == "create-1" else None, headers=keyed(admin, key)
        )
        problem = assert_problem(again, 409, "IDEMPOTENCY_CONFLICT")
        assert problem["title"] == "Secret shown once"
        assert f"already succeeded (HTTP {first.status_code})" in problem["detail"]
        assert "rotate the secret" in problem["detail"]
        assert "idempotent-replayed" not in again.headers
        assert not any(secret in again.text for secret in secrets)
    # Neither request ran twice: one record, with its first secret rotated once.
    listed = await client.get(path, headers=admin.headers)
    assert listed.json()["total"] == 1
    records = await key_records(sessionmaker)
    assert sorted((r.key, r.status_code, r.response_withheld) for r in records) == [
        ("create-1", 201, True),
        ("rotate-1", 200, True),
    ]
    assert all(r.response_body is None and r.response_headers is None for r in records)


async def test_a_refused_request_to_a_secret_route_is_stored_and_replayed_as_usual(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    invalid = {"name": "ERP", "scopes": ["no-such:scope"]}

    first = await client.post("/api/v1/api-clients", json=invalid, headers=keyed(admin, "bad-client"))
    again = await client.post("/api/v1/api-clients", json=invalid, headers=keyed(admin, "bad-client"))

    assert_problem(first, 400, "VALIDATION_ERROR")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    [record] = await key_records(sessionmaker)
    assert record.response_withheld is False


def test_the_secret_routes_are_marked_in_the_openapi_document(app):
    paths = app.openapi()["paths"]
    marked = sorted(
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if operation.get(SECRET_SHOWN_ONCE_FLAG) is True
    )
    assert marked == [
        "POST /api/v1/api-clients",
        "POST /api/v1/api-clients/{api_client_id}/rotate-secret",
        "POST /api/v1/webhooks",
        "POST /api/v1/webhooks/{webhook_id}/rotate-secret",
    ]


async def seed_record(sessionmaker: async_sessionmaker[AsyncSession], **values: Any) -> None:
    async with transaction(sessionmaker) as session:
        await session.execute(insert(IdempotencyKey).values(**values))


async def test_a_claim_left_by_a_dead_request_is_taken_over_after_its_lease(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    body = customer_body()
    now = utcnow()
    await seed_record(
        sessionmaker,
        principal=f"user:{admin.id}",
        key="orphan-1",
        request_fingerprint=request_fingerprint("POST", CUSTOMERS, b"", json.dumps(body).encode()),
        created_at=now - timedelta(minutes=10),
        locked_by=uuid.uuid4(),
        locked_until=now - timedelta(minutes=5),
    )
    headers = {**keyed(admin, "orphan-1"), "Content-Type": "application/json"}
    response = await client.post(CUSTOMERS, content=json.dumps(body), headers=headers)
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    [record] = await key_records(sessionmaker)
    assert (record.status_code, record.locked_by) == (201, None)


async def test_records_older_than_a_day_no_longer_count(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    old = utcnow() - timedelta(hours=25)
    await seed_record(
        sessionmaker,
        principal=f"user:{admin.id}",
        key="old-1",
        request_fingerprint="0" * 64,
        status_code=201,
        response_headers=[["content-type", "application/json"]],
        response_body=b"{}",
        created_at=old,
        completed_at=old,
    )
    response = await client.post(CUSTOMERS, json=customer_body(), headers=keyed(admin, "old-1"))
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert await count(sessionmaker, Customer) == 1


async def test_the_purge_job_deletes_expired_records(app, engine, sessionmaker, settings):
    now = utcnow()
    for key, age in (("fresh", timedelta(hours=23)), ("expired", timedelta(hours=25))):
        await seed_record(
            sessionmaker,
            principal="user:someone",
            key=key,
            request_fingerprint="0" * 64,
            status_code=201,
            response_body=b"{}",
            created_at=now - age,
            completed_at=now - age,
        )
    assert registry.periodics[PURGE_JOB].kind == PURGE_JOB

    async with transaction(sessionmaker) as session:
        await enqueue(session, PURGE_JOB)
    worker = Worker(
        sessionmaker,
        read_sessionmaker=make_sessionmaker(read_only(engine)),
        settings=settings,
        run_periodic=False,
    )
    assert await worker.drain() == 1
    assert [record.key for record in await key_records(sessionmaker)] == ["fresh"]
