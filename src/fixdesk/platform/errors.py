"""Errors as RFC 9457 problem details.

Services raise :class:`FixdeskError` subclasses (never ``HTTPException``); the handlers installed by
:func:`install_error_handlers` render every failure, including validation errors, unknown routes and
unhandled exceptions, as ``application/problem+json``::

    {"type", "title", "status", "detail", "code", "requestId", "timestamp", "errors"?}

``code`` is one of the codes in DESIGN.md ("API contract"); ``errors`` lists field problems
``{"field", "message"}``. A 500 never carries a stack trace or SQL; the full trace goes to the log.

A database that is busy is not a server error: SQLite's "database is locked" (its busy timeout ran out
while another writer held the lock) and PostgreSQL's lock timeout, serialization failure and deadlock
answer ``503 SERVICE_UNAVAILABLE`` with ``Retry-After`` (:func:`is_database_busy`), so the client retries
instead of reporting a bug. The transaction was rolled back, so nothing of the request was kept.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import get_route_path

from fixdesk.db import utcnow
from fixdesk.platform.observability import current_request_id
from fixdesk.platform.routes import allowed_methods

log = structlog.get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://fixdesk.dev/problems/"


class FixdeskError(Exception):
    """Base of every error a service raises on purpose. Rendered as problem details by one handler."""

    status: int = 500
    code: str = "INTERNAL_ERROR"
    title: str = "Internal server error"
    # When True the request's transaction is committed even though the request fails: the service
    # recorded something that must survive the error (a revoked token family, an audit entry).
    commit_transaction: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class ValidationFailed(FixdeskError):
    """400: the input is well-formed JSON but breaks a rule; ``errors`` names the fields."""

    status, code, title = 400, "VALIDATION_ERROR", "Validation failed"

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


def reject_nulls(values: dict[str, Any], *fields: str) -> None:
    """Raise :class:`ValidationFailed` (400, naming the camelCase field) when ``values`` (a PATCH body
    dumped with snake_case keys) sets one of ``fields`` to an explicit null: those columns are NOT NULL,
    and a constraint error would surface as a 409 that names no field."""
    for name in fields:
        if name in values and values[name] is None:
            raise ValidationFailed.for_field(to_camel(name), "cannot be null")


class Unauthorized(FixdeskError):
    status, code, title = 401, "UNAUTHORIZED", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class TokenExpired(Unauthorized):
    code, title = "TOKEN_EXPIRED", "Token expired"


class Forbidden(FixdeskError):
    status, code, title = 403, "FORBIDDEN", "Forbidden"


class TokenFamilyCompromised(Forbidden):
    code, title = "TOKEN_FAMILY_COMPROMISED", "Refresh token reused; every session of this login was revoked"
    commit_transaction = True


class NotFound(FixdeskError):
    status, code, title = 404, "NOT_FOUND", "Not found"


class Conflict(FixdeskError):
    status, code, title = 409, "CONFLICT", "Conflict"


class IllegalTransition(Conflict):
    """409: a lifecycle change that the state machine does not allow; ``allowed`` lists the next states."""

    title = "Illegal status transition"

    def __init__(self, current: str, requested: str, allowed: list[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"Cannot move from '{current}' to '{requested}'. Allowed next states: {allowed_text}.",
            currentStatus=current,
            requestedStatus=requested,
            allowed=allowed,
        )


class RateLimitExceeded(FixdeskError):
    status, code, title = 429, "RATE_LIMIT_EXCEEDED", "Too many requests"


class ServiceUnavailable(FixdeskError):
    status, code, title = 503, "SERVICE_UNAVAILABLE", "Service unavailable"


_HTTP_CODES = {
    400: ("VALIDATION_ERROR", "Bad request"),
    401: ("UNAUTHORIZED", "Authentication required"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    409: ("CONFLICT", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "Request body too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    429: ("RATE_LIMIT_EXCEEDED", "Too many requests"),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable"),
}


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build a problem-details response (RFC 9457) with Fixdesk's extension members."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "requestId": current_request_id(),
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def internal_error_response() -> JSONResponse:
    """The 500 answer: generic on purpose, the request id lets staff find the trace in the log."""
    return problem_response(
        500,
        "INTERNAL_ERROR",
        "Internal server error",
        "An unexpected error occurred. Quote the request id when reporting it.",
    )


def _field_name(location: tuple[Any, ...], error_type: str = "") -> str:
    # A body field given in snake_case is named as the API writes it, in camelCase (a refused null of
    # last_name is "lastName"); query parameters and unknown fields keep the name the client sent.
    camel = bool(location) and location[0] == "body" and error_type != "extra_forbidden"
    parts = [
        to_camel(part)
        if camel and isinstance(part, str) and part.isidentifier() and "_" in part.strip("_")
        else str(part)
        for part in location
        if part not in ("body", "query", "path", "header", "cookie")
    ]
    return ".".join(parts) or str(location[-1] if location else "request")


def _validation_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value"))
    # Pydantic prefixes messages from our own validators with "Value error, "; the client needs only ours.
    return message.removeprefix("Value error, ")


async def _fixdesk_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FixdeskError)
    return problem_response(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_name(tuple(e.get("loc", ())), str(e.get("type", ""))),
            "message": _validation_message(e),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        400, "VALIDATION_ERROR", "Validation failed", detail, instance=request.url.path, errors=errors
    )


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(
        exc.status_code, ("INTERNAL_ERROR" if exc.status_code >= 500 else "ERROR", "Error")
    )
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = getattr(exc, "headers", None)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}"
    if exc.status_code == 405:
        allowed = allowed_methods(request.app.routes, get_route_path(request.scope))
        detail = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}."
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
    return problem_response(exc.status_code, code, title, detail, instance=request.url.path, headers=headers)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A unique or foreign-key constraint fired that the service did not pre-check (usually a race between
    # two requests). The database message names tables and SQL, so it goes to the log only.
    log.warning("integrity_error", path=request.url.path, error=str(getattr(exc, "orig", exc))[:500])
    return problem_response(
        409,
        "CONFLICT",
        "Conflict",
        "The change conflicts with existing data (a duplicate or a missing reference).",
        instance=request.url.path,
    )


# SQLite result codes (the primary code is the low byte of an extended one): SQLITE_BUSY, SQLITE_LOCKED.
_SQLITE_BUSY_CODES = frozenset({5, 6})
_SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL SQLSTATEs: lock_not_available (lock_timeout, NOWAIT), serialization_failure, deadlock_detected.
POSTGRES_BUSY_STATES = frozenset({"55P03", "40001", "40P01"})
BUSY_RETRY_AFTER_SECONDS = 1


def is_database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (a SQLAlchemy ``DBAPIError``, or the driver's error) means the database was busy
    rather than wrong: SQLite's busy or locked database, PostgreSQL's lock timeout, serialization failure
    or deadlock, or a connection the server had closed (SQLAlchemy's ``connection_invalidated``: the pool
    is invalidated and the next request reconnects). Retrying the same request later can succeed."""
    if getattr(exc, "connection_invalidated", False):
        return True
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if original is None:
        return False
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in POSTGRES_BUSY_STATES:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_BUSY_CODES:
        return True
    return type(original).__name__ == "OperationalError" and str(original).startswith(_SQLITE_BUSY_MESSAGES)


def database_busy_response(path: str | None = None) -> JSONResponse:
    """``503 SERVICE_UNAVAILABLE`` with ``Retry-After`` for a request that met a busy database."""
    return problem_response(
        503,
        "SERVICE_UNAVAILABLE",
        "Service unavailable",
        "The database is busy with other changes; nothing was saved. Retry the request.",
        instance=path,
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
    )


def unhandled_error_response(exc: BaseException, path: str | None = None) -> JSONResponse:
    """The answer to an exception nothing else handled (the middleware's last resort): 503 for a busy
    database (:func:`is_database_busy`), else the generic 500."""
    if is_database_busy(exc):
        return database_busy_response(path)
    return internal_error_response()


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if is_database_busy(exc):
        log.warning("database_busy", path=request.url.path, error=str(getattr(exc, "orig", exc))[:500])
        return database_busy_response(request.url.path)
    # Any other database failure is a bug: the request-context middleware logs it and answers 500.
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem details. Unhandled exceptions are caught by the
    request-context middleware (so they also carry ``X-Request-ID``)."""
    app.add_exception_handler(FixdeskError, _fixdesk_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
