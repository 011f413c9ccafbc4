"""Routes that answer their common case directly, past FastAPI's per-request work.

A ``GET`` of the hot path (a repair's detail, the first page of the repair list) spends more of its CPU in
FastAPI than in its own work: solving the dependency tree (the session generator, the principal, the
permission, the settings, each path and query parameter), validating the endpoint's return value against
the response model and serialising it, each step wrapped in FastAPI's bookkeeping. Measured in process on
a repair's detail, that was about half the request.

:func:`get_directly` declares such a route: an ordinary FastAPI ``GET`` route (the same endpoint, path,
parameters, response model and OpenAPI operation) whose handler first tries an *answer*, a plain coroutine
that gets a reader of the database (:class:`~fixdesk.platform.direct.DirectReader`, in autocommit), the
signed-in principal and the scope, and returns the response model's value or ``None``. The route runs where any route runs, inside every middleware (request id,
security headers, CORS, rate limit, body limit, control characters, idempotency) and inside the app's
exception handlers, so what it raises becomes the same problem details. It answers directly only when the
request is plainly the common case; everything else goes the usual way through the endpoint, which gives
every other status and every detail of the contract:

* a ``GET`` without a query string (no answer reads one: filters, pages and unknown parameters are the
  endpoint's) and with ``Authorization: Bearer <token>`` (no token, a browser's cookie or another scheme:
  the usual way, which answers 401 or reads the cookie);
* a token that verifies, names a live principal (:data:`app.state.authenticator`, the same one statement)
  holding the route's permission (else the usual way, which answers 401 or 403);
* an answer that is not ``None`` (the answer returns ``None`` for what it does not handle, such as a path
  parameter the endpoint would refuse).

Each direct answer is counted in ``/metrics`` (``http_direct_answers_total{route}``).

The answer's value goes through FastAPI's own ``serialize_response`` with the route's response field and
``response_model_*`` options, as the endpoint's return value does, into the same
``Response(media_type="application/json")``: the bytes and headers are the endpoint's.
``tests/platform/test_direct_routes.py`` compares them on both databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from fastapi import APIRouter
from fastapi.routing import APIRoute, serialize_response
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fixdesk.platform.deps import APP_STATE_INFO_KEY, request_session
from fixdesk.platform.direct import DirectReader, engine_reader, reader
from fixdesk.platform.errors import TokenExpired, Unauthorized
from fixdesk.platform.observability import ANSWERED_DIRECTLY
from fixdesk.platform.permissions import Principal
from fixdesk.platform.security import request_access_claims

DirectAnswer = Callable[[DirectReader, Principal, Scope], Awaitable[Any]]
"""``await answer(database, principal, scope)``: the response model's value for the request, or ``None``
to let the endpoint answer. ``scope["path_params"]`` holds the path's parameters as strings (the request
has no query string). ``database`` reads in autocommit (PostgreSQL) or in the request's
read-only session (SQLite): see :func:`_read_connection`."""

_BEARER = b"bearer "


class DirectRoute(APIRoute):
    """A ``GET`` route trying :attr:`answer` before its endpoint (see the module docstring); made by
    :func:`get_directly`, one subclass per answer."""

    answer: ClassVar[DirectAnswer]
    permission: ClassVar[str]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            response = await self._direct_response(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await super().handle(scope, receive, send)

    async def _direct_response(self, scope: Scope) -> Response | None:
        if scope["query_string"]:
            return None
        token = _bearer_token(scope)
        if token is None:
            return None
        state = scope["app"].state
        try:
            claims = request_access_claims(scope.setdefault("state", {}), state.tokens, token)
        except (Unauthorized, TokenExpired):
            return None
        async with _read_connection(state) as database:
            try:
                principal = await state.authenticator(database, token, claims)
            except Unauthorized:
                return None
            if not principal.has(self.permission):
                return None
            scope["state"]["principal"] = principal
            value = await type(self).answer(database, principal, scope)
        if value is None:
            return None
        response = Response(await self._serialize(value), media_type="application/json")
        scope["state"][ANSWERED_DIRECTLY] = True
        return response

    async def _serialize(self, value: Any) -> bytes:
        # FastAPI's own step, with this route's options: the endpoint's answer goes through the same one.
        serialized: bytes = await serialize_response(
            field=self.response_field,
            response_content=value,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
            dump_json=True,
        )
        return serialized


@asynccontextmanager
async def _read_connection(state: Any) -> AsyncIterator[DirectReader]:
    """Where a direct answer reads: on PostgreSQL a connection of the pool, in autocommit
    (:func:`fixdesk.platform.direct.engine_reader`: the same statements, without a session's cost); else
    (SQLite, or the suite's sessions bound to one connection) the request's read-only session
    (:func:`fixdesk.platform.deps.request_session`)."""
    if state.reads_in_autocommit:
        info = {APP_STATE_INFO_KEY: state}
        async with engine_reader(state.read_sessionmaker.kw["bind"], info) as database:
            yield database
        return
    async with request_session(state, read_only=True) as session:
        yield await reader(session)


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            if value[:7].lower() != _BEARER:
                return None
            token = value[7:].decode("latin-1")
            return token if token and " " not in token else None
    return None


def get_directly(
    router: APIRouter, path: str, *, answer: DirectAnswer, permission: str, **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@router.get(path, **options)`` (``response_model`` required), with ``answer`` tried first for a
    principal holding ``permission`` (see the module docstring). The endpoint must answer every request
    the same way on its own: the direct answer is only a faster way to the same response."""
    if options.get("response_model") is None:
        raise ValueError("A direct route needs a response_model: its answer is serialised through it.")
    route_class = type(
        f"Direct_{answer.__name__}",
        (DirectRoute,),
        {"answer": staticmethod(answer), "permission": permission},
    )

    def decorator(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, endpoint, methods=["GET"], route_class_override=route_class, **options)
        return endpoint

    return decorator
