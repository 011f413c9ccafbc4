"""The authorisation matrix: every route of the app declares who may call it, and every kind of caller gets
the answer that declaration promises.

A route declares its rule through its dependency tree (``fixdesk.platform.permissions``):

* a dependency carrying ``required_permission``: ``require("repairs:read")`` for staff and API clients, the
  customer-portal guard (``CustomerPortal``, permission ``portal:self``) for customers;
* ``current_principal`` (``Authenticated``): any authenticated principal;
* ``public`` (``is_public``): open on purpose (``OptionalPrincipal`` may sit next to it).

A route with none of these fails :func:`test_every_route_declares_who_may_call_it`, so a new endpoint cannot
ship without a rule, and every permission a route requires is one a domain declares in its manifest (the
table the callers' permissions come from is built from the same manifests). Then one test per caller (anonymous, customer, technician, agent, manager, admin and an
API client without scopes) sends a request to every HTTP route and checks the status against the rule:
anonymous gets 401 for anything not public, a principal lacking the permission 403 (naming it), a principal
holding it anything but 401/403, and nobody a 5xx for an empty body.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute

from fixdesk.app import create_app
from fixdesk.config import Settings
from fixdesk.db import transaction
from fixdesk.identity.api_clients.schemas import ApiClientCreate
from fixdesk.identity.api_clients.service import create_client
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, permissions_for
from fixdesk.platform import domains, realtime
from fixdesk.platform.permissions import (
    CUSTOMER_PORTAL_PERMISSION,
    Authenticated,
    CustomerPortal,
    OptionalPrincipal,
    browser_area,
    current_principal,
    public,
    require,
)
from tests.conftest import make_settings
from tests.factories import make_customer, make_user

# Plain Starlette routes without a dependency tree, public on purpose: FastAPI's OpenAPI document and the
# web pages' static files (a mount; /docs and /redoc are page routes declaring ``public``).
FRAMEWORK_PUBLIC_PATHS = frozenset({"/openapi.json", "/static"})

# WebSocket routes that authenticate inside their handler instead of through a dependency. The live-event
# socket must accept the connection before it can read the token from the first message, so it calls
# ``app.state.authenticator`` itself (``fixdesk.platform.realtime._authenticate``) and closes with 4401 for a
# missing or invalid token and 4403 for a principal without permissions. The entry names the handler, so
# replacing it needs a new look here; tests/realtime/test_websocket.py covers the whole protocol.
WEBSOCKETS_AUTHENTICATING_INSIDE = {"/api/v1/ws": realtime.live_events}

# Public routes that check a signature of their own instead of a bearer token, and how they refuse a call
# without one, whoever calls: Twilio signs its delivery callbacks and inbound messages with
# X-Twilio-Signature (403); Stripe signs its events with Stripe-Signature (400, as Stripe's documentation
# asks of an endpoint).
SIGNED_CALLBACKS = {
    ("POST", "/api/v1/webhooks/twilio/status"): 403,
    ("POST", "/api/v1/webhooks/twilio/broadcast-status"): 403,
    ("POST", "/api/v1/webhooks/twilio/inbound"): 403,
    ("POST", "/api/v1/webhooks/stripe"): 400,
}

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PATH_PARAMETER = re.compile(r"\{[^}]+\}")

CALLERS = ["anonymous", "customer", "technician", "agent", "manager", "admin", "client"]


# --- reading the declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may call a route: anyone, any authenticated principal, or holders of every listed permission."""

    kind: Literal["public", "authenticated", "permission"]
    permissions: frozenset[str] = frozenset()

    def __str__(self) -> str:
        if self.kind == "permission":
            return " + ".join(sorted(self.permissions))
        return self.kind


@dataclass(frozen=True)
class Endpoint:
    """One method of one HTTP route and its rule."""

    method: str
    path: str
    rule: Rule
    framework: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class RouteTable:
    """What the app's route table declares: HTTP endpoints, WebSocket paths and routes that declare nothing
    (or contradict themselves)."""

    endpoints: list[Endpoint]
    websockets: dict[str, Rule | None]
    problems: list[str]


