"""Every failure path answers with problem details (RFC 9457) and never leaks internals.

Validation errors name the camelCase field, unknown routes and wrong methods are problems too, and an
unhandled exception is a generic 500 whose traceback goes to the log only.
"""

import re
import uuid

import pytest
from sqlalchemy import func, select, text

from tests.factories import make_user
from tests.platform.problems import MISSING_TABLE, SECRET_MESSAGE, add_failing_routes, assert_problem

# Fragments that must never reach a client: tracebacks, exception text, SQL and driver messages.
LEAKS = (
    "Traceback",
    'File "',
    "RuntimeError",
    "secret",
    "SELECT",
    "INSERT",
    "sqlalchemy",
    "number_sequences",
    MISSING_TABLE,
    "UNIQUE",
    "duplicate key",
)


def assert_no_leaks(text_body: str) -> None:
    for fragment in LEAKS:
        assert fragment.lower() not in text_body.lower(), f"{fragment!r} leaked: {text_body}"


async def test_body_validation_error_lists_camel_case_fields(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        "/api/v1/customers",
        json={"firstName": "Ana", "lastName": "", "email": "not-an-email"},
        headers=admin.headers,
    )
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert body["instance"] == "/api/v1/customers"
    errors = body["errors"]
    assert all(set(error) == {"field", "message"} and error["message"] for error in errors), errors
    assert {error["field"] for error in errors} == {"lastName", "email"}
    assert "lastName" in body["detail"]


async def test_missing_required_field_is_named(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post("/api/v1/customers", json={"first_name": "Ana"}, headers=admin.headers)
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == ["lastName"]


async def test_malformed_json_is_a_validation_problem(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        "/api/v1/customers",
        content=b'{"firstName": "Ana",',
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "VALIDATION_ERROR")


async def test_unknown_route_is_not_found_problem(client):
    response = await client.get("/api/v1/no-such-resource")
    body = assert_problem(response, 404, "NOT_FOUND")
    assert "/api/v1/no-such-resource" in body["detail"]


async def test_missing_resource_is_not_found_problem(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=admin.headers)
    assert_problem(response, 404, "NOT_FOUND")


async def test_wrong_method_is_method_not_allowed_problem(client):
    response = await client.delete("/health")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]


async def test_missing_token_is_unauthorized_problem(client):
    response = await client.get("/api/v1/customers")
    assert_problem(response, 401, "UNAUTHORIZED")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_unhandled_exception_is_generic_500_with_trace_in_log(client, app, json_log):
    add_failing_routes(app)
    response = await client.get("/boom")
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert "errors" not in body
    assert_no_leaks(response.text)

    failures = [entry for entry in json_log() if entry.get("event") == "unhandled_exception"]
    assert len(failures) == 1, failures
    failure = failures[0]
    assert failure["request_id"] == body["requestId"]
    assert failure["path"] == "/boom"
    assert "Traceback" in failure["exception"]
    assert f"RuntimeError: {SECRET_MESSAGE}" in failure["exception"]


async def test_invalid_sql_is_generic_500_with_sql_in_log_only(client, app, json_log):
    add_failing_routes(app)
    response = await client.get("/boom-sql")
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert_no_leaks(response.text)

    failures = [entry for entry in json_log() if entry.get("event") == "unhandled_exception"]
    assert len(failures) == 1, failures
    assert failures[0]["request_id"] == body["requestId"]
    assert "Traceback" in failures[0]["exception"]
    assert MISSING_TABLE in failures[0]["exception"]


async def test_app_keeps_serving_after_a_500(client, app, json_log):
    add_failing_routes(app)
    assert (await client.get("/boom")).status_code == 500
    assert (await client.get("/health")).status_code == 200


async def test_integrity_error_is_conflict_and_rolls_back(client, app, sessionmaker):
    add_failing_routes(app)
    response = await client.post("/boom-duplicate")
    assert_problem(response, 409, "CONFLICT")
    assert_no_leaks(response.text)
    # The request's transaction was rolled back: not even the first insert survived.
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(text("number_sequences")).where(text("prefix = 'ZZ'"))
        )
    assert count == 0


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "console"])
async def test_log_has_traceback_but_no_local_variables(client, app, app_log, json_output):
    buffer = app_log(json_output)

    async def failing_login():
        # Built at run time so only a dump of local variables could put the whole value in the log.
        password = "".join(["correct-horse", "-battery-staple"])
        raise RuntimeError(f"password check failed after {len(password)} characters")

    app.add_api_route("/failing-login", failing_login, methods=["POST"])
    response = await client.post("/failing-login")
    assert_problem(response, 500, "INTERNAL_ERROR")

    log_text = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())  # drop terminal colours
    assert "Traceback" in log_text
    assert "password check failed after 28 characters" in log_text
    assert response.json()["requestId"] in log_text
    assert "correct-horse-battery-staple" not in log_text
