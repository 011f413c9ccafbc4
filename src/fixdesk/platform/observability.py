"""Request ids, structured logging and Prometheus metrics.

:class:`RequestContextMiddleware` is the outermost middleware: it gives every request an id (the client's
``X-Request-ID`` when it sent a sane one), binds it to the log context, sets ``X-Request-ID`` on every
response, records metrics, and turns any unhandled exception into a 500 problem-details answer while the
full traceback goes to the log.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("fixdesk_request_id", default=None)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = structlog.get_logger("fixdesk.http")

_access_log = True
"""Whether :func:`configure_logging` last set a level at which the request lines are written (``INFO`` or
lower). Below it each request skips building the line's logger, which structlog would then drop: about a
fifth of a plain ``/health``'s CPU. True until configured, so a line is never lost for want of it."""


# Paths whose segments are secrets (a repair's public tracking token): logged with the secret masked,
# because logs are read by more people, and kept longer, than the secret should be.
_SECRET_PATHS: list[re.Pattern[str]] = []
MASK = "***"


def redact_path_segment(pattern: str) -> None:
    """Mask, in logged paths, the part of a path matched by the regular expression ``pattern``'s group
    ``secret`` (e.g. ``r"^/track/(?P<secret>[^/]+)"``). Domains call it at import time."""
    compiled = re.compile(pattern)
    if "secret" not in compiled.groupindex:
        raise ValueError("the pattern needs a (?P<secret>…) group")
    if all(existing.pattern != pattern for existing in _SECRET_PATHS):
        _SECRET_PATHS.append(compiled)


def loggable_path(path: str) -> str:
    """``path`` with every registered secret segment replaced by ``***``."""
    for pattern in _SECRET_PATHS:
        match = pattern.search(path)
        if match:
            start, end = match.span("secret")
            path = path[:start] + MASK + path[end:]
    return path


MAX_FAILURE_LENGTH = 500


def describe_failure(exc: BaseException, *, secrets: Iterable[str] = ()) -> str:
    """``exc``'s message for a log line: each of ``secrets`` (a password, a key) replaced by ``***``,
    whitespace folded, at most :data:`MAX_FAILURE_LENGTH` characters. Drivers put host names, user names
    and SQL in their messages, which is what an operator needs; a password must still never be logged."""
    message = " ".join(str(exc).split())
    for secret in secrets:
        if secret:
            message = message.replace(secret, MASK)
    if len(message) > MAX_FAILURE_LENGTH:
        message = message[: MAX_FAILURE_LENGTH - 1] + "…"
    return message


def current_request_id() -> str | None:
    """The id of the request being handled, or ``None`` outside a request."""
    return _request_id.get()


def configure_logging(level: str = "INFO", json_output: bool = False) -> None:
    """Route structlog and stdlib logging to stderr, as JSON lines or human-readable console output."""
    global _access_log
    _access_log = logging.getLevelName(level.upper()) <= logging.INFO
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info if json_output else structlog.processors.StackInfoRenderer(),
    ]
    # Plain tracebacks on the console: structlog's rich default prints every frame's local variables
    # (passwords, tokens, request bodies) and blocks the event loop for seconds per exception.
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


ANSWERED_DIRECTLY = "fixdesk.answered_directly"
"""Key of the request's state set by a route that answered directly (:mod:`fixdesk.platform.direct_routes`),
counted in ``http_direct_answers_total``."""


class Metrics:
    """The HTTP metrics of one app, in their own registry so several apps (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration in seconds",
            ["method", "route"],
            registry=self.registry,
        )
        self.direct_answers = Counter(
            "http_direct_answers_total",
            "GET requests a route answered directly, past FastAPI's dependency resolution "
            "(fixdesk.platform.direct_routes); the rest of its requests went through its endpoint",
            ["route"],
            registry=self.registry,
        )


class RequestContextMiddleware:
    """Pure ASGI middleware (no response buffering): request id, access log, metrics, last-resort 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # Each label combination's counter and histogram, looked up once (prometheus_client's labels() takes
        # a lock and builds a key on every call): routes, methods and statuses are a small, fixed set.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}
        self._direct_answers: dict[str, Any] = {}

    def _record(
        self, method: str, route_path: str, status: int, elapsed: float, *, answered_directly: bool = False
    ) -> None:
        counter = self._counters.get((method, route_path, status))
        if counter is None:
            counter = self._counters[(method, route_path, status)] = self.metrics.requests.labels(
                method, route_path, str(status)
            )
        histogram = self._histograms.get((method, route_path))
        if histogram is None:
            histogram = self._histograms[(method, route_path)] = self.metrics.duration.labels(
                method, route_path
            )
        counter.inc()
        histogram.observe(elapsed)
        if answered_directly:
            direct = self._direct_answers.get(route_path)
            if direct is None:
                direct = self._direct_answers[route_path] = self.metrics.direct_answers.labels(route_path)
            direct.inc()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                incoming = value.decode("latin-1")  # the last one, if sent twice
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        token = _request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            log.exception("unhandled_exception", method=scope["method"], path=loggable_path(scope["path"]))
            if status_holder["started"]:
                raise
            from fixdesk.platform.errors import unhandled_error_response

            await unhandled_error_response(exc)(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            answered_directly = ANSWERED_DIRECTLY in scope.get("state", ())
            self._record(
                scope["method"],
                route_path,
                status_holder["status"],
                elapsed,
                answered_directly=answered_directly,
            )
            if _access_log:
                log.info(
                    "request",
                    method=scope["method"],
                    path=loggable_path(scope["path"]),
                    status=status_holder["status"],
                    duration_ms=round(elapsed * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id")
            _request_id.reset(token)
