"""The OpenAPI document, corrected to describe what the API really answers.

FastAPI documents what it can see in a route's signature; the rest of what Fixdesk answers comes from
mechanisms it cannot see (the error handlers, the middleware, the permission dependencies). This module
completes the document from the route table, in one place, so no route can forget:

* **Problem details.** Every 4xx the API can give is documented as ``application/problem+json`` with the
  ``ProblemDetails`` schema, through shared entries of ``components.responses``:

  - ``400 VALIDATION_ERROR`` for every operation with an input (parameters or a body). FastAPI's
    ``422 HTTPValidationError`` is removed: the error handler answers 400 (``platform/errors.py``).
  - ``401`` for every operation that reads an access token (``require(...)``, ``CustomerPortal``,
    ``Authenticated``, and public routes that accept ``OptionalPrincipal``, where a bad token is 401).
  - ``403`` for every operation guarded by a permission, the customer portal, or an account (an API
    client has no account, so ``/users/me`` is 403 for it).
  - ``404`` for every operation with a path parameter; routes whose input names other records declare
    it themselves (``responses=problems(404)``).
  - ``409`` for every POST, PUT, PATCH and DELETE: a POST may reuse an ``Idempotency-Key`` with another
    body, and any write may meet a unique or foreign-key constraint (``platform/errors.py``).
  - ``413`` for every operation with a request body (``platform/guards.py``).
  - ``429`` for every operation the rate limiter counts (``platform/ratelimit.py``: all but the
    operational endpoints).
  - ``503`` for every ``/api/v1`` operation: a database lock held too long answers
    ``SERVICE_UNAVAILABLE`` with ``Retry-After`` (``platform/errors.py``).

  A route declares anything else with ``responses=problems(...)``; a route that answers a status with
  content of its own (the OAuth2 token endpoint's RFC 6749 errors, the tracking page's HTML) keeps it.
* **Security.** Bearer access tokens (``HTTPBearer``) and the OAuth2 client-credentials flow
  (``OAuth2ClientCredentials``, token URL from the ``oauth-token`` operation, scopes = the permissions the
  routes require). Each operation lists what it accepts: a permission route takes either; the portal and
  account routes only a user's or customer's bearer token; a public route nothing, or optionally a bearer
  token where it reads one.
* ``Idempotency-Key`` is documented on every POST that honours it, ``servers`` is the public base URL
  (``FIXDESK_PUBLIC_BASE_URL``, else the relative ``/``), and every tag has a description
  (:data:`TAG_DESCRIPTIONS`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.routing import Mount

from fixdesk.platform import domains
from fixdesk.platform.errors import PROBLEM_MEDIA_TYPE
from fixdesk.platform.permissions import CUSTOMER_PORTAL_PERMISSION, current_principal, optional_principal
from fixdesk.platform.ratelimit import EXEMPT_PATH_PREFIXES, EXEMPT_PATHS, is_auth_path
from fixdesk.platform.routes import flat_routes
from fixdesk.platform.schemas import TEXT_PATTERN

API_PATH_PREFIX = "/api/v1/"

BEARER_SCHEME = "HTTPBearer"
RATE_LIMIT_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
OAUTH2_SCHEME = "OAuth2ClientCredentials"
TOKEN_OPERATION_ID = "oauth-token"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
BODY_METHODS = frozenset({"post", "put", "patch"})

TAG_DESCRIPTIONS: dict[str, str] = {
    "operations": "Liveness and readiness of the server, for load balancers and orchestrators.",
    "auth": "Logging in (password or emailed code), registration, tokens, sessions and the signed-in "
    "account.",
    "oauth": "OAuth2 client-credentials grant (RFC 6749 §4.4): API clients exchange their id and secret "
    "for an access token.",
    "api-clients": "Registering API clients, their scopes and secrets (admins).",
    "users": "Staff users: inviting, roles, extra permissions, deactivation.",
    "audit": "The activity and audit log: logins, sessions, account and permission changes.",
    "admin": "Background jobs: failed and dead jobs, retrying them.",
    "customers": "The shop's customers: contact details, preferences, tags, custom fields, archiving.",
    "customer portal": "What a customer signed in to the portal sees and changes: their profile, repairs, "
    "invoices (paying them online), notifications and dashboard.",
    "custom fields": "Fields a shop adds to customers and repairs, with their types and validation.",
    "catalog": "Brands, device models, repair and part types, the price list, its history, CSV import and "
    "export, and the price estimator.",
    "repairs": "Repair tickets: intake, details, status lifecycle, technician assignment, line items and "
    "labour.",
    "quotes": "Quotes for a repair: drafting from the lines, sending, approval or decline by the customer.",
    "attachments": "Photos and documents of a repair; customers see the ones published to them.",
    "warranty": "Warranties on completed repairs and claims against them.",
    "email-campaigns": "Email templates and campaigns: preview, audience count, sending, stats; SendGrid's "
    "event webhook.",
    "email-tracking": "The public links inside campaign emails: open pixel, click redirect, one-click "
    "unsubscribe (RFC 8058) and its confirmation page.",
    "tracking": "The public tracking link of a repair (JSON and HTML page) and customer reviews.",
    "products": "Products and parts the shop sells or fits: prices, SKU and barcode, the stock ledger "
    "(receipts, sales, parts used in repairs, adjustments, returns) and low-stock thresholds.",
    "orders": "Customers' orders of products (online or at the counter): server-priced lines and totals, "
    "stock reserved on placing, status and payment lifecycle.",
    "sales dashboard": "Sales metrics against the previous period, revenue, visitors and top products; the "
    "visit beacon for the shop's pages.",
    "marketing consent": "Customers' marketing consent per channel (email, SMS, WhatsApp) with its "
    "history, and the suppression list no marketing message may reach.",
    "broadcasts": "SMS and WhatsApp broadcasts (seed 002's messages): their cost estimate, sending now or "
    "at a set time, message templates, delivery counts and rates.",
    "segments": "Customer segmentation (with and without orders) and saved segments: filters over "
    "customers by tags, status, custom fields, spend, last visit and RFM segment, with live counts.",
    "analytics": "Repair analytics: revenue, volume, turnaround, satisfaction, by period.",
    "notifications": "Emails and SMS sent to customers, their delivery status and retries.",
    "webhooks": "Outbound webhook subscriptions, signed deliveries, redelivery and tests; providers' "
    "delivery callbacks.",
    "technicians": "Field technicians: skills, hourly rate, home base, weekly working hours, time off.",
    "service locations": "Customers' service locations (address, coordinates, access notes) and the "
    "equipment at each.",
    "work orders": "Field work orders: scheduling window, technicians, checklist, parts and labour, status "
    "lifecycle.",
    "service plans": "Recurring service plans (an RFC 5545 RRULE): each occurrence becomes a scheduled work "
    "order ahead of time and the customer is reminded; pause, resume, end. Managed with work_orders:create, "
    "read with work_orders:read.",
    "invoices": "Invoices: drafts from a repair, a work order or free lines; gap-free INV-YYYY-NNNNNN numbers "
    "when finalised or sent; the PDF; voids and credit notes (CN-YYYY-NNNNNN); mark-paid; customers' payment "
    "terms.",
    "payments": "Payments received against invoices (card, cash, check, bank transfer, other) and refunds of "
    "them; the invoice's balance and status follow.",
    "schedule": "The field schedule as calendar events, and each technician's private iCalendar feed "
    "(issued, rotated and revoked here).",
}
"""A description for every tag an operation uses (tests/platform/test_openapi.py fails on a missing one)."""


class FieldProblem(BaseModel):
    field: str
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details with Fixdesk's members (``code``, ``requestId``, ``timestamp``, ``errors``).
    Some problems add members of their own (a 403 names the ``required`` permission, an illegal status
    change lists the ``allowed`` ones)."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(examples=["VALIDATION_ERROR"])
    requestId: str | None = None
    timestamp: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


@dataclass(frozen=True)
class ProblemResponse:
    """A shared ``components.responses`` entry for one status."""

    name: str
    description: str
    code: str
    headers: tuple[str, ...] = ()


PROBLEM_RESPONSES: dict[int, ProblemResponse] = {
    400: ProblemResponse(
        "ValidationFailed",
        "The input breaks the schema or a rule (`VALIDATION_ERROR`); `errors` names the fields.",
        "VALIDATION_ERROR",
    ),
    401: ProblemResponse(
        "Unauthorized",
        "No access token, or an invalid or expired one (`UNAUTHORIZED`, `TOKEN_EXPIRED`).",
        "UNAUTHORIZED",
        headers=("WWW-Authenticate",),
    ),
    403: ProblemResponse(
        "Forbidden",
        "The caller may not do this (`FORBIDDEN`; `required` names the missing permission).",
        "FORBIDDEN",
    ),
    404: ProblemResponse(
        "NotFound", "No such record, or not one the caller may see (`NOT_FOUND`).", "NOT_FOUND"
    ),
    409: ProblemResponse(
        "Conflict",
        "The request conflicts with the current state (`CONFLICT`: a duplicate, a reference still in use, "
        "a status change not allowed) or reuses an `Idempotency-Key` with another request "
        "(`IDEMPOTENCY_CONFLICT`, with `Retry-After` while the first one runs).",
        "CONFLICT",
    ),
    413: ProblemResponse(
        "PayloadTooLarge",
        "The request body is larger than the server accepts (`PAYLOAD_TOO_LARGE`).",
        "PAYLOAD_TOO_LARGE",
    ),
    422: ProblemResponse(
        "Unprocessable",
        "Well-formed input that cannot be used as given (`VALIDATION_ERROR`): a message template with a "
        "syntax error or an unknown variable; `errors` names the field and the line.",
        "VALIDATION_ERROR",
    ),
    429: ProblemResponse(
        "TooManyRequests",
        "Over the rate limit (`RATE_LIMIT_EXCEEDED`); `Retry-After` says when to try again.",
        "RATE_LIMIT_EXCEEDED",
        headers=("Retry-After",),
    ),
    503: ProblemResponse(
        "ServiceUnavailable",
        "The database is busy (a lock held too long by another writer, a serialization failure): nothing "
        "was changed; send the request again after `Retry-After` seconds (`SERVICE_UNAVAILABLE`).",
        "SERVICE_UNAVAILABLE",
        headers=("Retry-After",),
    ),
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (yours when you sent a sane one); quote it when reporting a problem.",
        "required": True,
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the window of this request's category.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "Unix time (seconds) when the oldest counted request leaves the window.",
        "schema": {"type": "integer"},
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme to use: `Bearer`.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer", "minimum": 0},
    },
}

IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key again to get the first answer instead of a second change (kept "
    "24 hours, per caller). The same key with another request answers 409 `IDEMPOTENCY_CONFLICT`.",
    # Printable ASCII; spaces only inside, as HTTP strips them around a header value.
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can answer ``statuses`` besides what its declaration implies (a
    404 for a record its body names, a 409 on a read, a 403 from a signature check). Each becomes the
    shared problem-details response of that status."""
    unknown = [status for status in statuses if status not in PROBLEM_RESPONSES]
    if unknown:
        raise ValueError(f"no shared problem response for {unknown}")
    return {status: {"description": PROBLEM_RESPONSES[status].description} for status in statuses}


