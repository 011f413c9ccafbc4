"""Request guards: the body-size limit (413), PATCH/PUT bodies that try to set what the caller may not set
(400, nothing applied), and CORS for the configured origins only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.platform.idempotency import IdempotencyKey
from fixdesk.repairs.models import Repair
from tests.conftest import Database, make_settings, unique_email
from tests.factories import make_customer, make_repair, make_user
from tests.platform.problems import assert_problem

CUSTOMERS = "/api/v1/customers"
PROFILE = "/api/v1/customer/profile"
SHOP = "https://shop.example"


@pytest.fixture
def make_app(database_url: str, tmp_path: Path, database: Database) -> Callable[..., Any]:
    """Builds apps on the test's database with extra settings."""

    def build(**overrides: Any) -> Any:
        return database.app(make_settings(database_url, tmp_path, **overrides))

    return build


def client_for(app: Any, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 50000)), base_url="http://testserver"
    )


async def count(sessionmaker: Any, model: Any) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def customer_body(notes_length: int = 0) -> dict[str, Any]:
    return {
        "firstName": "Ana",
        "lastName": "Silva",
        "email": unique_email("ana"),
        "notes": "n" * notes_length or None,
    }


async def chunks_of(data: bytes, size: int = 512) -> AsyncIterator[bytes]:
    """The body as a stream without Content-Length (chunked transfer encoding)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


# --- body size -----------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413_from_its_content_length(make_app, sessionmaker):
    app = make_app(max_body_bytes=4096)
    admin = await make_user(app, sessionmaker, "admin")
    async with client_for(app) as http:
        small = await http.post(CUSTOMERS, json=customer_body(notes_length=3000), headers=admin.headers)
        assert small.status_code == 201, small.text
        large = await http.post(CUSTOMERS, json=customer_body(notes_length=4500), headers=admin.headers)
    problem = assert_problem(large, 413, "PAYLOAD_TOO_LARGE")
    assert "4096 bytes" in problem["detail"]
    assert await count(sessionmaker, Customer) == 1


@pytest.mark.parametrize("with_idempotency_key", [False, True])
async def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(
    make_app, sessionmaker, with_idempotency_key
):
    # With a key the idempotency middleware reads the body (to fingerprint it) before any endpoint runs.
    app = make_app(max_body_bytes=4096)
    admin = await make_user(app, sessionmaker, "admin")
    headers = {**admin.headers, "Content-Type": "application/json"}
    if with_idempotency_key:
        headers["Idempotency-Key"] = "chunked-1"
    async with client_for(app) as http:
        fits = await http.post(
            CUSTOMERS,
            content=chunks_of(httpx.Request("POST", "/", json=customer_body(3000)).content),
            headers=headers,
        )
        assert "content-length" not in fits.request.headers
        assert fits.status_code == 201, fits.text
        if with_idempotency_key:
            headers["Idempotency-Key"] = "chunked-2"
        too_big = await http.post(
            CUSTOMERS,
            content=chunks_of(httpx.Request("POST", "/", json=customer_body(5000)).content),
            headers=headers,
        )
    assert_problem(too_big, 413, "PAYLOAD_TOO_LARGE")
    assert await count(sessionmaker, Customer) == 1
    async with sessionmaker() as session:
        keys = list(await session.scalars(select(IdempotencyKey.key)))
    assert keys == (["chunked-1"] if with_idempotency_key else [])


async def test_the_default_limit_is_one_mebibyte(client, app, sessionmaker, tmp_path):
    assert Settings(data_dir=tmp_path).max_body_bytes == 1024 * 1024
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, content=b"{" + b" " * (1024 * 1024) + b"}", headers=admin.headers)
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


# --- fields the caller may not set ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"totalSpent": 0}, "totalSpent"),
        ({"repairCount": 99}, "repairCount"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"createdAt": "2020-01-01T00:00:00Z"}, "createdAt"),
        ({"archivedAt": "2020-01-01T00:00:00Z"}, "archivedAt"),
        ({"lastLoginAt": "2020-01-01T00:00:00Z"}, "lastLoginAt"),
        ({"hasPortalAccess": True}, "hasPortalAccess"),
        ({"portalPasswordHash": "$argon2id$forged"}, "portalPasswordHash"),
        ({"permissions": ["customers:write"]}, "permissions"),
    ],
)
async def test_patching_a_customer_with_a_field_staff_may_not_set_is_400_and_changes_nothing(
    client, app, sessionmaker, body, field
):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    async with sessionmaker() as session:
        before = await session.get(Customer, customer.id)

    response = await client.patch(
        f"{CUSTOMERS}/{customer.id}", json={"city": "Porto", **body}, headers=admin.headers
    )
    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in problem["errors"]] == [field]

    async with sessionmaker() as session:
        after = await session.get(Customer, customer.id)
    assert after is not None
    assert before is not None
    for column in (
        "city",
        "created_at",
        "updated_at",
        "archived_at",
        "last_login_at",
        "portal_password_hash",
    ):
        assert getattr(after, column) == getattr(before, column), column


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customerId": "other"}, "customerId"),
        ({"repairNumber": "R-1999-000001"}, "repairNumber"),
        ({"technicianId": str(uuid.uuid4())}, "technicianId"),
        ({"actualCompletion": "2020-01-01T00:00:00Z"}, "actualCompletion"),
        ({"completionDays": 1}, "completionDays"),
        ({"balance": 0}, "balance"),
    ],
)
async def test_patching_a_repair_with_a_field_set_elsewhere_is_400_and_changes_nothing(
    client, app, sessionmaker, body, field
):
    admin = await make_user(app, sessionmaker, "admin")
    owner = await make_customer(app, sessionmaker)
    other = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, owner.id, totalCost="100.00")
    if body.get("customerId") == "other":
        body = {"customerId": str(other.id)}

    response = await client.patch(
        f"/api/v1/repairs/{repair['id']}", json={"deviceModel": "Changed", **body}, headers=admin.headers
    )
    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in problem["errors"]] == [field]

    async with sessionmaker() as session:
        stored = await session.get(Repair, uuid.UUID(repair["id"]))
    assert stored is not None
    assert (stored.customer_id, stored.repair_number, stored.technician_id) == (
        owner.id,
        repair["repairNumber"],
        None,
    )
    assert (stored.device_model, stored.actual_completion, str(stored.total_cost)) == (
        "iPhone 13",
        None,
        "100.00",
    )


@pytest.mark.parametrize(
    ("body", "field"), [({"role": "admin"}, "role"), ({"customerId": "other"}, "customerId")]
)
async def test_a_customer_cannot_set_role_or_owner_through_the_profile(
    client, app, sessionmaker, body, field
):
    customer = await make_customer(app, sessionmaker)
    other = await make_customer(app, sessionmaker)
    if body.get("customerId") == "other":
        body = {"customerId": str(other.id)}
    response = await client.put(PROFILE, json={"lastName": "Changed", **body}, headers=customer.headers)
    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in problem["errors"]] == [field]
    async with sessionmaker() as session:
        assert (await session.get(Customer, customer.id)).last_name == "Silva"


# --- CORS ----------------------------------------------------------------------------------------------


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }


async def test_cors_admits_only_the_configured_origins(make_app, sessionmaker):
    app = make_app(cors_origins=[SHOP, "https://portal.shop.example"])
    admin = await make_user(app, sessionmaker, "admin")
    async with client_for(app) as http:
        allowed = await http.options(CUSTOMERS, headers=preflight(SHOP))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == SHOP
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()

        for stranger in (
            "https://evil.example",
            "https://shop.example.evil.example",
            "http://shop.example",
            "null",
        ):
            refused = await http.options(CUSTOMERS, headers=preflight(stranger))
            assert "access-control-allow-origin" not in refused.headers, stranger
            assert refused.status_code == 400

        listed = await http.get(CUSTOMERS, headers={**admin.headers, "Origin": SHOP})
        assert listed.status_code == 200
        assert listed.headers["access-control-allow-origin"] == SHOP
        assert listed.headers["access-control-allow-credentials"] == "true"
        exposed = {
            name.strip().lower() for name in listed.headers["access-control-expose-headers"].split(",")
        }
        assert exposed >= {
            "x-request-id",
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "retry-after",
            "idempotent-replayed",
        }
        assert "origin" in listed.headers["vary"].lower()

        # The API still answers a script from elsewhere (CORS is the browser's rule), but without the header
        # its browser will not hand the answer over.
        foreign = await http.get(CUSTOMERS, headers={**admin.headers, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in foreign.headers


async def test_a_refused_request_is_still_readable_by_an_allowed_origin(make_app):
    app = make_app(cors_origins=[SHOP], rate_limit_anonymous="1/minute")
    async with client_for(app) as http:
        await http.get(CUSTOMERS, headers={"Origin": SHOP})
        refused = await http.get(CUSTOMERS, headers={"Origin": SHOP})
    assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert refused.headers["access-control-allow-origin"] == SHOP


async def test_without_configured_origins_no_origin_is_admitted(client):
    response = await client.options(CUSTOMERS, headers=preflight(SHOP))
    assert "access-control-allow-origin" not in response.headers
    simple = await client.get("/health", headers={"Origin": SHOP})
    assert "access-control-allow-origin" not in simple.headers


def test_a_wildcard_origin_is_refused(tmp_path):
    with pytest.raises(ValueError, match="explicitly"):
        Settings(data_dir=tmp_path, cors_origins=["*"])
