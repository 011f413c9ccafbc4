"""``GET /health`` answered before the inner middleware and the router.

Load balancers and orchestrators ask ``/health`` several times a second, and its answer depends on nothing
but the settings and the clock. :class:`HealthShortcut` answers the plain request (``GET /health``, no query
string, no body) itself, right inside the request-context, security-headers and CORS middleware: the
answer still carries ``X-Request-ID``, ``X-Content-Type-Options: nosniff`` (and HSTS in production) and,
for an allowed origin, the CORS headers, and is logged and counted like any request. What it skips does
nothing for that request: the rate limiter exempts ``/health``, the body limit has no body to count, the
control-character guard has no query to read, idempotency keys are for POST, and the CSRF and page layers
are for pages. Anything else (another method, a query string, a body) goes the usual way, through the
route :func:`fixdesk.app.health`, which gives the same document.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

HEALTH_PATH = "/health"
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _HealthRoute:
    """What the request-context middleware reads of ``scope["route"]`` for its metrics label."""

    path = HEALTH_PATH


_ROUTE = _HealthRoute()


class HealthShortcut:
    """Pure ASGI middleware answering a plain ``GET /health`` with ``body()``, the route's own document as
    the route encodes it (:func:`fixdesk.app.health_body`; see the module docstring)."""

    def __init__(self, app: ASGIApp, body: Callable[[], bytes]) -> None:
        self.app = app
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] != scope.get("root_path", "") + HEALTH_PATH
            or scope.get("query_string")
            or _has_body(scope)
        ):
            await self.app(scope, receive, send)
            return
        body = self.body()
        scope["route"] = _ROUTE
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