# FastAPI drops every null from the document it builds, examples included; nulls in examples travel as
# this marker and are put back by build_openapi.
_NULL_IN_EXAMPLE = "\x00null"


def _keep_nulls(value: Any) -> Any:
    if value is None:
        return _NULL_IN_EXAMPLE
    if isinstance(value, dict):
        return {key: _keep_nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_keep_nulls(item) for item in value]
    return value


def _restore_nulls(value: Any) -> Any:
    if value == _NULL_IN_EXAMPLE:
        return None
    if isinstance(value, dict):
        return {key: _restore_nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore_nulls(item) for item in value]
    return value


def request_example(example: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra=`` that shows ``example`` as the operation's JSON request body."""
    return {"requestBody": {"content": {"application/json": {"example": _keep_nulls(example)}}}}


def response_example(status: int, example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry that shows ``example`` as the JSON answer of ``status`` (merged with the
    schema FastAPI derives from the route's response model)."""
    return {status: {"content": {"application/json": {"example": _keep_nulls(example)}}}}


def _examples_with_nulls(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
            for body in bodies:
                for content in body.get("content", {}).values():
                    if "example" in content:
                        content["example"] = _restore_nulls(content["example"])


# --- reading the route table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    """What a route's dependency tree declares about its callers."""

    reads_token: bool
    """A bearer token is read (an invalid one answers 401)."""
    token_required: bool
    """Without a token the answer is 401."""
    permissions: frozenset[str]
    """Permissions required (``portal:self`` for the customer portal)."""

    @property
    def may_forbid(self) -> bool:
        # Permission routes refuse callers without it; routes for any authenticated principal concern an
        # account, which an API client does not have.
        return self.token_required

    @property
    def client_scopes(self) -> list[str]:
        """The OAuth2 scopes an API client needs, or ``[]`` when API clients cannot call the route."""
        if not self.permissions or CUSTOMER_PORTAL_PERMISSION in self.permissions:
            return []
        return sorted(self.permissions)


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)


def read_guard(dependant: Any) -> Guard:
    """The :class:`Guard` a route's dependency tree declares (see ``platform/permissions.py``)."""
    calls = list(_dependency_calls(dependant))
    return Guard(
        reads_token=any(call is optional_principal for call in calls),
        # require(permission) checks for the token itself (one dependency level less per request).
        token_required=any(
            call is current_principal or getattr(call, "required_permission", None) for call in calls
        ),
        permissions=frozenset(
            call.required_permission for call in calls if getattr(call, "required_permission", None)
        ),
    )


def route_guards(app: FastAPI) -> dict[tuple[str, str], Guard]:
    """``(path, lower-case method) → Guard`` for every API route of ``app``."""
    guards: dict[tuple[str, str], Guard] = {}
    for route in flat_routes(app.routes):
        original = getattr(route, "original_route", route)
        if not isinstance(original, APIRoute):
            continue
        guard = read_guard(route.dependant)
        for method in route.methods or ():
            guards[(route.path_format, method.lower())] = guard
    return guards


# --- completing the document ----------------------------------------------------------------------------


def _response_reference(status: int) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{PROBLEM_RESPONSES[status].name}"}


def _scope_description(scope: str) -> str:
    """What holding permission ``scope`` allows, as the domain's manifest describes it."""
    described = {
        permission.name: permission.description
        for manifest in domains.installed()
        for permission in manifest.permissions
    }
    return described.get(scope, f"The '{scope}' permission")


def _components(schema: dict[str, Any], scopes: set[str], token_url: str | None) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["FieldProblem"] = FieldProblem.model_json_schema()
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    problem.pop("$defs", None)
    schemas["ProblemDetails"] = problem
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["headers"] = HEADERS
    components.setdefault("parameters", {})["IdempotencyKey"] = IDEMPOTENCY_KEY_PARAMETER
    responses = components.setdefault("responses", {})
    for status, problem_response in PROBLEM_RESPONSES.items():
        # Every problem but the rate limiter's own comes from a counted request: the shared entries
        # promise only X-Request-ID besides their own headers.
        names = ["X-Request-ID", *problem_response.headers]
        if status == 429:
            names += RATE_LIMIT_HEADERS
        responses[problem_response.name] = {
            "description": problem_response.description,
            "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in names},
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/ProblemDetails"},
                    "example": _problem_example(status, problem_response),
                }
            },
        }
    security = components.setdefault("securitySchemes", {})
    security[BEARER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token: a staff user's or customer's from POST /api/v1/auth/login (or "
        "/auth/verify-email, /auth/refresh), or an API client's from the OAuth2 token endpoint.",
    }
    if token_url is not None:
        security[OAUTH2_SCHEME] = {
            "type": "oauth2",
            "description": "API clients (registered by an admin under /api/v1/api-clients) get an access "
            "token with the client-credentials grant and send it as a bearer token. Scopes are "
            "permissions; a client holds those it was granted.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": token_url,
                    "scopes": {scope: _scope_description(scope) for scope in sorted(scopes)},
                }
            },
        }


