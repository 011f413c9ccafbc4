"""Who may read ``/metrics`` (issue 9, item 8): a bearer token (``FIXDESK_METRICS_TOKEN``) or a client in
``FIXDESK_METRICS_ALLOW_FROM`` (the client IP as the rate limiter sees it, through trusted proxies); open
outside production when neither is set, closed in production."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from fixdesk.config import Settings
from tests.platform.problems import assert_problem

METRICS_TOKEN = "scrape-token-0123456789abcdef"


async def get_metrics(
    app: Any, *, ip: str = "127.0.0.1", token: str | None = None, forwarded_for: str | None = None
) -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get("/metrics", headers=headers)


def is_prometheus_text(response: httpx.Response) -> bool:
    return response.status_code == 200 and "http_requests_total" in response.text


async def test_outside_production_with_nothing_configured_metrics_are_open(make_app):
    app = make_app(env="development")

    assert is_prometheus_text(await get_metrics(app))


async def test_in_production_with_nothing_configured_metrics_are_closed(make_app):
    app = make_app(env="production")

    problem = assert_problem(await get_metrics(app), 403, "FORBIDDEN")
    assert "FIXDESK_METRICS_TOKEN" in problem["detail"]
    # Not even a token-looking header opens them: there is no token to compare it with.
    assert_problem(await get_metrics(app, token=METRICS_TOKEN), 403, "FORBIDDEN")


@pytest.mark.parametrize("env", ["development", "production"])
async def test_a_configured_token_is_required(make_app, env):
    app = make_app(env=env, metrics_token=METRICS_TOKEN)

    missing = await get_metrics(app)
    wrong = await get_metrics(app, token=METRICS_TOKEN[:-1] + "X")
    right = await get_metrics(app, token=METRICS_TOKEN)

    assert_problem(missing, 401, "UNAUTHORIZED")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_problem(wrong, 401, "UNAUTHORIZED")
    assert METRICS_TOKEN not in wrong.text
    assert is_prometheus_text(right)


async def test_configured_networks_may_read_without_a_token(make_app):
    app = make_app(env="production", metrics_allow_from=["10.20.0.0/16", "2001:db8::/32"])

    assert is_prometheus_text(await get_metrics(app, ip="10.20.3.4"))
    assert is_prometheus_text(await get_metrics(app, ip="2001:db8::7"))
    problem = assert_problem(await get_metrics(app, ip="127.0.0.1"), 403, "FORBIDDEN")
    assert "FIXDESK_METRICS_ALLOW_FROM" in problem["detail"]
    # A header the client wrote itself does not make it an allowed network (no trusted proxies).
    assert_problem(await get_metrics(app, ip="127.0.0.1", forwarded_for="10.20.3.4"), 403, "FORBIDDEN")


async def test_the_client_ip_behind_a_trusted_proxy_is_the_one_checked(make_app):
    app = make_app(env="production", trusted_proxies=["10.0.0.0/8"], metrics_allow_from=["192.0.2.0/24"])

    through_proxy = await get_metrics(app, ip="10.0.0.5", forwarded_for="192.0.2.7")
    other_client = await get_metrics(app, ip="10.0.0.5", forwarded_for="198.51.100.9")
    the_proxy_itself = await get_metrics(app, ip="10.0.0.5")

    assert is_prometheus_text(through_proxy)
    assert_problem(other_client, 403, "FORBIDDEN")
    assert_problem(the_proxy_itself, 403, "FORBIDDEN")


async def test_with_both_configured_either_one_is_enough(make_app):
    app = make_app(env="production", metrics_token=METRICS_TOKEN, metrics_allow_from=["10.20.0.0/16"])

    assert is_prometheus_text(await get_metrics(app, ip="10.20.0.1"))
    assert is_prometheus_text(await get_metrics(app, ip="203.0.113.5", token=METRICS_TOKEN))
    # Outside the networks without the token: the token would help, so the answer asks for it.
    assert_problem(await get_metrics(app, ip="203.0.113.5"), 401, "UNAUTHORIZED")


def test_a_short_token_and_a_malformed_network_are_refused(tmp_path):
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(data_dir=tmp_path, metrics_token="short")
    with pytest.raises(ValidationError, match="not an IP address or CIDR network"):
        Settings(data_dir=tmp_path, metrics_allow_from=["10.0.0.0/33"])
