"""The published OpenAPI document matches what the API answers.

The document is read here against the route table (the same reading of permission dependencies as the
authorisation matrix): every operation must document the problem responses its declaration implies,
every tag a description, the security schemes and servers must be there, the main operations must carry
examples that match their schemas, and a wrong method must answer 405 with exactly the methods the
document lists for that path. ``test_openapi_fuzz.py`` then holds the running API to the document.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fixdesk.app import create_app
from fixdesk.config import Settings
from fixdesk.identity.permissions import all_permissions
from fixdesk.platform.openapi import BEARER_SCHEME, OAUTH2_SCHEME
from tests.conftest import TEST_SECRET
from tests.platform.problems import assert_problem
from tests.test_authorization_matrix import Endpoint, read_route_table

PROBLEM_MEDIA_TYPE = "application/problem+json"
EXEMPT_FROM_RATE_LIMITS = frozenset({"/health", "/ready"})
# Answers that are not problem details on purpose: RFC 6749 §5.2 errors that OAuth2 client libraries
# parse, and the HTML page a customer sees for an unknown tracking link.
OWN_ERROR_FORMATS = {("oauth-token", "400"), ("oauth-token", "401"), ("tracking-page", "404")}
MAIN_OPERATIONS = {
    # operation id: the status whose answer has an example
    "auth-login": "200",
    "auth-refresh": "200",
    "customers-create": "201",
    "customers-list": "200",
    "repairs-create": "201",
    "repairs-list": "200",
    "repairs-get": "200",
    "repairs-update-status": "200",
    "repairs-quotes-create": "201",
    "catalog-pricing-estimate": "200",
    "webhooks-create": "201",
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Fixed, so that every xdist worker collects the same test ids.
SOME_ID = "0193c1b4-8f1e-7c3a-9d2b-5e6f7a8b9c0d"
CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def build_app(**settings: Any) -> Any:
    """An app that is never started: its document and its router need no database. The 405 check sends
    a few hundred anonymous requests, more than the anonymous rate limit allows from one address."""
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "database_url": "sqlite+aiosqlite:///:memory:",
        "rate_limit_anonymous": "100000/minute",
        "rate_limit_auth": "100000/minute",
    }
    return create_app(Settings(**(values | settings)))


@pytest.fixture(scope="module")
def app() -> Any:
    return build_app()


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` (into this document) followed."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


# --- problem responses --------------------------------------------------------------------------------


def expected_problems(endpoint: Endpoint, operation: dict[str, Any]) -> set[int]:
    """The problem statuses an operation can answer, from its declaration in the route table and its
    inputs, independently of how platform/openapi.py derives them."""
    statuses: set[int] = set()
    path_parameters = [p for p in operation.get("parameters", []) if p.get("in") == "path"]
    if endpoint.rule.kind != "public":
        statuses |= {401, 403}
    if path_parameters:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
    is_auth = endpoint.path.startswith("/api/v1/auth/")  # no idempotency keys there
    if (
        endpoint.method in {"POST", "PUT", "PATCH", "DELETE"}
        and endpoint.rule.kind != "public"
        and not is_auth
    ):
        statuses.add(409)
    if endpoint.path not in EXEMPT_FROM_RATE_LIMITS:
        statuses.add(429)
    if endpoint.path.startswith("/api/v1/"):
        statuses.add(503)  # a database lock held too long (platform/errors.py)
    return statuses


def documented_path(endpoint: Endpoint) -> str:
    """The route's path as the document writes it: without path convertors (``{id:uuid}`` → ``{id}``)."""
    return CONVERTOR.sub(r"{\1}", endpoint.path)


def documented_operation(document: dict[str, Any], endpoint: Endpoint) -> dict[str, Any] | None:
    return document["paths"].get(documented_path(endpoint), {}).get(endpoint.method.lower())


