"""Routes answering their common case directly (``fixdesk.platform.direct_routes``, issue 9, item 11): the
repair detail and the first page of the repair list give the endpoint's exact bytes and headers, on both
databases, and every other case (no token, a bad or ended one, a missing permission, a query string, an id
the endpoint refuses, a repair that is not there) is the endpoint's own answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fixdesk.platform.pagination import EXACT_TOTAL_LIMIT
from tests.factories import insert_repairs, make_customer, make_repair, make_user
from tests.platform.problems import assert_problem

pytestmark = pytest.mark.usefixtures("fixed_clock")

# The routes' labels in /metrics, as the request metrics give them.
DETAIL_ROUTE = "/repairs/{repair_id}"
LIST_ROUTE = "/repairs"


def direct_answers(app: Any) -> dict[str, float]:
    """``http_direct_answers_total`` by route, from the app's own metrics registry."""
    counts: dict[str, float] = {}
    for metric in app.state.metrics.registry.collect():
        if metric.name == "http_direct_answers":
            for sample in metric.samples:
                if sample.name == "http_direct_answers_total":
                    counts[sample.labels["route"]] = sample.value
    return counts


def same_answer(direct: httpx.Response, endpoint: httpx.Response) -> None:
    assert direct.status_code == endpoint.status_code == 200, (direct.text, endpoint.text)
    assert direct.content == endpoint.content

    per_request = {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset"}

    def headers(response: httpx.Response) -> list[tuple[str, str]]:
        return [(name, value) for name, value in response.headers.multi_items() if name not in per_request]

    assert headers(direct) == headers(endpoint)


def _without_request_marks(body: Any) -> Any:
    """A JSON body without what differs per request (a problem's request id, time stamp and URL)."""
    if isinstance(body, dict):
        return {
            key: value for key, value in body.items() if key not in {"requestId", "timestamp", "instance"}
        }
    return body


async def _repair(client: Any, app: Any, sessionmaker: Any) -> tuple[Any, str]:
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    repair_id = repair["id"]
    for path, body in (
        ("items", {"description": "Screen", "unitPrice": "89.99", "unitCost": "41.10", "quantity": 2}),
        ("labour", {"description": "Bench", "hours": "1.25", "rate": "45.50"}),
    ):
        added = await client.post(f"/api/v1/repairs/{repair_id}/{path}", json=body, headers=admin.headers)
        assert added.status_code == 201, added.text
    changed = await client.put(
        f"/api/v1/repairs/{repair_id}/status", json={"status": "diagnosing"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    return admin, repair_id


async def test_the_detail_and_the_first_page_are_the_endpoints_bytes(client, app, sessionmaker):
    admin, repair_id = await _repair(client, app, sessionmaker)
    technician = await make_user(app, sessionmaker, "technician")

    detail = await client.get(f"/api/v1/repairs/{repair_id}", headers=admin.headers)
    assert direct_answers(app) == {DETAIL_ROUTE: 1}
    # A query string (which the detail does not read) takes the endpoint's way.
    endpoint_detail = await client.get(f"/api/v1/repairs/{repair_id}?via=endpoint", headers=admin.headers)
    first_page = await client.get("/api/v1/repairs", headers=admin.headers)
    endpoint_page = await client.get("/api/v1/repairs?page=1", headers=admin.headers)
    technician_page = await client.get("/api/v1/repairs", headers=technician.headers)

    assert direct_answers(app) == {DETAIL_ROUTE: 1, LIST_ROUTE: 2}
    same_answer(detail, endpoint_detail)
    same_answer(first_page, endpoint_page)
    same_answer(technician_page, endpoint_page)
    body = detail.json()
    assert body["id"] == repair_id
    assert [item["unitPrice"] for item in body["items"]] == [89.99]
    assert [line["hours"] for line in body["labour"]] == [1.25]
    assert [change["toStatus"] for change in body["statusHistory"]][-1] == "diagnosing"
    assert first_page.json()["total"] == 1
    # The request metrics label these requests with the same route as the counter.
    requests = {
        sample.labels["route"]
        for metric in app.state.metrics.registry.collect()
        if metric.name == "http_requests"
        for sample in metric.samples
    }
    assert {DETAIL_ROUTE, LIST_ROUTE} <= requests


async def test_every_other_case_is_the_endpoints_answer(client, app, sessionmaker):
    admin, repair_id = await _repair(client, app, sessionmaker)
    customer = await make_customer(app, sessionmaker)
    detail = f"/api/v1/repairs/{repair_id}"

    no_token = await client.get(detail)
    bad_token = await client.get(detail, headers={"Authorization": "Bearer not-a-token"})
    other_scheme = await client.get(
        detail, headers={"Authorization": f"Token {admin.headers['Authorization'][7:]}"}
    )
    portal_customer = await client.get(detail, headers=customer.headers)
    missing = await client.get("/api/v1/repairs/018f0000-0000-7000-8000-000000000000", headers=admin.headers)
    braces_path = "/api/v1/repairs/{" + repair_id + "}"
    braces = await client.get(braces_path, headers=admin.headers)
    # The same request with a query string, which the direct answer never takes: the endpoint's own answer.
    braces_by_endpoint = await client.get(braces_path + "?via=endpoint", headers=admin.headers)
    not_an_id = await client.get("/api/v1/repairs/not-an-id", headers=admin.headers)
    filtered = await client.get("/api/v1/repairs?status=cancelled", headers=admin.headers)

    assert direct_answers(app) == {}
    assert_problem(no_token, 401, "UNAUTHORIZED")
    assert_problem(bad_token, 401, "UNAUTHORIZED")
    assert_problem(other_scheme, 401, "UNAUTHORIZED")
    assert_problem(portal_customer, 403, "FORBIDDEN")
    assert_problem(missing, 404, "NOT_FOUND")
    assert braces.status_code == braces_by_endpoint.status_code
    assert _without_request_marks(braces.json()) == _without_request_marks(braces_by_endpoint.json())
    assert_problem(not_an_id, 400, "VALIDATION_ERROR")
    assert filtered.status_code == 200
    assert filtered.json()["items"] == []


async def test_an_ended_session_is_refused_at_once(client, app, sessionmaker):
    """The direct answer authenticates as the endpoint does, with the same statement: a token whose login
    session ended is refused on its next request."""
    password = "correct horse battery staple 7"
    admin = await make_user(app, sessionmaker, "admin", password=password)
    login = await client.post("/api/v1/auth/login", json={"email": admin.email, "password": password})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    assert (await client.get("/api/v1/repairs", headers=headers)).status_code == 200
    assert direct_answers(app) == {LIST_ROUTE: 1}

    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 200
    refused = await client.get("/api/v1/repairs", headers=headers)

    assert_problem(refused, 401, "UNAUTHORIZED")
    assert direct_answers(app) == {LIST_ROUTE: 1}


@pytest.mark.commits  # an app on the engine itself: on PostgreSQL its direct answers read on the pool
async def test_the_direct_list_on_a_pooled_connection_reuses_the_apps_estimate(
    backend, client, app, sessionmaker, statement_counter
):
    # In service on PostgreSQL a direct answer reads on a pooled connection without a session
    # (fixdesk.platform.direct.engine_reader); the list's estimate beyond 10,000 repairs must still reach
    # the app's reuse (fixdesk.platform.pagination), as a session's read does.
    if backend != "postgresql":
        pytest.skip("reads on a pooled connection without a session are PostgreSQL's")
    assert app.state.reads_in_autocommit
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    await insert_repairs(sessionmaker, customer.id, EXACT_TOTAL_LIMIT + 50, "P")

    statement_counter.reset()
    first = await client.get("/api/v1/repairs", headers=admin.headers)
    counted = _counts(statement_counter.statements)
    statement_counter.reset()
    again = await client.get("/api/v1/repairs", headers=admin.headers)
    reused = _counts(statement_counter.statements)

    assert first.status_code == again.status_code == 200, first.text
    assert direct_answers(app) == {LIST_ROUTE: 2.0}
    assert first.json()["totalIsEstimate"] is True
    assert again.json()["total"] == first.json()["total"]
    assert counted
    assert reused == [], reused


def _counts(statements: list[str]) -> list[str]:
    """The statements that count a list or ask for its estimate."""
    return [
        sql for sql in statements if "count(" in sql.lower() or sql.lstrip().upper().startswith("EXPLAIN")
    ]