def _problem_example(status: int, problem_response: ProblemResponse) -> dict[str, Any]:
    example: dict[str, Any] = {
        "type": "https://fixdesk.dev/problems/" + problem_response.code.lower().replace("_", "-"),
        "title": problem_response.name,
        "status": status,
        "detail": problem_response.description.split(" (")[0],
        "code": problem_response.code,
        "requestId": "0193c1b4-8f1e-7c3a-9d2b-5e6f7a8b9c0d",
        "timestamp": "2026-03-01T09:30:00Z",
        "instance": "/api/v1/repairs/0193c1b4-8f1e-7c3a-9d2b-5e6f7a8b9c0e",
    }
    if status == 400:
        example["errors"] = [{"field": "email", "message": "value is not a valid email address"}]
    if status == 403:
        example["required"] = "repairs:update"
    return example


def _can_fail_validation(parameter: dict[str, Any]) -> bool:
    """Whether some value of ``parameter`` is refused: a required one can be missing, and anything but a
    plain unconstrained string can be malformed (a path parameter is always present)."""
    if parameter.get("required") and parameter.get("in") != "path":
        return True
    schema = parameter.get("schema", {})
    return (
        set(schema) - {"type", "title", "description", "default"} != set() or schema.get("type") != "string"
    )


def _expected_problems(path: str, method: str, operation: dict[str, Any], guard: Guard | None) -> set[int]:
    statuses: set[int] = set()
    has_body = "requestBody" in operation
    parameters = operation.get("parameters", [])
    if has_body or any(_can_fail_validation(parameter) for parameter in parameters):
        statuses.add(400)
    if guard is not None:
        if guard.reads_token:
            statuses.add(401)
        if guard.may_forbid:
            statuses.add(403)
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    # Idempotency keys (POST) and unique or foreign-key constraints (any write); the login and token
    # endpoints take part in neither and declare what they answer themselves.
    if method in WRITE_METHODS and not is_auth_path(path):
        statuses.add(409)
    if has_body or method in BODY_METHODS:
        statuses.add(413)
    if _rate_limited(path):
        statuses.add(429)
    # Every API operation reads or writes the database, whose lock timeouts answer 503 (platform/errors.py).
    if path.startswith(API_PATH_PREFIX):
        statuses.add(503)
    return statuses


