"""Rate limits per client IP and per principal, with the ``limits`` library.

Every request except the operational endpoints (``/health``, ``/ready``, ``/metrics``), the API
documentation and the web pages' static files (``/static/``) falls in one category, each with its own
configurable limit (``FIXDESK_RATE_LIMIT_*``):

* ``auth``: ``/api/v1/auth/*`` and ``/api/v1/oauth/token``, per client IP (5/minute): password and code
  guessing is what this stops, and whoever guesses has no token yet.
* ``authenticated``: a request with a valid access token, per principal (1,000/minute). The token is only
  verified (signature, claims, expiry), which costs no database query; an invalid or expired token counts
  as ``anonymous`` and the endpoint answers 401 as usual.
* ``anonymous``: everything else, per client IP (100/minute).
* ``bulk``: endpoints that send in bulk declare :data:`BulkRateLimited`; it is counted per principal
  (10/minute) in addition to the request's category, and its numbers are the ones reported.

Counting uses the *moving window* strategy: a request is allowed when fewer than N requests were let
through in the last window (a minute, say). Unlike a fixed window it never lets through twice the limit
across a window boundary, which matters for the 5/minute on logins; the price is memory proportional to
the limit per counted client, small at these numbers. Counters live in process memory, or in Redis when
``FIXDESK_REDIS_URL`` is set, so several API processes share one budget. Should the storage fail, the
request is let through and the failure logged: an outage of the limiter must not become an outage of the
API.

Every counted response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(Unix time in seconds at which the oldest request counted leaves the window and frees a slot: when the
budget is spent, the moment a request is allowed again); over the limit the answer is
``429 RATE_LIMIT_EXCEEDED`` with ``Retry-After`` (seconds until then).

The client IP is the socket peer. ``X-Forwarded-For`` is believed only when the peer is one of
``FIXDESK_TRUSTED_PROXIES``, and then the right-most address that is not a trusted proxy is the client
(addresses further left were written by the client itself and prove nothing). IPv6 clients are counted
per /64 network, the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import structlog
from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixdesk.config import Settings
from fixdesk.platform.errors import FixdeskError, RateLimitExceeded, problem_response
from fixdesk.platform.security import request_access_claims

log = structlog.get_logger(__name__)

Category = Literal["auth", "anonymous", "authenticated", "bulk"]
CATEGORIES: tuple[Category, ...] = ("auth", "anonymous", "authenticated", "bulk")

API_PREFIX = "/api/v1"
AUTH_PATH_PREFIX = f"{API_PREFIX}/auth/"
AUTH_PATHS = frozenset({f"{API_PREFIX}/oauth/token"})
EXEMPT_PATHS = frozenset({"/health", "/ready", "/metrics", "/openapi.json", "/redoc"})
# /static/: a page pulls a dozen stylesheets, scripts and fonts, served from files without any lookup.
EXEMPT_PATH_PREFIXES = ("/docs", "/static/")

# Keys in the ASGI scope's per-request state (``request.state``), shared by the middleware, the
# idempotency middleware and the bulk dependency so each fact is worked out once per request.
_CLIENT_IP = "fixdesk.client_ip"
_BEARER_SUBJECT = "fixdesk.bearer_subject"
_BULK_DECISION = "fixdesk.bulk_rate_limit"

REDIS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of counting one request against one limit."""

    category: Category
    allowed: bool
    limit: int
    remaining: int
    reset_at: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the next request is allowed (at least 1)."""
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` when refused) describing this decision."""
        values = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after)
        return values


def build_storage(settings: Settings) -> Storage:
    """Redis storage (``limits.aio``, with the redis-py client) when ``redis_url`` is set, else memory."""
    if not settings.redis_url:
        return MemoryStorage()
    url = settings.redis_url
    if url.startswith("unix://"):
        url = "redis+unix://" + url.removeprefix("unix://")
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


class RateLimits:
    """The configured limits of one app, their storage and the trusted proxies (``app.state.rate_limits``)."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.items: dict[Category, RateLimitItem] = {
            category: parse(getattr(settings, f"rate_limit_{category}")) for category in CATEGORIES
        }
        self.namespace = settings.rate_limit_namespace
        self.storage = storage or build_storage(settings)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.trusted_proxies = [
            ipaddress.ip_network(entry, strict=False) for entry in settings.trusted_proxies
        ]

    async def hit(self, category: Category, subject: str) -> RateLimitDecision:
        """Count one request of ``subject`` (e.g. ``ip:203.0.113.9``, ``user:<id>``) in ``category``."""
        item = self.items[category]
        identifiers = (self.namespace, category, subject)
        allowed = await self.strategy.hit(item, *identifiers)
        stats = await self.strategy.get_window_stats(item, *identifiers)
        # With nothing counted in the window the library reports the window's start; a fresh window
        # resets no earlier than now.
        reset_at = max(stats.reset_time, time.time())
        return RateLimitDecision(category, allowed, item.amount, stats.remaining, reset_at)

    async def aclose(self) -> None:
        """Release the storage's connections (Redis); memory storage needs nothing."""
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()


# --- who is calling ------------------------------------------------------------------------------------