def flat_routes(app: FastAPI) -> list[Any]:
    """Every route the app serves, with its full path and the dependencies of the routers it sits in.

    Recent FastAPI releases keep included routers as lazy entries in ``app.routes``; ``iter_route_contexts``
    flattens them into route contexts (prefixed path, dependency tree with the routers' dependencies).
    Older releases list flat routes already.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(flatten(app.routes)) if flatten is not None else list(app.routes)


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)


def declared_rule(dependant: Any) -> Rule | str | None:
    """The rule a dependency tree declares, ``None`` when it declares none, or a message when it
    declares contradicting ones (public and guarded at once)."""
    calls = list(_dependency_calls(dependant))
    permissions = frozenset(
        call.required_permission for call in calls if getattr(call, "required_permission", None)
    )
    authenticated = any(call is current_principal for call in calls)
    is_public = any(getattr(call, "is_public", False) is True for call in calls)
    if is_public and (permissions or authenticated):
        return "declares public and requires authentication at once"
    if permissions:
        return Rule("permission", permissions)
    if authenticated:
        return Rule("authenticated")
    if is_public:
        return Rule("public")
    return None


def read_route_table(app: FastAPI) -> RouteTable:
    """Every route of ``app`` with its declared rule; undeclared routes become problems."""
    table = RouteTable(endpoints=[], websockets={}, problems=[])
    for route in flat_routes(app):
        original = getattr(route, "original_route", route)
        path: str = route.path
        if isinstance(original, APIWebSocketRoute):
            rule = declared_rule(route.dependant)
            if isinstance(rule, str):
                table.problems.append(f"WEBSOCKET {path}: {rule}")
            elif rule is None and WEBSOCKETS_AUTHENTICATING_INSIDE.get(path) is not original.endpoint:
                table.problems.append(
                    f"WEBSOCKET {path}: declares no rule (add a dependency, or authenticate in the handler "
                    "and list it in WEBSOCKETS_AUTHENTICATING_INSIDE)"
                )
            table.websockets[path] = rule if isinstance(rule, Rule) else None
            continue
        # A mount or other non-endpoint route has no methods: it is reported under "ANY" unless declared.
        methods = sorted(getattr(route, "methods", None) or ["ANY"])
        if "GET" in methods and "HEAD" in methods:
            methods.remove("HEAD")  # Starlette adds HEAD to every GET route; it answers like GET
        if isinstance(original, APIRoute):
            rule = declared_rule(route.dependant)
        elif path in FRAMEWORK_PUBLIC_PATHS:
            rule = Rule("public")
        else:
            rule = None
        for method in methods:
            if isinstance(rule, Rule):
                framework = not isinstance(original, APIRoute)
                table.endpoints.append(Endpoint(method, path, rule, framework))
            else:
                problem = rule or "declares no rule: require(...), CustomerPortal, Authenticated or public"
                table.problems.append(f"{method} {path}: {problem}")
    return table


# --- the declarations ---------------------------------------------------------------------------------


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    """The app's settings, with rate limits this test does not run into: every caller sends about sixty
    requests from one address, several of them to /auth/* (rate limits have their own tests)."""
    return make_settings(
        database_url,
        tmp_path,
        rate_limit_auth="10000/minute",
        rate_limit_anonymous="10000/minute",
        # Set, so the Stripe webhook checks signatures (without it, it answers 503: not set up).
        stripe_webhook_secret="whsec_authorization_matrix",
    )


def test_every_route_declares_who_may_call_it(tmp_path):
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}", tmp_path))

    table = read_route_table(app)

    assert table.problems == []
    paths = {endpoint.path for endpoint in table.endpoints}
    # The documentation routes are listed explicitly rather than skipped unseen.
    assert paths >= FRAMEWORK_PUBLIC_PATHS
    assert set(WEBSOCKETS_AUTHENTICATING_INSIDE) <= set(table.websockets)
    # The table is large: a reader that found nothing would pass the loop tests vacuously.
    assert len(table.endpoints) > 50
    assert {e.rule.kind for e in table.endpoints} == {"public", "authenticated", "permission"}


def test_every_permission_a_route_requires_is_declared_by_a_domain(tmp_path):
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}", tmp_path))

    required = {
        permission
        for endpoint in read_route_table(app).endpoints
        if endpoint.rule.kind == "permission"
        for permission in endpoint.rule.permissions
    }
    declared = {permission.name for manifest in domains.installed() for permission in manifest.permissions}

    # The portal's guard is the one permission no domain declares: customers hold it, not staff roles.
    assert required - declared == {CUSTOMER_PORTAL_PERMISSION}
    # And no domain declares a permission that guards nothing.
    assert declared - required == set()


def test_a_route_without_a_declaration_is_reported():
    # The check itself must be able to fail: a throwaway app with one route of each kind.
    guarded = APIRouter(dependencies=[Depends(require("repairs:read"))])

    @guarded.get("/guarded-by-router")
    async def guarded_by_router() -> None: ...

    app = FastAPI(docs_url=None, redoc_url=None)  # as create_app: the docs are page routes

    @app.get("/undeclared")
    async def undeclared() -> None: ...

    @app.get("/optional-only")
    async def optional_only(principal: OptionalPrincipal) -> None: ...

    @app.get("/open", dependencies=[Depends(public)])
    async def open_route(principal: OptionalPrincipal) -> None: ...

    @app.get("/me")
    async def me(principal: Authenticated) -> None: ...

    @app.get("/portal")
    async def portal(principal: CustomerPortal) -> None: ...

    @app.post("/both", dependencies=[Depends(public), Depends(require("users:manage"))])
    async def both() -> None: ...

    @app.websocket("/socket")
    async def socket() -> None: ...

    app.include_router(guarded, prefix="/api")
    app.mount("/files", FastAPI())

    table = read_route_table(app)

    assert sorted(table.problems) == [
        "ANY /files: declares no rule: require(...), CustomerPortal, Authenticated or public",
        "GET /optional-only: declares no rule: require(...), CustomerPortal, Authenticated or public",
        "GET /undeclared: declares no rule: require(...), CustomerPortal, Authenticated or public",
        "POST /both: declares public and requires authentication at once",
        "WEBSOCKET /socket: declares no rule (add a dependency, or authenticate in the handler and list it "
        "in WEBSOCKETS_AUTHENTICATING_INSIDE)",
    ]
    rules = {e.path: str(e.rule) for e in table.endpoints}
    assert rules["/open"] == "public"
    assert rules["/me"] == "authenticated"
    assert rules["/portal"] == "portal:self"
    assert rules["/api/guarded-by-router"] == "repairs:read"
    assert rules["/openapi.json"] == "public"


# --- every caller against every route -----------------------------------------------------------------


@dataclass
class Caller:
    """Who sends the requests: their Authorization header and what they hold."""

    name: str
    headers: dict[str, str]
    permissions: frozenset[str]


async def make_caller(name: str, app: Any, sessionmaker: Any) -> Caller:
    """A real principal of kind ``name`` in the database, with a fresh access token."""
    if name == "anonymous":
        return Caller(name, {}, frozenset())
    if name == "customer":
        customer = await make_customer(app, sessionmaker)
        return Caller(name, customer.headers, CUSTOMER_PERMISSIONS)
    if name == "client":
        # A real API client granted no scopes, with a token from its grant: a valid principal that holds
        # no permission at all.
        return Caller(name, await no_scope_client_headers(app, sessionmaker), frozenset())
    user = await make_user(app, sessionmaker, name)
    return Caller(name, user.headers, permissions_for(name))


async def no_scope_client(sessionmaker: Any) -> uuid.UUID:
    """Register an API client without scopes (through the service); returns its id."""
    async with transaction(sessionmaker) as session:
        api_client, _ = await create_client(session, ApiClientCreate(name="No scopes"), creator=None)
    return api_client.id


async def no_scope_client_headers(app: Any, sessionmaker: Any) -> dict[str, str]:
    """The Authorization header of a token for a new API client without scopes, as the grant issues it."""
    client_id = await no_scope_client(sessionmaker)
    return {
        "Authorization": f"Bearer {app.state.tokens.issue_access_token(client_id, 'client', 'client', scopes=[])}"
    }


def expectation_broken(
    endpoint: Endpoint, caller: Caller, status: int, body: Any, location: str | None = None
) -> str | None:
    """Why ``status`` breaks the endpoint's rule for ``caller``, or ``None`` when it keeps it.

    Pages of the staff app and the portal (``fixdesk.web``) answer a browser: an unsafe request without a
    bearer token must carry the page's CSRF token, so the matrix's anonymous POST is refused (403) before
    the route runs, whatever its rule; and a signed-out reader of a page that needs a principal is sent to
    the area's sign-in page (303) instead of a 401."""
    if status >= 500:
        return f"a server error ({status})"
    area = browser_area(endpoint.path)
    if area is not None and caller.name == "anonymous":
        if endpoint.method not in ("GET", "HEAD", "OPTIONS"):
            return None if status == 403 else f"{status}, not 403 without a CSRF token"
        if endpoint.rule.kind != "public":
            prefix = endpoint.path.split("/")[1]
            signs_in = status == 303 and (location or "").startswith(f"/{prefix}/login")
            return None if signs_in else f"{status} to {location}, not 303 to the sign-in page"
    if (endpoint.method, endpoint.path) in SIGNED_CALLBACKS:
        refusal = SIGNED_CALLBACKS[(endpoint.method, endpoint.path)]
        return None if status == refusal else f"{status}, not {refusal} for an unsigned callback"
    if endpoint.rule.kind == "public":
        return None if status not in (401, 403) else f"{status} from a public route"
    if caller.name == "anonymous":
        return None if status == 401 else f"{status}, not 401 without a token"
    if caller.name == "client":
        # A valid principal lacking every permission: exactly 403 wherever a permission is declared.
        if status == 403:
            return None
        # Routes for any authenticated principal are about an account (profile, sessions), which an API
        # client does not have; their service says 403, but only after FastAPI validated the body, so the
        # matrix's empty body may be turned away first (DELETE /users/me needs confirmEmail).
        code = body.get("code") if isinstance(body, dict) else None
        if endpoint.rule.kind == "authenticated" and status == 400 and code == "VALIDATION_ERROR":
            return None
        return f"{status}, not 403; a client without scopes may do nothing"
    if endpoint.rule.kind == "authenticated" or endpoint.rule.permissions <= caller.permissions:
        return None if status not in (401, 403) else f"{status} though {caller.name} is allowed"
    if status != 403:
        return f"{status}, not 403 though {caller.name} lacks {endpoint.rule}"
    if area is not None:
        return None  # a page answers with the HTML 403 page, which names no permission
    required = body.get("required") if isinstance(body, dict) else None
    if required is None and endpoint.path.startswith(("/app/", "/portal/")) and not isinstance(body, dict):
        # A page answers a browser with the HTML error page, which does not name the permission; the
        # 403 itself is what the page's guard promises.
        return None
    if required not in endpoint.rule.permissions:
        return f"403 naming {required!r}, not the declared {endpoint.rule}"
    return None


def concrete_path(path: str) -> str:
    # Random ids: a 404 after the permission check is fine, the guard answers before the lookup.
    return PATH_PARAMETER.sub(lambda _: str(uuid.uuid4()), path)


@pytest.mark.parametrize("caller_name", CALLERS)
async def test_every_route_answers_each_caller_as_declared(app, client, sessionmaker, caller_name):
    caller = await make_caller(caller_name, app, sessionmaker)
    table = read_route_table(app)
    assert table.problems == []

    broken: list[str] = []
    for endpoint in table.endpoints:
        if endpoint.framework and caller.name != "anonymous":
            # The documentation routes have no dependency tree, so a token changes nothing there, and
            # building the OpenAPI document for every caller would cost half a second each time.
            continue
        response = await client.request(
            endpoint.method,
            concrete_path(endpoint.path),
            headers=caller.headers,
            json={} if endpoint.method in BODY_METHODS else None,
        )
        is_json = response.headers.get("content-type", "").endswith("json")
        body = response.json() if is_json and response.content else None
        reason = expectation_broken(
            endpoint, caller, response.status_code, body, response.headers.get("location")
        )
        if reason:
            broken.append(
                f"{endpoint.label} [{endpoint.rule}] as {caller.name}: {reason} {response.text[:200]}"
            )

    assert broken == []


# --- the WebSocket route ------------------------------------------------------------------------------


async def websocket_close_code(app: Any, query: str, first_message: dict | None = None) -> int | None:
    """Open the live-event socket in process (ASGI) and return the close code the server sends."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    if first_message is not None:
        await inbox.put({"type": "websocket.receive", "text": json.dumps(first_message)})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            await inbox.put({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/api/v1/ws",
        "raw_path": b"/api/v1/ws",
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
        "state": {},
    }
    # A guard, not a measurement: a handler that stopped closing would otherwise hang the run.
    await asyncio.wait_for(app(scope, inbox.get, send), timeout=30)
    closes = [m for m in sent if m["type"] == "websocket.close"]
    return closes[-1].get("code") if closes else None


async def test_the_websocket_route_turns_away_callers_it_cannot_authenticate(app, sessionmaker):
    table = read_route_table(app)
    # Every WebSocket route either declares a rule or is one of the allow-listed handlers.
    assert set(table.websockets) == set(WEBSOCKETS_AUTHENTICATING_INSIDE)
    assert table.websockets["/api/v1/ws"] is None

    assert await websocket_close_code(app, "", {"type": "subscribe", "events": ["*"]}) == 4401
    assert await websocket_close_code(app, "token=not-a-token") == 4401
    # A real client without scopes holds no permission: authenticated, then turned away with 4403.
    client_id = await no_scope_client(sessionmaker)
    client_token = app.state.tokens.issue_access_token(client_id, "client", "client", scopes=[])
    assert await websocket_close_code(app, f"token={client_token}") == 4403
    # A client token for a client that does not exist is not a principal at all.
    stranger = app.state.tokens.issue_access_token(uuid.uuid4(), "client", "client", scopes=[])
    assert await websocket_close_code(app, f"token={stranger}") == 4401
