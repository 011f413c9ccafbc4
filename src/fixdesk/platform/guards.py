"""Request-body size limit, control characters in URLs, the CORS policy, transport security headers and
access to ``/metrics``.

:class:`BodySizeLimitMiddleware` refuses a request whose body is larger than ``FIXDESK_MAX_BODY_BYTES``
(1 MiB by default, plenty for JSON) with ``413 PAYLOAD_TOO_LARGE``: at once when ``Content-Length`` says
so, and otherwise while the body streams in (chunked uploads), before more than the limit is read. Upload
routes (photos, CSV imports) get larger limits of their own, given as path patterns (see ``create_app``).

:class:`ControlCharacterGuard` refuses a request whose path or query string holds a control character
(NUL and the other C0 characters but tab, line feed and carriage return) with ``400 VALIDATION_ERROR``
naming the query parameter (or ``path``), before any endpoint turns it into SQL: PostgreSQL cannot store
or compare NUL in text and would fail with a 500. JSON bodies get the same rule from
:class:`fixdesk.platform.schemas.InputModel`.

:func:`cors_options` is the browser policy: only the configured origins (``FIXDESK_CORS_ORIGINS``, never
a wildcard), credentials allowed, and the headers a browser client needs to read exposed.

:class:`SecurityHeadersMiddleware` sets ``X-Content-Type-Options: nosniff`` on every response, and with
``FIXDESK_ENV=production`` ``Strict-Transport-Security`` (``FIXDESK_HSTS_MAX_AGE``, two years by default,
with ``includeSubDomains``). Pages set their own content security policy; these two are global.

:func:`metrics_access` guards ``/metrics``: it answers for a bearer token equal to
``FIXDESK_METRICS_TOKEN`` (compared in constant time) or for a client in ``FIXDESK_METRICS_ALLOW_FROM``
(the client IP as the rate limiter sees it, so ``FIXDESK_TRUSTED_PROXIES`` applies). With neither set it is
open outside production (a developer's Prometheus just works) and closed (403) in production.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixdesk.config import Settings
from fixdesk.platform.errors import Forbidden, Unauthorized, problem_response
from fixdesk.platform.ratelimit import client_ip
from fixdesk.platform.schemas import control_character_problem

EXPOSED_HEADERS = (
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "Idempotent-Replayed",
    "Location",
)


def cors_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of Starlette's ``CORSMiddleware`` for the configured origins."""
    return {
        "allow_origins": settings.cors_origins,
        "allow_credentials": True,
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": list(EXPOSED_HEADERS),
        "max_age": 600,
    }


class RequestBodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit. An ``HTTPException`` so that FastAPI's body
    parsing re-raises it (other errors become 400) and the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")
        self.limit = limit


def _too_large(limit: int, path: str) -> Any:
    return problem_response(
        413,
        "PAYLOAD_TOO_LARGE",
        "Request body too large",
        f"The request body is larger than the limit of {limit} bytes.",
        instance=path,
    )


class BodySizeLimitMiddleware:
    """Pure ASGI middleware enforcing ``max_bytes`` on HTTP request bodies.

    ``route_limits`` are ``(path regular expression, limit in bytes)`` pairs: a request whose path matches
    one (``re.fullmatch``, first match wins) gets that limit instead of ``max_bytes``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, route_limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.route_limits = [(re.compile(pattern), limit) for pattern, limit in route_limits]

    def limit_for(self, path: str) -> int:
        """The body limit in bytes of a request to ``path``."""
        for pattern, limit in self.route_limits:
            if pattern.fullmatch(path):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value  # the last one, if sent twice
        if declared is not None:
            try:
                declared_length = int(declared)
            except ValueError:
                declared_length = None
            if declared_length is not None and declared_length > max_bytes:
                await _too_large(max_bytes, scope["path"])(scope, receive, send)
                return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise RequestBodyTooLarge(max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestBodyTooLarge:
            # Raised where no FastAPI handler could turn it into a response (another middleware was
            # reading the body); answer here unless a response is already on its way.
            if response_started:
                raise
            await _too_large(max_bytes, scope["path"])(scope, receive, send)


def url_control_character_problem(path: str, query_string: bytes) -> tuple[str, str] | None:
    """The first ``(field, message)`` of a control character in a request's (percent-decoded) path or
    query string: the field is the query parameter's name, or ``path``. ``None`` when both are clean."""
    if problem := control_character_problem(path):
        return "path", problem
    query = query_string.decode("latin-1")
    # Only a query that escapes something can hide a control character: raw ones do not survive HTTP.
    if "%" not in query and not control_character_problem(query):
        return None
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"):
        if problem := control_character_problem(name):
            return "query", f"a parameter name {problem}"
        if problem := control_character_problem(value):
            return name, problem
    return None


