"""``/ready`` answers 503 when the database does not, and logs why (issue 9, item 8): the exception's
class and message, never a password or a configured secret."""

from __future__ import annotations

import httpx

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
