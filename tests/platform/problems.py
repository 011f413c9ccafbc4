"""Helpers shared by the platform tests: what every problem-details answer must look like, and routes
that fail on purpose."""

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text

from fixdesk.platform.deps import SessionDep

SECRET_MESSAGE = "secret SQL SELECT * FROM users"
MISSING_TABLE = "no_such_table_for_error_test"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "requestId", "timestamp"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check ``response`` is an RFC 9457 problem with ``status`` and ``code`` and return its body.

    Every problem carries ``X-Request-ID``, repeats it as ``requestId`` and has a UTC ISO timestamp with
    ``Z``, so a user quoting either value lets staff find the request in the log.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    assert body["type"].startswith("https://")
    request_id = response.headers.get("x-request-id")
    assert request_id, "problem response without X-Request-ID"
    assert body["requestId"] == request_id
    assert body["timestamp"].endswith("Z"), body["timestamp"]
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == UTC.utcoffset(None)
    return body


def add_failing_routes(app) -> None:
    """Routes that fail the way real bugs do: an exception with sensitive text, invalid SQL through the
    request's session, and a unique violation the service did not pre-check."""

    async def raise_error():
        raise RuntimeError(SECRET_MESSAGE)

    async def invalid_sql(session: SessionDep):
        await session.execute(text(f"SELECT missing_column FROM {MISSING_TABLE}"))

    async def record_sequence(session: SessionDep) -> None:
        await session.execute(
            text("INSERT INTO number_sequences (prefix, year, last_value) VALUES ('ZZ', 1999, 1)")
        )

    async def duplicate_insert(session: SessionDep):
        await record_sequence(session)
        await record_sequence(session)

    app.add_api_route("/boom", raise_error, methods=["GET"])
    app.add_api_route("/boom-sql", invalid_sql, methods=["GET"])
    app.add_api_route("/boom-duplicate", duplicate_insert, methods=["POST"])
