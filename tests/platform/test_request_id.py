"""``X-Request-ID``: generated when absent, echoed when sane, replaced when not, on every response."""

import uuid

import pytest

from tests.platform.problems import add_failing_routes


def generated_id(value: str) -> uuid.UUID:
    """Parse a server-generated request id (a UUID); fails the test if it is anything else."""
    return uuid.UUID(value)


async def test_generated_when_absent(client):
    first = await client.get("/health")
    second = await client.get("/health")
    assert first.status_code == second.status_code == 200
    first_id = generated_id(first.headers["x-request-id"])
    second_id = generated_id(second.headers["x-request-id"])
    assert first_id != second_id


@pytest.mark.parametrize(
    "sent",
    ["abc-123", "client.trace:42_a", "0190f5a2-7c1e-7b3a-9d2e-4f6a8b0c1d2e", "x" * 128],
    ids=["short", "punctuation", "uuid", "128-chars"],
)
async def test_echoed_when_sane(client, sent):
    response = await client.get("/health", headers={"X-Request-ID": sent})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "x" * 500,
        "has spaces in it",
        "<script>alert(1)</script>",
        "semi;colon",
        'quote"d',
    ],
    ids=["500-chars", "spaces", "markup", "semicolon", "quote"],
)
async def test_replaced_when_garbage(client, sent):
    response = await client.get("/api/v1/no-such-route", headers={"X-Request-ID": sent})
    assert response.status_code == 404
    returned = response.headers["x-request-id"]
    assert returned != sent
    generated_id(returned)
    assert response.json()["requestId"] == returned


async def test_problem_body_repeats_the_echoed_id(client):
    response = await client.get("/api/v1/no-such-route", headers={"X-Request-ID": "support-ticket-7"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "support-ticket-7"
    assert response.json()["requestId"] == "support-ticket-7"


async def test_present_on_client_errors(client):
    unauthorized = await client.get("/api/v1/users/me")
    assert unauthorized.status_code == 401
    generated_id(unauthorized.headers["x-request-id"])
    assert unauthorized.json()["requestId"] == unauthorized.headers["x-request-id"]

    not_allowed = await client.post("/health")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["requestId"] == not_allowed.headers["x-request-id"]


async def test_present_on_unhandled_500(client, app, json_log):
    add_failing_routes(app)
    generated = await client.get("/boom")
    assert generated.status_code == 500
    generated_id(generated.headers["x-request-id"])
    assert generated.json()["requestId"] == generated.headers["x-request-id"]

    echoed = await client.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert echoed.status_code == 500
    assert echoed.headers["x-request-id"] == "trace-500"
    assert echoed.json()["requestId"] == "trace-500"


async def test_present_on_integrity_conflict(client, app):
    add_failing_routes(app)
    response = await client.post("/boom-duplicate", headers={"X-Request-ID": "trace-409"})
    assert response.status_code == 409
    assert response.headers["x-request-id"] == "trace-409"
    assert response.json()["requestId"] == "trace-409"