def missing_problem_responses(document: dict[str, Any], endpoints: list[Endpoint]) -> list[str]:
    """Every problem response an operation of ``document`` fails to document, as readable lines."""
    missing: list[str] = []
    for endpoint in endpoints:
        operation = documented_operation(document, endpoint)
        if operation is None:
            continue  # not in the document (metrics, the documentation routes)
        responses = operation["responses"]
        # FastAPI's own 422 (HTTPValidationError) would be a lie: the handler answers 400. A route that
        # declares problems(422) (a message template that does not compile) documents the shared problem.
        if "422" in responses and "#/components/responses/Unprocessable" not in str(responses["422"]):
            missing.append(f"{endpoint.label}: documents 422, the handler answers 400")
        for status in sorted(expected_problems(endpoint, operation)):
            if str(status) not in responses:
                missing.append(f"{endpoint.label}: no {status}")
    return missing


def test_every_operation_documents_its_problem_responses(app, document) -> None:
    table = read_route_table(app)
    endpoints = [endpoint for endpoint in table.endpoints if not endpoint.framework]

    assert missing_problem_responses(document, endpoints) == []
    # The reading covers the whole API, not a handful of routes.
    assert len([e for e in endpoints if documented_operation(document, e)]) == len(operations(document))


def test_a_missing_problem_response_is_reported(app, document) -> None:
    # The check itself must be able to fail: take responses away from a copy of the document.
    broken = copy.deepcopy(document)
    repair = broken["paths"]["/api/v1/repairs/{repair_id}"]
    del repair["get"]["responses"]["404"]
    del repair["patch"]["responses"]["401"]
    broken["paths"]["/api/v1/customers"]["post"]["responses"]["422"] = {"description": "Unprocessable"}

    problems = missing_problem_responses(broken, read_route_table(app).endpoints)

    assert sorted(problems) == [
        "GET /api/v1/repairs/{repair_id}: no 404",
        "PATCH /api/v1/repairs/{repair_id}: no 401",
        "POST /api/v1/customers: documents 422, the handler answers 400",
    ]


def test_problem_responses_are_problem_details(document) -> None:
    problem_schema = {"$ref": "#/components/schemas/ProblemDetails"}
    wrong: list[str] = []
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("4") or (operation["operationId"], status) in OWN_ERROR_FORMATS:
                continue
            content = resolve(document, response).get("content", {})
            if (
                list(content) != [PROBLEM_MEDIA_TYPE]
                or content[PROBLEM_MEDIA_TYPE]["schema"] != problem_schema
            ):
                wrong.append(f"{method.upper()} {path} {status}: {sorted(content)}")
    assert wrong == []
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert {"type", "title", "status", "detail", "code", "requestId", "timestamp", "errors"} <= set(
        problem["properties"]
    )
    assert "HTTPValidationError" not in document["components"]["schemas"]
    too_many = document["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]


async def test_validation_errors_are_answered_as_documented(app, document) -> None:
    # The document says 400 with problem details; the handler must say the same.
    assert "400" in document["paths"]["/api/v1/customers"]["post"]["responses"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/api/v1/catalog/pricing/estimate", params={"deviceModelId": "x"})
    # No token: 401 comes first. A malformed id with a token is checked in tests/platform/test_errors.py.
    assert_problem(response, 401, "UNAUTHORIZED")


def test_every_response_documents_its_request_id(document) -> None:
    undocumented = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in operations(document)
        for status, response in operation["responses"].items()
        if "X-Request-ID" not in resolve(document, response).get("headers", {})
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ("BrandUpdate", "name"),
        ("PricingUpdate", "price"),
        ("RepairUpdate", "deviceBrand"),
        ("RepairItemUpdate", "unitPrice"),
        ("CustomerUpdate", "firstName"),
        ("CustomerProfileUpdate", "language"),
        ("ProfileUpdate", "lastName"),
        ("UserAdminUpdate", "role"),
        ("CustomFieldDefinitionUpdate", "type"),
    ],
)
def test_fields_that_refuse_null_are_not_published_as_nullable(document, schema, field) -> None:
    published = document["components"]["schemas"][schema]["properties"][field]
    branches = published.get("anyOf", [published])
    assert {"type": "null"} not in branches, published
    assert "default" not in published, published
    # And the fields whose null clears a value say so.
    assert {"type": "null"} in document["components"]["schemas"]["CustomerUpdate"]["properties"]["phone"][
        "anyOf"
    ]