def _state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[Any]) -> bool:
    return any(address in network for network in networks)


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def resolve_client_ip(peer: str | None, forwarded_for: list[str], trusted: Iterable[Any]) -> str:
    """The client's address: ``peer``, or from ``X-Forwarded-For`` when ``peer`` is a trusted proxy.

    Walks ``X-Forwarded-For`` from the right (the entries the trusted proxies appended) and returns the
    first address that is not a trusted proxy. An unparsable entry stops the walk, and the address to its
    right (the proxy that received it) is the client.
    """
    networks = list(trusted)
    peer_address = _parse_ip(peer) if peer else None
    if peer_address is None:
        return peer or "unknown"
    if not networks or not _is_trusted(peer_address, networks):
        return str(peer_address)
    entries = [entry for header in forwarded_for for entry in header.split(",") if entry.strip()]
    client = peer_address
    for entry in reversed(entries):
        address = _parse_ip(entry)
        if address is None:
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def client_ip(scope: Scope) -> str:
    """The client IP of an HTTP request (see :func:`resolve_client_ip`), worked out once per request."""
    state = _state(scope)
    if _CLIENT_IP not in state:
        peer = (scope.get("client") or (None, None))[0]
        forwarded = [
            value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"x-forwarded-for"
        ]
        rate_limits: RateLimits = scope["app"].state.rate_limits
        state[_CLIENT_IP] = resolve_client_ip(peer, forwarded, rate_limits.trusted_proxies)
    return state[_CLIENT_IP]


def ip_subject(ip: str) -> str:
    """The counter subject of a client IP: the address, or its /64 network for IPv6."""
    address = _parse_ip(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"ip:{address.ipv4_mapped}"
    return f"ip:{ip}"


def bearer_subject(scope: Scope) -> str | None:
    """``<type>:<id>`` of the principal whose valid access token the request carries, else ``None``.

    Verifies the token's signature and claims only (no database query): good enough to count requests
    and to scope idempotency keys; the endpoint's own authentication still decides access.
    """
    state = _state(scope)
    if _BEARER_SUBJECT in state:
        return state[_BEARER_SUBJECT]
    subject: str | None = None
    for name, value in scope.get("headers", []):
        if name != b"authorization":
            continue
        scheme, _, token = value.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            try:
                claims = request_access_claims(state, scope["app"].state.tokens, token.strip())
            except FixdeskError:
                claims = None
            if claims is not None:
                subject = f"{claims.principal_type}:{claims.subject}"
        break
    state[_BEARER_SUBJECT] = subject
    return subject


def is_auth_path(path: str) -> bool:
    """True for the endpoints that log in or issue tokens (``/api/v1/auth/*``, ``/api/v1/oauth/token``)."""
    return path.startswith(AUTH_PATH_PREFIX) or path in AUTH_PATHS


def classify(scope: Scope) -> tuple[Category, str] | None:
    """The category and counter subject of a request, or ``None`` for exempt paths."""
    path: str = scope["path"]
    if path in EXEMPT_PATHS or path.startswith(EXEMPT_PATH_PREFIXES):
        return None
    if is_auth_path(path):
        return "auth", ip_subject(client_ip(scope))
    subject = bearer_subject(scope)
    if subject is not None:
        return "authenticated", subject
    return "anonymous", ip_subject(client_ip(scope))


# --- enforcement ---------------------------------------------------------------------------------------


def _too_many_requests(decision: RateLimitDecision, path: str) -> Any:
    return problem_response(
        429,
        "RATE_LIMIT_EXCEEDED",
        "Too many requests",
        f"Rate limit of {decision.limit} requests exceeded; retry in {decision.retry_after} seconds.",
        instance=path,
        headers=decision.headers(),
        extra={"limit": decision.limit, "category": decision.category},
    )


class RateLimitMiddleware:
    """Pure ASGI middleware counting every HTTP request in its category (see the module docstring).

    Sits inside the request-context middleware, so its 429 answers carry ``X-Request-ID`` too, and
    inside CORS, so a browser can read them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rate_limits: RateLimits = scope["app"].state.rate_limits
        classified = classify(scope)
        if classified is None:
            await self.app(scope, receive, send)
            return
        category, subject = classified
        try:
            decision: RateLimitDecision | None = await rate_limits.hit(category, subject)
        except Exception as exc:
            log.warning("rate_limit_storage_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            decision = None
        if decision is not None and not decision.allowed:
            log.info("rate_limited", category=category, path=scope["path"])
            await _too_many_requests(decision, scope["path"])(scope, receive, send)
            return

        state = _state(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A bulk endpoint's own, tighter limit is the one the client needs to know about.
                reported = state.get(_BULK_DECISION) or decision
                if reported is not None:
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if not name.lower().startswith(b"x-ratelimit-")
                    ]
                    headers.extend(
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in reported.headers().items()
                        if name != "Retry-After"
                    )
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def bulk_rate_limit(request: Request) -> None:
    """Dependency of endpoints that send in bulk: counts the call against ``FIXDESK_RATE_LIMIT_BULK``.

    Counted per principal (per client IP for an anonymous caller); over the limit it raises
    ``429 RATE_LIMIT_EXCEEDED`` with ``Retry-After``. The response's ``X-RateLimit-*`` headers then
    describe the bulk limit.
    """
    scope = request.scope
    rate_limits: RateLimits = request.app.state.rate_limits
    subject = bearer_subject(scope) or ip_subject(client_ip(scope))
    try:
        decision = await rate_limits.hit("bulk", subject)
    except Exception as exc:
        log.warning("rate_limit_storage_failed", error=f"{type(exc).__name__}: {exc}"[:300])
        return
    _state(scope)[_BULK_DECISION] = decision
    if not decision.allowed:
        raise RateLimitExceeded(
            f"Bulk sending is limited to {decision.limit} requests; retry in {decision.retry_after} seconds.",
            headers={"Retry-After": str(decision.retry_after)},
            limit=decision.limit,
            category="bulk",
        )


BulkRateLimited = Annotated[None, Depends(bulk_rate_limit)]
"""Declare on a bulk-send endpoint (``_: BulkRateLimited``) to apply the bulk rate limit."""
