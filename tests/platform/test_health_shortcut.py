"""A plain ``GET /health`` is answered before the inner middleware and the router (issue 9, item 11), with
the same document and the same transport headers as the route gives; anything else still meets every
check on the way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import time_machine

SHOP = "https://shop.example.com"


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_the_shortcut_answers_as_the_route_does_with_the_production_headers(make_app):
    app = make_app(env="production")
    async with _client(app) as http:
        shortcut = await http.get("/health", headers={"X-Request-ID": "probe-1"})
        # A query string takes the usual way, through every middleware to the route.
        routed = await http.get("/health?from=balancer", headers={"X-Request-ID": "probe-2"})

    for response, request_id in ((shortcut, "probe-1"), (routed, "probe-2")):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-request-id"] == request_id
        assert "content-security-policy" not in response.headers
        body = response.json()
        assert (body["status"], body["environment"]) == ("healthy", "production")
        assert body["timestamp"].endswith("Z")
    assert sorted(shortcut.headers.keys()) == sorted(routed.headers.keys())
    assert shortcut.json().keys() == routed.json().keys()


async def test_the_shortcut_answers_the_routes_bytes(make_app):
    app = make_app()
    # The clock stands still, so both answers carry the same timestamp, microseconds included.
    with time_machine.travel(datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=UTC), tick=False):
        async with _client(app) as http:
            shortcut = await http.get("/health")
            routed = await http.get("/health?probe=1")

    assert shortcut.content == routed.content
    assert shortcut.json()["timestamp"] == "2026-12-31T23:59:59.123456Z"
    assert shortcut.headers["content-length"] == str(len(routed.content))


async def test_the_shortcut_is_logged_and_counted(make_app, json_log):
    app = make_app(metrics_allow_from=["127.0.0.1/32"])
    async with _client(app) as http:
        response = await http.get("/health")
    logged = [entry for entry in json_log() if entry.get("event") == "request"]
    assert [(entry["path"], entry["status"]) for entry in logged] == [("/health", 200)]
    assert logged[0]["request_id"] == response.headers["x-request-id"]
    samples = app.state.metrics.requests.collect()[0].samples
    assert any(
        sample.labels == {"method": "GET", "route": "/health", "status": "200"} and sample.value == 1
        for sample in samples
    )


async def test_cors_headers_still_reach_an_allowed_origin(make_app):
    app = make_app(cors_origins=[SHOP])
    async with _client(app) as http:
        response = await http.get("/health", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP


async def test_other_requests_to_health_still_meet_every_check(make_app):
    app = make_app(max_body_bytes=1024)
    async with _client(app) as http:
        wrong_method = await http.post("/health")
        control_character = await http.get("/health?probe=%00")
        too_large = await http.request("GET", "/health", content=b"x" * 4096)
    assert wrong_method.status_code == 405
    assert control_character.status_code == 400
    assert control_character.json()["errors"] == [
        {"field": "probe", "message": control_character.json()["errors"][0]["message"]}
    ]
    assert too_large.status_code == 413
