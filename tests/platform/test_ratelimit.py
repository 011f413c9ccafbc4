"""Rate limits: per client IP on the auth endpoints and for anonymous callers, per principal for
authenticated ones, the bulk dependency, the headers on every response, who the client is behind a proxy,
and (with Redis) one budget shared by two server processes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from fixdesk.config import Settings
from fixdesk.credentials.models import AuthSession
from fixdesk.platform.idempotency import IdempotencyKey
from fixdesk.platform.permissions import Authenticated
from fixdesk.platform.ratelimit import BulkRateLimited, RateLimits, ip_subject, resolve_client_ip
from fixdesk.web.assets import vendor_url
from tests.conftest import Database, make_settings, unique_email
from tests.factories import make_user
from tests.platform.problems import assert_problem
from tests.support.server import Server, clean_env, start_server

LOGIN = "/api/v1/auth/login"
PASSWORD = "correct horse battery"


@pytest.fixture
def make_app(database_url: str, tmp_path: Path, database: Database) -> Callable[..., Any]:
    """Builds apps on the test's database with extra settings."""

    def build(**overrides: Any) -> Any:
        return database.app(make_settings(database_url, tmp_path, **overrides))

    return build


def client_for(app: Any, ip: str) -> httpx.AsyncClient:
    """An HTTP client whose requests reach ``app`` from the socket peer ``ip``."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def wrong_login(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await http.post(
        LOGIN, json={"email": "nobody@example.com", "password": "wrong-password"}, headers=headers
    )


def limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["x-ratelimit-limit"]),
        int(response.headers["x-ratelimit-remaining"]),
        int(response.headers["x-ratelimit-reset"]),
    )


# --- auth endpoints ------------------------------------------------------------------------------------


async def test_the_sixth_rapid_login_from_one_ip_is_refused_with_429(client, app, sessionmaker):
    user = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    started = time.time()

    remaining = []
    for _ in range(5):
        response = await wrong_login(client)
        assert response.status_code == 401, response.text
        limit, left, reset = limit_headers(response)
        assert limit == 5
        assert started - 1 <= reset <= time.time() + 61
        remaining.append(left)
    assert remaining == [4, 3, 2, 1, 0]

    # Even the right password is not checked once the budget is spent.
    refused = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    body = assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert body["limit"] == 5
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert limit_headers(refused)[:2] == (5, 0)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuthSession)) == 0

    # The budget is the IP's: another address logs in.
    async with client_for(app, "203.0.113.40") as elsewhere:
        allowed = await elsewhere.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert allowed.status_code == 200, allowed.text
    assert limit_headers(allowed)[:2] == (5, 4)


async def test_every_auth_endpoint_shares_the_ips_auth_budget(make_app):
    app = make_app(rate_limit_auth="3/minute")
    async with client_for(app, "198.51.100.7") as http:
        assert (await wrong_login(http)).status_code == 401
        assert (
            await http.post("/api/v1/auth/refresh", json={"refreshToken": "rt_unknown"})
        ).status_code == 401
        token = await http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"})
        assert token.headers["x-ratelimit-remaining"] == "0", token.text
        assert_problem(
            await http.post("/api/v1/auth/refresh", json={"refreshToken": "rt_unknown"}),
            429,
            "RATE_LIMIT_EXCEEDED",
        )
        # Other endpoints count against the anonymous budget, which is untouched.
        other = await http.get("/api/v1/customers")
        assert other.status_code == 401
        assert limit_headers(other)[:2] == (100, 99)


# --- anonymous and authenticated ---------------------------------------------------------------------


async def test_anonymous_requests_are_limited_per_ip(make_app):
    app = make_app(rate_limit_anonymous="3/minute")
    async with client_for(app, "198.51.100.8") as http, client_for(app, "198.51.100.9") as neighbour:
        statuses = [(await http.get("/api/v1/customers")).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        refused = await http.get("/api/v1/customers")
        assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
        # Unknown routes count too, and carry the headers.
        assert (await http.get("/api/v1/no-such-route")).status_code == 429
        assert (await neighbour.get("/api/v1/no-such-route")).status_code == 404
        # An invalid token does not escape the anonymous budget.
        forged = await http.get("/api/v1/customers", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 429


async def test_authenticated_requests_are_limited_per_principal_not_per_ip(make_app, sessionmaker):
    app = make_app(rate_limit_anonymous="1/minute", rate_limit_authenticated="3/minute")
    first = await make_user(app, sessionmaker, "admin")
    second = await make_user(app, sessionmaker, "admin")
    async with client_for(app, "198.51.100.10") as http:
        # The IP's anonymous budget is spent first; signed-in callers do not draw on it.
        assert (await http.get("/api/v1/customers")).status_code == 401
        assert (await http.get("/api/v1/customers")).status_code == 429

        seen = []
        for _ in range(3):
            response = await http.get("/api/v1/customers", headers=first.headers)
            assert response.status_code == 200, response.text
            seen.append(limit_headers(response)[:2])
        assert seen == [(3, 2), (3, 1), (3, 0)]
        assert_problem(await http.get("/api/v1/customers", headers=first.headers), 429, "RATE_LIMIT_EXCEEDED")

        # Same address, another principal: its own budget.
        other = await http.get("/api/v1/customers", headers=second.headers)
        assert other.status_code == 200
        assert limit_headers(other)[:2] == (3, 2)
    # The same principal from another address: the same, spent budget.
    async with client_for(app, "203.0.113.77") as elsewhere:
        assert (await elsewhere.get("/api/v1/customers", headers=first.headers)).status_code == 429


async def test_operational_endpoints_docs_and_static_files_are_not_limited(make_app):
    app = make_app(rate_limit_anonymous="1/minute")
    async with client_for(app, "198.51.100.11") as http:
        for path in (
            "/health",
            "/ready",
            "/metrics",
            "/docs",
            "/redoc",
            "/openapi.json",
            "/static/fixdesk/app.css",
            vendor_url("htmx", "htmx.min.js"),
        ):
            for _ in range(3):
                response = await http.get(path)
                assert response.status_code == 200, (path, response.text)
                assert "x-ratelimit-limit" not in response.headers
        assert (await http.get("/api/v1/customers")).status_code == 401
        assert (await http.get("/api/v1/customers")).status_code == 429


async def test_limits_are_configurable_and_validated(tmp_path):
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(data_dir=tmp_path, rate_limit_auth="lots")
    with pytest.raises(ValueError, match="one limit per setting"):
        Settings(data_dir=tmp_path, rate_limit_bulk="5/minute;50/hour")
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(data_dir=tmp_path, trusted_proxies=["10.0.0.0/33"])
    limits = RateLimits(
        Settings(data_dir=tmp_path, rate_limit_authenticated="20/second", rate_limit_auth="7/hour")
    )
    assert (limits.items["authenticated"].amount, limits.items["authenticated"].get_expiry()) == (20, 1)
    assert (limits.items["auth"].amount, limits.items["auth"].get_expiry()) == (7, 3600)


async def test_a_failing_storage_lets_requests_through(make_app):
    # Nothing listens on port 1: every count fails at once. An outage of the limiter is not an outage of the API.
    app = make_app(rate_limit_anonymous="1/minute", redis_url="redis://127.0.0.1:1/0")
    async with client_for(app, "198.51.100.12") as http:
        for _ in range(3):
            response = await http.get("/api/v1/customers")
            assert response.status_code == 401
            assert "x-ratelimit-limit" not in response.headers


# --- bulk ----------------------------------------------------------------------------------------------


def add_bulk_route(app: Any) -> None:
    """A stand-in for a bulk-send endpoint (none exists yet)."""

    async def bulk_send(principal: Authenticated, _: BulkRateLimited) -> dict[str, str]:
        return {"sentBy": str(principal.id)}

    app.add_api_route("/api/v1/test-bulk-send", bulk_send, methods=["POST"])


async def test_bulk_sends_have_their_own_tighter_limit(make_app, sessionmaker):
    app = make_app(rate_limit_bulk="2/minute")
    add_bulk_route(app)
    sender = await make_user(app, sessionmaker, "admin")
    colleague = await make_user(app, sessionmaker, "admin")
    async with client_for(app, "198.51.100.13") as http:
        for expected_remaining in (1, 0):
            response = await http.post("/api/v1/test-bulk-send", headers=sender.headers)
            assert response.status_code == 200, response.text
            assert response.json() == {"sentBy": str(sender.id)}
            assert limit_headers(response)[:2] == (2, expected_remaining)
        refused = await http.post("/api/v1/test-bulk-send", headers=sender.headers)
        assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
        assert int(refused.headers["retry-after"]) >= 1
        assert limit_headers(refused)[:2] == (2, 0)
        assert refused.headers.get_list("x-ratelimit-limit") == ["2"]

        # Ordinary requests of the same principal report the general limit, with budget left.
        ordinary = await http.get("/api/v1/customers", headers=sender.headers)
        assert ordinary.status_code == 200
        assert limit_headers(ordinary)[0] == 1000
        assert (await http.post("/api/v1/test-bulk-send", headers=colleague.headers)).status_code == 200


async def test_a_bulk_request_refused_for_its_rate_does_not_use_up_its_idempotency_key(
    make_app, sessionmaker
):
    app = make_app(rate_limit_bulk="1/minute")
    add_bulk_route(app)
    sender = await make_user(app, sessionmaker, "admin")
    async with client_for(app, "198.51.100.15") as http:
        assert (await http.post("/api/v1/test-bulk-send", headers=sender.headers)).status_code == 200
        keyed = {**sender.headers, "Idempotency-Key": "bulk-1"}
        for _ in range(2):
            refused = await http.post("/api/v1/test-bulk-send", headers=keyed)
            assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
            # Not a stored answer: once the window allows it, the same key will run.
            assert "idempotent-replayed" not in refused.headers
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


# --- the client's address ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        # No trusted proxies: the header is ignored.
        ("198.51.100.1", ["203.0.113.9"], [], "198.51.100.1"),
        # The peer is not a trusted proxy: ignored too.
        ("198.51.100.1", ["203.0.113.9"], ["10.0.0.0/8"], "198.51.100.1"),
        # A trusted proxy: the address it appended.
        ("10.0.0.5", ["203.0.113.9"], ["10.0.0.0/8"], "203.0.113.9"),
        # The client wrote its own header; only the right-most, untrusted entry counts.
        ("10.0.0.5", ["1.2.3.4, 203.0.113.9"], ["10.0.0.0/8"], "203.0.113.9"),
        # Two trusted proxies in a row, the header split over two lines.
        ("10.0.0.5", ["1.2.3.4, 203.0.113.9", "10.0.0.7"], ["10.0.0.0/8"], "203.0.113.9"),
        # Garbage stops the walk at the proxy that received it.
        ("10.0.0.5", ["not-an-ip"], ["10.0.0.0/8"], "10.0.0.5"),
        ("10.0.0.5", ["203.0.113.9, junk, 10.0.0.6"], ["10.0.0.0/8"], "10.0.0.6"),
        # Every hop trusted: the left-most.
        ("10.0.0.5", ["10.0.0.8, 10.0.0.9"], ["10.0.0.0/8"], "10.0.0.8"),
        # A trusted proxy that sent no header.
        ("10.0.0.5", [], ["10.0.0.5"], "10.0.0.5"),
        ("2001:db8::1", ["2001:db8:1::9"], ["2001:db8::/64"], "2001:db8:1::9"),
        (None, ["203.0.113.9"], ["10.0.0.0/8"], "unknown"),
    ],
)
def test_client_ip_comes_from_x_forwarded_for_only_through_trusted_proxies(
    peer, forwarded_for, trusted, expected
):
    import ipaddress

    networks = [ipaddress.ip_network(entry) for entry in trusted]
    assert resolve_client_ip(peer, forwarded_for, networks) == expected


def test_ipv6_clients_are_counted_per_64_network():
    assert ip_subject("2001:db8:1:2:aaaa::1") == ip_subject("2001:db8:1:2:bbbb::2") == "ip:2001:db8:1:2::/64"
    assert ip_subject("2001:db8:1:3::1") != ip_subject("2001:db8:1:2::1")
    assert ip_subject("::ffff:203.0.113.9") == ip_subject("203.0.113.9") == "ip:203.0.113.9"


async def test_x_forwarded_for_from_an_untrusted_peer_does_not_change_the_budget(make_app):
    app = make_app(trusted_proxies=["10.0.0.0/8"])
    async with client_for(app, "198.51.100.14") as http:
        for index in range(5):
            response = await wrong_login(http, **{"X-Forwarded-For": f"203.0.113.{index}"})
            assert response.status_code == 401
        refused = await wrong_login(http, **{"X-Forwarded-For": "203.0.113.99"})
        assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(make_app):
    app = make_app(trusted_proxies=["10.0.0.0/8"])
    async with client_for(app, "10.1.2.3") as proxy:
        for _ in range(5):
            # The left part was written by the client and does not split the budget.
            spoofed = f"{uuid.uuid4().int % 250}.0.0.1, 203.0.113.5"
            assert (await wrong_login(proxy, **{"X-Forwarded-For": spoofed})).status_code == 401
        assert_problem(
            await wrong_login(proxy, **{"X-Forwarded-For": "203.0.113.5"}), 429, "RATE_LIMIT_EXCEEDED"
        )
        # Another client behind the same proxy has its own budget.
        other = await wrong_login(proxy, **{"X-Forwarded-For": "203.0.113.6"})
        assert other.status_code == 401
        assert limit_headers(other)[:2] == (5, 4)


# --- two processes, one budget (Redis) -----------------------------------------------------------------


@pytest.fixture
def two_servers(redis_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two ``fixdesk serve`` processes sharing Redis (and one rate-limit namespace), each with its own
    SQLite data directory: the budget they share can only come from Redis."""
    namespace = f"test-{uuid.uuid4().hex}"
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            env = clean_env(
                tmp_path / name,
                FIXDESK_REDIS_URL=redis_url,
                FIXDESK_RATE_LIMIT_NAMESPACE=namespace,
                FIXDESK_RATE_LIMIT_AUTH="5/minute",
            )
            servers.append(start_server(env, tmp_path / f"server-{name}.log"))
        for server in servers:
            server.wait_healthy()
        yield [server.base_url for server in servers]
    finally:
        for server in servers:
            server.stop()


def test_two_server_processes_sharing_redis_share_one_budget(two_servers: list[str]) -> None:
    server_a, server_b = two_servers
    body = {"email": unique_email("nobody"), "password": "wrong-password"}
    remaining = []
    with httpx.Client(base_url=server_a, timeout=20) as a, httpx.Client(base_url=server_b, timeout=20) as b:
        for index, http in enumerate((a, a, a, b, b)):
            # A header the servers must not believe (127.0.0.1 is no trusted proxy): it cannot split the budget.
            response = http.post(LOGIN, json=body, headers={"X-Forwarded-For": f"203.0.113.{index}"})
            assert response.status_code == 401, response.text
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        refused = b.post(LOGIN, json=body)
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "RATE_LIMIT_EXCEEDED"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-request-id"]
        assert a.post(LOGIN, json=body).status_code == 429