def _rate_limited(path: str) -> bool:
    return path not in EXEMPT_PATHS and not path.startswith(EXEMPT_PATH_PREFIXES)


def _security(guard: Guard | None) -> list[dict[str, list[str]]] | None:
    if guard is None or not guard.reads_token:
        return None
    if not guard.token_required:
        return [{}, {BEARER_SCHEME: []}]
    requirements: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
    if guard.client_scopes:
        requirements.append({OAUTH2_SCHEME: guard.client_scopes})
    return requirements


def _takes_idempotency_key(path: str, method: str, guard: Guard | None) -> bool:
    # The middleware keys answers by principal: anonymous requests and the auth endpoints do not take part.
    return method == "post" and guard is not None and guard.token_required and not is_auth_path(path)


def _complete_operation(path: str, method: str, operation: dict[str, Any], guard: Guard | None) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # FastAPI's own 422 (HTTPValidationError) is answered as 400; a route declaring problems(422) keeps it.
    declared_validation = responses.get("422")
    if declared_validation is not None and "HTTPValidationError" in str(declared_validation):
        responses.pop("422")
    else:
        declared_validation = None
    statuses = _expected_problems(path, method, operation, guard)
    if declared_validation is not None:
        statuses.add(400)
    for key, response in list(responses.items()):
        if key.isdigit() and int(key) in PROBLEM_RESPONSES and not _has_own_content(response):
            statuses.add(int(key))
    for status in sorted(statuses):
        existing = responses.get(str(status))
        if existing is not None and _has_own_content(existing):
            continue
        responses[str(status)] = _response_reference(status)
    counted = _rate_limited(path)
    for response in responses.values():
        if "$ref" not in response:
            names = ["X-Request-ID", *(RATE_LIMIT_HEADERS if counted else [])]
            headers = response.setdefault("headers", {})
            for name in names:
                headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
    security = _security(guard)
    if security is None:
        operation.pop("security", None)
    else:
        operation["security"] = security
    if _takes_idempotency_key(path, method, guard):
        parameters = operation.setdefault("parameters", [])
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})


