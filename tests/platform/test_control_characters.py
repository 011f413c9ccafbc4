"""Bad input is a 400 everywhere, on both databases (issue 9, item 6): a NUL byte or another C0 control
character (tab, line feed and carriage return aside) in any text a request carries is refused with
``400 VALIDATION_ERROR`` naming the field, and changes nothing. PostgreSQL cannot store NUL in text and
answered 500 before (the anonymous registration among others); SQLite stored it.

The walk below reads the app's own OpenAPI document and, for every operation of a tag, sends a NUL in each
string query or path parameter and each plain string field of its JSON body (one at a time).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.models import Base
from fixdesk.platform.jobs.models import Job
from fixdesk.platform.schemas import NON_BLANK_TEXT_PATTERN, TEXT_PATTERN, control_character_problem
from fixdesk.repairs.models import Repair, RepairAttachment
from tests.conftest import make_settings, unique_email
from tests.factories import make_customer, make_repair, make_user
from tests.platform.problems import assert_problem
from tests.support.openapi import app_openapi_document

NUL_TEXT = "Ana\x00Silva"
ESCAPED_NUL = "Ana%00Silva"
METHODS = ("get", "post", "put", "patch", "delete")


DOCUMENT = app_openapi_document()
TAGS = sorted(
    {
        (operation.get("tags") or ["untagged"])[0]
        for item in DOCUMENT["paths"].values()
        for operation in item.values()
    }
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (``#/components/<section>/<name>``: schemas, or shared parameters)."""
    while "$ref" in schema:
        _, _, section, name = schema["$ref"].split("/")
        schema = DOCUMENT["components"][section][name]
    return schema


def _variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (``anyOf`` of a type and null is how Optional appears)."""
    schema = _resolve(schema)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [_resolve(option) for option in options if option.get("type") != "null"]


def _plain_string(schema: dict[str, Any]) -> bool:
    """Free text: a string without a format, enum or constant, whose pattern (if any) is the published
    text rule (other patterns refuse NUL by their own rule)."""
    return (
        schema.get("type") == "string"
        and not {"format", "enum", "const", "contentMediaType"} & set(schema)
        and schema.get("pattern", TEXT_PATTERN) in (TEXT_PATTERN, NON_BLANK_TEXT_PATTERN)
    )


def nul_values(schema: dict[str, Any]) -> Any:
    """A value of the field's shape that holds a NUL, or ``None`` when the field holds no free text (a
    number that may be written as a string, such as a decimal amount, is not text)."""
    options = _variants(schema)
    if any(option.get("type") in ("number", "integer", "boolean") for option in options):
        return None
    for option in options:
        if _plain_string(option):
            return NUL_TEXT
        if option.get("type") == "array" and _plain_string(_resolve(option.get("items", {}))):
            return ["fine", NUL_TEXT]
        if option.get("type") == "object" and option.get("additionalProperties") in (True, {}):
            return {"note": NUL_TEXT}
    return None


def operations(tag: str) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in METHODS and (operation.get("tags") or ["untagged"])[0] == tag:
                found.append((method, path, operation))
    return found


def parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, shared ones (``$ref`` to ``components.parameters``) resolved."""
    return [_resolve(parameter) for parameter in operation.get("parameters", [])]