class ControlCharacterGuard:
    """Pure ASGI middleware: ``400 VALIDATION_ERROR`` for a control character in the path or the query
    string (see :func:`url_control_character_problem`), before the request reaches any route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = url_control_character_problem(scope["path"], scope.get("query_string", b""))
        if found is None:
            await self.app(scope, receive, send)
            return
        field, message = found
        await problem_response(
            400,
            "VALIDATION_ERROR",
            "Validation failed",
            f"{field}: {message}",
            instance=scope["path"],
            errors=[{"field": field, "message": message}],
        )(scope, receive, send)


# --- transport security headers ------------------------------------------------------------------------


def hsts_value(max_age: int) -> str:
    """The ``Strict-Transport-Security`` value for ``max_age`` seconds, subdomains included (RFC 6797)."""
    return f"max-age={max_age}; includeSubDomains"


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding ``X-Content-Type-Options: nosniff`` to every HTTP response, and
    ``Strict-Transport-Security`` when ``hsts_max_age`` is given (production). A header a route set
    itself is left as it is.

    It is the outermost middleware, so problem answers from the other middleware (413, 429, the
    last-resort 500) carry the headers too.
    """

    def __init__(self, app: ASGIApp, hsts_max_age: int | None = None) -> None:
        self.app = app
        self.headers = [("X-Content-Type-Options", "nosniff")]
        if hsts_max_age:
            self.headers.append(("Strict-Transport-Security", hsts_value(hsts_max_age)))

    @classmethod
    def options(cls, settings: Settings) -> dict[str, Any]:
        """Keyword arguments for ``app.add_middleware``: HSTS only in production (a browser that saw it on
        ``localhost`` would refuse plain HTTP to every development server there for the max-age)."""
        return {"hsts_max_age": settings.hsts_max_age if settings.is_production else None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- /metrics ------------------------------------------------------------------------------------------


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _from_allowed_network(request: Request, allowed: Sequence[str]) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request.scope))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


async def metrics_access(request: Request) -> None:
    """Dependency of ``/metrics``: lets the request through when it carries ``Authorization: Bearer
    <FIXDESK_METRICS_TOKEN>`` or comes from a network of ``FIXDESK_METRICS_ALLOW_FROM``.

    Raises :class:`Unauthorized` (401, ``WWW-Authenticate: Bearer``) when a token is configured and none
    or a wrong one was sent from outside the allowed networks; :class:`Forbidden` (403) when only networks
    are configured and the client is outside them, and in production when neither is configured. Outside
    production with neither configured, everyone may read the metrics.
    """
    settings: Settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token is not None else None
    allowed = settings.metrics_allow_from
    if token is None and not allowed:
        if settings.is_production:
            raise Forbidden(
                "Metrics are closed in production until FIXDESK_METRICS_TOKEN or "
                "FIXDESK_METRICS_ALLOW_FROM is set."
            )
        return
    presented = _bearer_token(request)
    # compare_digest: the time taken does not tell how much of a guessed token was right.
    if (
        token is not None
        and presented is not None
        and hmac.compare_digest(presented.encode(), token.encode())
    ):
        return
    if allowed and _from_allowed_network(request, allowed):
        return
    if token is not None:
        raise Unauthorized("Metrics need the bearer token configured in FIXDESK_METRICS_TOKEN.")
    raise Forbidden("Metrics are readable only from the networks in FIXDESK_METRICS_ALLOW_FROM.")