def _has_own_content(response: dict[str, Any]) -> bool:
    """Whether a declared response carries content that is not problem details (an RFC 6749 error, an
    HTML page): that one is the truth and stays."""
    content = response.get("content") or {}
    return any(
        media_type != PROBLEM_MEDIA_TYPE and media_type != "application/json" for media_type in content
    ) or ("application/json" in content and content["application/json"].get("schema") not in (None, {}))


def _servers(app: FastAPI) -> list[dict[str, str]]:
    settings = getattr(app.state, "settings", None)
    base_url = getattr(settings, "public_base_url", None)
    if base_url:
        return [{"url": base_url.rstrip("/") or "/", "description": "This Fixdesk server"}]
    return [{"url": "/", "description": "The server this document was fetched from"}]


def _tags(schema: dict[str, Any]) -> list[dict[str, str]]:
    used: list[str] = []
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for tag in operation.get("tags", []):
                if tag not in used:
                    used.append(tag)
    return [
        {"name": tag, "description": TAG_DESCRIPTIONS[tag]} if tag in TAG_DESCRIPTIONS else {"name": tag}
        for tag in used
    ]


FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _form_fields_without_null(schema: dict[str, Any]) -> None:
    """A form has no ``null``: an optional form field is left out. FastAPI publishes ``X | None`` form
    parameters as nullable, and a client following that would send the text ``null``."""
    components = schema.get("components", {}).get("schemas", {})
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type in FORM_MEDIA_TYPES:
                body = content.get(media_type, {}).get("schema", {})
                reference = body.get("$ref", "")
                body = components.get(reference.rsplit("/", 1)[-1], body) if reference else body
                for field in body.get("properties", {}).values():
                    branches = field.get("anyOf")
                    if branches and {"type": "null"} in branches:
                        branches.remove({"type": "null"})
                        if len(branches) == 1:
                            field.update(field.pop("anyOf")[0])