def fill_path(path: str, operation: dict[str, Any], nul_parameter: str | None = None) -> str:
    for parameter in parameters(operation):
        if parameter["in"] == "path":
            value = ESCAPED_NUL if parameter["name"] == nul_parameter else str(uuid.uuid4())
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def probes(method: str, path: str, operation: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """``(url, request keyword arguments, field the answer must name)`` for every free-text input."""
    found = []
    for parameter in parameters(operation):
        if nul_values(parameter.get("schema", {})) != NUL_TEXT:
            continue
        if parameter["in"] == "query":
            found.append(
                (fill_path(path, operation), {"params": {parameter["name"]: NUL_TEXT}}, parameter["name"])
            )
        elif parameter["in"] == "path":
            found.append((fill_path(path, operation, parameter["name"]), {}, "path"))
    content = (operation.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        for body in _variants(content["application/json"]["schema"]):
            for name, schema in body.get("properties", {}).items():
                value = nul_values(schema)
                if value is not None:
                    found.append((fill_path(path, operation), {"json": {name: value}}, name))
    return found


async def row_counts(sessionmaker: Any) -> dict[str, int]:
    async with sessionmaker() as session:
        return {
            table.name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    # Many /auth requests from one address: the login rate limit is not what these tests are about.
    return make_settings(database_url, tmp_path, rate_limit_auth="10000/minute")


@pytest.mark.parametrize("tag", TAGS)
async def test_a_nul_in_any_text_input_is_a_400_naming_it_and_changes_nothing(client, app, sessionmaker, tag):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    before = await row_counts(sessionmaker)
    failures: list[str] = []
    sent = 0

    for method, path, operation in operations(tag):
        headers = customer.headers if path.startswith("/api/v1/customer/") else admin.headers
        for url, arguments, field in probes(method, path, operation):
            sent += 1
            response = await client.request(method.upper(), url, headers=headers, **arguments)
            where = f"{method.upper()} {path} ({field})"
            if response.status_code != 400:
                failures.append(f"{where}: {response.status_code} {response.text[:200]}")
                continue
            body = response.json()
            named = [error for error in body.get("errors", []) if error["field"] == field]
            if body.get("code") != "VALIDATION_ERROR" or not named:
                failures.append(f"{where}: does not name the field: {body}")
            elif "control character U+0000" not in named[0]["message"]:
                failures.append(f"{where}: {named[0]['message']}")

    assert failures == []
    assert await row_counts(sessionmaker) == before
    if tag in {"auth", "customers", "repairs", "catalog"}:
        assert sent > 5, f"the walk found almost no text input under {tag}"


def test_the_rule_refuses_c0_controls_but_tab_line_feed_and_carriage_return():
    refused = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"]
    assert all(control_character_problem(f"a{character}b") for character in refused)
    assert control_character_problem("a\tb\nc\r\nd ünïcode €") is None
    assert control_character_problem("ab\x00") == "contains the control character U+0000 at position 3"


# --- the places the walk cannot reach ---------------------------------------------------------------------


async def test_anonymous_registration_with_a_nul_is_a_400_and_queues_nothing(client, sessionmaker):
    body = {"email": unique_email("nul"), "firstName": NUL_TEXT, "lastName": "Reis"}

    response = await client.post("/api/v1/auth/register", json=body)

    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert problem["errors"] == [
        {"field": "firstName", "message": "contains the control character U+0000 at position 4"}
    ]
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Job))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(Customer))).scalar_one() == 0


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/customers", "search"),
        ("/api/v1/customers", "tag"),
        ("/api/v1/repairs", "search"),
        ("/api/v1/catalog/device-models", "search"),
        ("/api/v1/audit", "action"),
    ],
)
async def test_search_filters_with_a_nul_are_a_400_naming_the_parameter(
    client, app, sessionmaker, path, parameter
):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.get(path, params={parameter: "iph\x00one"}, headers=admin.headers)

    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert problem["errors"] == [
        {"field": parameter, "message": "contains the control character U+0000 at position 4"}
    ]


async def test_other_control_characters_in_a_filter_are_refused_and_tabs_are_not(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    escape = await client.get("/api/v1/customers", params={"search": "a\x1bb"}, headers=admin.headers)
    tab = await client.get("/api/v1/customers", params={"search": "a\tb"}, headers=admin.headers)

    assert assert_problem(escape, 400, "VALIDATION_ERROR")["errors"][0]["message"].startswith(
        "contains the control character U+001B"
    )
    assert tab.status_code == 200, tab.text


async def test_a_nul_in_a_public_path_parameter_is_a_400(client):
    response = await client.get("/track/abc%00def")

    assert assert_problem(response, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "path"


def raw_multipart(file_name: str, content: bytes, headers: dict[str, str], **fields: str) -> dict[str, Any]:
    """A multipart body written by hand: httpx percent-encodes control characters in file names (as
    browsers do), so the raw byte would never reach the server otherwise."""
    boundary = "fixdesk-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {
        "content": b"".join(parts),
        "headers": {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    }


async def test_multipart_fields_and_file_names_with_a_nul_are_refused_and_nothing_is_stored(
    client, app, sessionmaker, settings
):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    url = f"/api/v1/repairs/{repair['id']}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    in_description = await client.post(
        url,
        files={"file": ("photo.png", png, "image/png")},
        data={"kind": "before", "description": "Scratch\x00ed"},
        headers=admin.headers,
    )
    in_file_name = await client.post(url, **raw_multipart("pho\x00to.png", png, admin.headers, kind="before"))
    in_import_name = await client.post(
        "/api/v1/catalog/import",
        **raw_multipart("price\x00s.csv", b"brand,model,deviceType\nApple,iPhone 13,phone\n", admin.headers),
    )

    assert assert_problem(in_description, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "description"
    file_problem = assert_problem(in_file_name, 400, "VALIDATION_ERROR")["errors"][0]
    assert file_problem == {
        "field": "file",
        "message": "the file name contains the control character U+0000 at position 4",
    }
    assert assert_problem(in_import_name, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "file"
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(RepairAttachment))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(Repair))).scalar_one() == 1
    files = settings.data_dir / "files"
    assert not files.exists() or not any(path.is_file() for path in files.rglob("*"))


async def test_the_token_endpoint_refuses_a_nul_the_oauth_way(client):
    response = await client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "fdc_\x00", "client_secret": "secret"},
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
