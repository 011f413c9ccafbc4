"""Request-body size limit, control characters in URLs, and the CORS policy.

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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixdesk.config import Settings
from fixdesk.platform.errors import problem_response
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
        declared = dict(scope.get("headers", [])).get(b"content-length")
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