_CONSTRAINED_STRING = {"format", "pattern", "enum", "const", "contentMediaType", "contentEncoding"}


def _text_patterns(schema: dict[str, Any]) -> None:
    """Publish the control-character rule (:data:`~fixdesk.platform.schemas.TEXT_PATTERN`) on every
    free-text input: parameters and the request bodies' schemas, followed through ``$ref``, properties,
    items and alternatives. A string that already has a format, pattern or enum keeps its own rule (those
    refuse control characters by themselves)."""
    components = schema.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def visit(node: Any) -> None:
        if not isinstance(node, dict):
            return
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
            name = reference.rsplit("/", 1)[-1]
            if name not in seen and name in components:
                seen.add(name)
                visit(components[name])
            return
        if node.get("type") == "string" and not _CONSTRAINED_STRING & set(node):
            node["pattern"] = TEXT_PATTERN
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(key, []):
                visit(branch)
        for child in node.get("properties", {}).values():
            visit(child)
        for key in ("items", "additionalProperties"):
            visit(node.get(key))

    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                visit(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                visit(media.get("schema"))


# Documents already built in this process, by what they are built from (see :func:`build_openapi`).
_built_documents: dict[tuple[Any, ...], dict[str, Any]] = {}
_built_documents_lock = threading.Lock()


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The corrected OpenAPI document of ``app`` (see the module docstring).

    FastAPI's part of the work takes about 4 s of CPU for Fixdesk's few hundred routes (a type adapter per
    field). The document depends only on the app's title, version and description, its ``servers`` (set
    on every copy) and its routes, whose entries every app of a process shares (:func:`fixdesk.platform.routes.include_router`),
    so a document built once is copied for any other app with the same ones: a server builds it once
    anyway, and the test suite, which builds an app per test, builds it once per process instead of at
    every ``/openapi.json``. An app whose routes differ (another list of domains) gets its own.
    """
    key = (
        app.title,
        app.version,
        app.description,
        tuple(id(route) for route in _documented_routes(app)),
    )
    with _built_documents_lock:
        built = _built_documents.get(key)
        if built is None:
            built = _built_documents[key] = _build_openapi(app)
            # Kept with the document, so their ids cannot be reused by other routes while it is cached.
            _built_documents_routes.append(_documented_routes(app))
    document = copy.deepcopy(built)
    document["servers"] = _servers(app)
    return document


_built_documents_routes: list[list[Any]] = []


def _documented_routes(app: FastAPI) -> list[Any]:
    """The entries of ``app.routes`` the document can come from: not the mounts (static files), which
    FastAPI leaves out, nor the routes kept out of it (``/openapi.json`` itself, made per app)."""
    return [
        route
        for route in app.routes
        if not isinstance(route, Mount) and getattr(route, "include_in_schema", True) is not False
    ]


def _build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=_servers(app),
    )
    guards = route_guards(app)
    scopes: set[str] = set()
    token_url: str | None = None
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            guard = guards.get((path, method))
            if guard is not None:
                scopes.update(guard.client_scopes)
            if operation.get("operationId") == TOKEN_OPERATION_ID:
                token_url = path
            _complete_operation(path, method, operation, guard)
    _components(schema, scopes, token_url)
    _form_fields_without_null(schema)
    _text_patterns(schema)
    _examples_with_nulls(schema)
    schema["tags"] = _tags(schema)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with :func:`build_openapi`, computed once per app."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
