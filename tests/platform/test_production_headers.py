"""Transport security headers (issue 9, item 8): ``X-Content-Type-Options: nosniff`` on every response,
and ``Strict-Transport-Security`` on every response in production, including the problem answers that
middleware gives (401, 404, 413, 429, the last-resort 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.platform.problems import add_failing_routes

TWO_YEARS = 63_072_000
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """The platform tests' :func:`make_app`, each app with routes that fail in every way."""

    def build(**overrides: Any) -> Any:
        app = make_app(**overrides)
        add_failing_routes(app)
        return app

    return build


async def every_kind_of_response(app: Any) -> dict[str, httpx.Response]:
    """One response of each kind a client can get, from the routes to the outermost middleware."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        responses = {
            "ok": await http.get("/health"),
            "html page": await http.get("/track/not-a-real-tracking-token"),
            "unauthorized": await http.get("/api/v1/customers"),
            "not found": await http.get("/api/v1/no-such-thing"),
            "too large": await http.post(
                "/api/v1/customers", content=b"x" * 4096, headers={"content-type": "application/json"}
            ),
            "server error": await http.get("/boom"),
        }
        for _ in range(6):
            last = await http.post(LOGIN, json={"email": "nobody@example.com", "password": "wrong-password"})
        responses["rate limited"] = last
    return responses


async def test_production_sends_hsts_and_nosniff_on_every_response(make_app, json_log):
    app = make_app(env="production", max_body_bytes=1024)

    responses = await every_kind_of_response(app)

    statuses = {kind: response.status_code for kind, response in responses.items()}
    assert statuses == {
        "ok": 200,
        "html page": 404,
        "unauthorized": 401,
        "not found": 404,
        "too large": 413,
        "server error": 500,
        "rate limited": 429,
    }
    for kind, response in responses.items():
        assert response.headers.get("strict-transport-security") == (
            f"max-age={TWO_YEARS}; includeSubDomains"
        ), kind
        assert response.headers.get("x-content-type-options") == "nosniff", kind


async def test_outside_production_every_response_is_nosniff_without_hsts(make_app, json_log):
    app = make_app(max_body_bytes=1024)

    responses = await every_kind_of_response(app)

    for kind, response in responses.items():
        assert response.headers.get("x-content-type-options") == "nosniff", kind
        # A browser that saw HSTS on localhost would refuse plain HTTP to every dev server there.
        assert "strict-transport-security" not in response.headers, kind


async def test_the_hsts_max_age_is_configurable_and_zero_leaves_it_out(make_app):
    one_day = make_app(env="production", hsts_max_age=86400)
    off = make_app(env="production", hsts_max_age=0)

    for app, expected in ((one_day, "max-age=86400; includeSubDomains"), (off, None)):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/health")
        assert response.headers.get("strict-transport-security") == expected
        assert response.headers["x-content-type-options"] == "nosniff"