# --- tags, security, servers --------------------------------------------------------------------------


def test_every_tag_has_a_description(document) -> None:
    described = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for _, _, operation in operations(document) for tag in operation.get("tags", [])}

    assert {tag for tag in used if not described.get(tag, "").strip()} == set()


def test_security_schemes_declare_bearer_tokens_and_client_credentials(app, document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes[BEARER_SCHEME] == schemes[BEARER_SCHEME] | {"type": "http", "scheme": "bearer"}
    flow = schemes[OAUTH2_SCHEME]["flows"]["clientCredentials"]
    token_operation = document["paths"][flow["tokenUrl"]]["post"]
    assert token_operation["operationId"] == "oauth-token"
    assert "application/x-www-form-urlencoded" in token_operation["requestBody"]["content"]
    assert set(flow["scopes"]) <= all_permissions()
    assert flow["scopes"]["repairs:read"].startswith("Read repairs"), "described as the manifest declares it"

    for endpoint in read_route_table(app).endpoints:
        operation = documented_operation(document, endpoint)
        if operation is None:
            continue
        security = operation.get("security", [])
        if endpoint.rule.kind == "permission" and "portal:self" not in endpoint.rule.permissions:
            # Staff with a bearer token, or an API client holding the permissions as scopes.
            assert security == [
                {BEARER_SCHEME: []},
                {OAUTH2_SCHEME: sorted(endpoint.rule.permissions)},
            ], endpoint.label
            assert set(endpoint.rule.permissions) <= set(flow["scopes"])
        elif endpoint.rule.kind != "public":
            assert security == [{BEARER_SCHEME: []}], endpoint.label
        else:
            # Public: nothing, or a token that is read when sent (logout).
            assert security in ([], [{}, {BEARER_SCHEME: []}]), endpoint.label


def test_servers_are_the_public_base_url_or_relative() -> None:
    assert build_app().openapi()["servers"][0]["url"] == "/"
    public = build_app(public_base_url="https://shop.example.com/").openapi()
    assert public["servers"][0]["url"] == "https://shop.example.com"
    # The document built once per process is shared by value, with each app's own servers.
    assert build_app().openapi()["servers"][0]["url"] == "/"


def test_an_app_with_other_routes_documents_its_own(document: dict[str, Any]) -> None:
    """Apps of one process share the document built once only when they serve the same routes."""
    other = build_app()

    @other.get("/api/v1/probe-of-this-app-only", tags=["operations"], operation_id="probe")
    async def probe() -> dict[str, str]:
        return {}

    own = other.openapi()
    assert "/api/v1/probe-of-this-app-only" in own["paths"]
    assert "/api/v1/probe-of-this-app-only" not in document["paths"]
    assert "/api/v1/probe-of-this-app-only" not in build_app().openapi()["paths"]
    # A copy: changing one app's document changes no other's.
    own["paths"].clear()
    assert build_app().openapi()["paths"] == document["paths"]


# --- examples -----------------------------------------------------------------------------------------


def schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    """A JSON Schema 2020-12 validator for ``schema``, resolving ``#/components/...`` in ``document``."""
    registry = Registry().with_resource("urn:openapi", Resource(document, specification=DRAFT202012))
    rooted = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_rebase(schema)}
    return jsonschema.Draft202012Validator(
        rooted, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _rebase(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: ("urn:openapi" + value if key == "$ref" and value.startswith("#") else _rebase(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node


def examples_of(document: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """Every ``(where, schema, example)`` of a JSON request or answer in the document."""
    found = []
    for path, method, operation in operations(document):
        label = f"{method.upper()} {path}"
        bodies = [("request", operation.get("requestBody", {}))] + [
            (status, resolve(document, response)) for status, response in operation["responses"].items()
        ]
        for where, body in bodies:
            for media_type, content in body.get("content", {}).items():
                if "example" in content and "json" in media_type:
                    found.append((f"{label} {where} {media_type}", content["schema"], content["example"]))
    return found


def test_main_operations_have_request_and_response_examples(document) -> None:
    missing = []
    for _, _, operation in operations(document):
        status = MAIN_OPERATIONS.get(operation["operationId"])
        if status is None:
            continue
        answer = operation["responses"][status]["content"]["application/json"]
        if "example" not in answer:
            missing.append(f"{operation['operationId']}: no {status} example")
        request = operation.get("requestBody", {}).get("content", {}).get("application/json")
        parameters = [p for p in operation.get("parameters", []) if p.get("required")]
        if request is not None and "example" not in request:
            missing.append(f"{operation['operationId']}: no request example")
        if request is None and any("examples" not in p["schema"] for p in parameters):
            missing.append(f"{operation['operationId']}: a required parameter without an example")
    assert missing == []
    documented = {operation["operationId"] for _, _, operation in operations(document)}
    assert set(MAIN_OPERATIONS) <= documented


def test_every_example_matches_its_schema(document) -> None:
    found = examples_of(document)
    assert len(found) >= len(MAIN_OPERATIONS) * 2 - 1  # the estimate's request is its query

    wrong = [
        f"{where}: {error.json_path} {error.message[:120]}"
        for where, schema, example in found
        for error in schema_validator(document, schema).iter_errors(example)
    ]
    assert wrong == []


def test_an_example_that_breaks_its_schema_is_reported(document) -> None:
    schema = document["paths"]["/api/v1/customers"]["post"]["requestBody"]["content"]["application/json"]
    example = dict(schema["example"], email=12)
    assert list(schema_validator(document, schema["schema"]).iter_errors(example))


# --- wrong methods ------------------------------------------------------------------------------------


def concrete(path: str) -> str:
    """``path`` with each parameter replaced by a fresh UUID (every path parameter here is an id or a
    token)."""
    parts = [str(uuid.uuid4()) if part.startswith("{") else part for part in path.split("/")]
    return "/".join(parts)


async def test_a_wrong_method_is_405_with_the_documented_methods(app, document) -> None:
    transport = httpx.ASGITransport(app=app)
    wrong: list[str] = []
    checked = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path, item in document["paths"].items():
            documented = sorted(method.upper() for method in item if method in HTTP_METHODS)
            for method in sorted(set(HTTP_METHODS) - set(item)):
                response = await client.request(method.upper(), concrete(path))
                checked += 1
                if response.status_code != 405:
                    wrong.append(f"{method.upper()} {path}: {response.status_code}")
                    continue
                assert_problem(response, 405, "METHOD_NOT_ALLOWED")
                if response.headers.get("allow") != ", ".join(documented):
                    wrong.append(f"{method.upper()} {path}: Allow {response.headers.get('allow')!r}")
    assert wrong == []
    assert checked > 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        # One path, several routes: GET and POST are declared by two functions.
        ("PUT", "/api/v1/customers", "GET, POST"),
        ("POST", f"/api/v1/customers/{SOME_ID}", "DELETE, GET, PATCH"),
        ("DELETE", f"/api/v1/repairs/{SOME_ID}/status", "PUT"),
        # A fixed segment next to an id: not an id, so not the id's routes.
        ("PATCH", "/api/v1/catalog/pricing/export", "GET"),
        ("DELETE", "/api/v1/webhooks/events", "GET"),
        ("POST", "/api/v1/users/me", "DELETE, GET, PATCH"),
        ("GET", "/api/v1/auth/login", "POST"),
    ],
)
async def test_allow_lists_every_method_of_the_path(app, method, path, allowed) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.request(method, path)

    body = assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == allowed
    assert allowed in body["detail"]
