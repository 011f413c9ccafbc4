"""``/ready`` answers 503 when the database does not, and logs why (issue 9, item 8): the exception's
class and message, never a password or a configured secret. It answers while a writer holds SQLite's write
lock: the probe only reads, so it does not queue behind a long write (an import, a migration) for the busy
timeout and then report the database as down."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from fixdesk.app import create_app
from fixdesk.db import create_engine
from fixdesk.platform.observability import describe_failure
from tests.conftest import TEST_SECRET, make_settings

DATABASE_PASSWORD = "hunter2-database-password"
# Port 1 on the loopback: nothing listens there, so the connection is refused at once.
UNREACHABLE = f"postgresql+asyncpg://fixdesk:{DATABASE_PASSWORD}@127.0.0.1:1/fixdesk"


async def test_not_ready_logs_the_reason_without_secrets(tmp_path, json_log):
    engine = create_engine(UNREACHABLE)
    app = create_app(make_settings(UNREACHABLE, tmp_path), engine=engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/ready")
    finally:
        await engine.dispose()

    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "services": {"database": "unavailable"}}
    [entry] = [entry for entry in json_log() if entry.get("event") == "not_ready"]
    assert entry["service"] == "database"
    assert entry["level"] == "warning"
    assert entry["error_type"] in {"ConnectionRefusedError", "OSError"}, entry
    assert "127.0.0.1" in entry["error"] or "refused" in entry["error"].lower(), entry
    assert entry["request_id"] == response.headers["x-request-id"]
    logged = str(json_log())
    assert DATABASE_PASSWORD not in logged
    assert TEST_SECRET not in logged


async def test_ready_when_the_database_answers_logs_nothing(client, json_log):
    response = await client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "services": {"database": "connected"}}
    assert not [entry for entry in json_log() if entry.get("event") == "not_ready"]


def test_a_failure_is_described_with_its_secrets_masked_and_its_length_bounded():
    failure = RuntimeError(f"cannot connect to postgresql://fixdesk:{DATABASE_PASSWORD}@db:5432\n  (retry)")

    described = describe_failure(failure, secrets=[DATABASE_PASSWORD, ""])
    long = describe_failure(RuntimeError("x" * 2000))

    assert described == "cannot connect to postgresql://fixdesk:***@db:5432 (retry)"
    assert len(long) == 500
    assert long.endswith("…")


async def test_ready_answers_while_a_writer_holds_the_write_lock(client, database):
    # The test's own transaction is that writer: on SQLite it began with BEGIN IMMEDIATE (db.py), so it
    # holds the write lock until the test ends.
    assert database.connection is not None
    response = await client.get("/ready")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_ready_tells_the_truth_after_the_server_closed_a_pooled_connection(
    backend, database_url, engine, tmp_path
):
    """No pre-ping on checkout (a round trip per request): a connection the server closed is found when
    used. ``/ready`` must still answer 200 for a database that answers, and a request that met the dead
    connection answers 503 with ``Retry-After`` (nothing saved), not a 500; the next one reconnects."""
    if backend != "postgresql":
        pytest.skip("a server-side disconnect needs a database server")
    app_engine = create_engine(database_url, pool_size=1)
    app = create_app(make_settings(database_url, tmp_path), engine=app_engine)
    try:
        async with app_engine.connect() as connection:
            backend_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
            await admin.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/ready")
            after = await http.get("/ready")
    finally:
        await app_engine.dispose()

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "services": {"database": "connected"}}
    assert after.status_code == 200


async def test_a_request_on_a_connection_the_server_closed_is_a_503_then_reconnects(
    backend, database_url, engine, tmp_path
):
    if backend != "postgresql":
        pytest.skip("a server-side disconnect needs a database server")
    app_engine = create_engine(database_url, pool_size=1)
    app = create_app(make_settings(database_url, tmp_path), engine=app_engine)
    try:
        async with app_engine.connect() as connection:
            backend_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
            await admin.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            # A public endpoint that reads the database: an unknown tracking link is a 404.
            stale = await http.get("/api/v1/track/no-such-link")
            fresh = await http.get("/api/v1/track/no-such-link")
    finally:
        await app_engine.dispose()

    assert stale.status_code == 503, stale.text
    assert stale.json()["code"] == "SERVICE_UNAVAILABLE"
    assert stale.headers["retry-after"]
    assert fresh.status_code == 404, fresh.text
