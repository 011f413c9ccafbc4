"""HTTP tests of ``/api/v1/customers`` (staff) and ``/api/v1/customer/profile`` (portal), on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.customers.schemas import CustomerCreate
from fixdesk.customers.service import create_customer
from fixdesk.db import transaction
from fixdesk.platform.security import verify_password
from tests.conftest import unique_email
from tests.factories import make_customer, make_user

CUSTOMERS = "/api/v1/customers"
PROFILE = "/api/v1/customer/profile"


def customer_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body in camelCase; ``overrides`` replace or add fields."""
    body: dict[str, Any] = {
        "firstName": "Ana",
        "lastName": "Silva",
        "email": unique_email("ana"),
        "phone": "(512) 555-0147",
    }
    body.update(overrides)
    return body


async def count_rows(sessionmaker: Any, model: Any = Customer) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def load_customer(sessionmaker: Any, customer_id: Any) -> Customer:
    async with sessionmaker() as session:
        customer = await session.get(Customer, uuid.UUID(str(customer_id)))
        assert customer is not None
        return customer


async def create(client: Any, staff: Any, **overrides: Any) -> dict[str, Any]:
    response = await client.post(CUSTOMERS, json=customer_body(**overrides), headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    return body


# --- create -----------------------------------------------------------------------------------------


async def test_create_returns_camel_case_customer_with_normalised_fields(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        CUSTOMERS,
        json=customer_body(
            email="Ana.Silva@Example.COM",
            tags=["VIP", " Warranty ", "b2b", "vip"],
            companyName="Silva Lda",
            timezone="Europe/Lisbon",
            language="pt",
            country="pt",
        ),
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["firstName"] == "Ana"
    assert body["lastName"] == "Silva"
    assert body["fullName"] == "Ana Silva"
    assert body["email"] == "ana.silva@example.com"
    assert body["phone"] == "+15125550147"
    assert body["tags"] == ["b2b", "vip", "warranty"]
    assert body["companyName"] == "Silva Lda"
    assert body["country"] == "PT"
    assert body["language"] == "pt"
    assert body["timezone"] == "Europe/Lisbon"
    assert body["status"] == "active"
    assert body["hasPortalAccess"] is False
    assert body["archivedAt"] is None
    assert body["createdAt"].endswith("Z")
    assert body["updatedAt"].endswith("Z")
    assert uuid.UUID(body["id"]).version == 7
    assert "first_name" not in body
    assert "portalPasswordHash" not in body
    assert "searchText" not in body

    stored = await load_customer(sessionmaker, body["id"])
    assert stored.email == "ana.silva@example.com"
    assert stored.phone == "+15125550147"
    assert await count_rows(sessionmaker, CustomerTag) == 3


async def test_create_accepts_snake_case_input(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    response = await client.post(
        CUSTOMERS,
        json={"first_name": "Bruno", "last_name": "Costa", "company_name": "Costa & Filhos"},
        headers=agent.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["firstName"], body["lastName"], body["companyName"]) == ("Bruno", "Costa", "Costa & Filhos")
    assert body["email"] is None
    assert body["phone"] is None


@pytest.mark.parametrize("field", ["portalPassword", "portal_password"])
async def test_staff_cannot_set_a_portal_password_on_create_or_update(client, app, sessionmaker, field):
    # Issue 9: an agent set a password, then signed in as the customer. Staff send a link instead.
    agent = await make_user(app, sessionmaker, "agent")
    email = unique_email("portal")

    created = await client.post(
        CUSTOMERS, json=customer_body(email=email, **{field: "long-enough-secret"}), headers=agent.headers
    )

    body = assert_problem(created, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == [field]
    assert await count_rows(sessionmaker) == 0
    customer = await make_customer(app, sessionmaker, portal_password="the-customers-own-secret")
    updated = await client.patch(
        f"{CUSTOMERS}/{customer.id}", json={field: "agent-chosen-secret"}, headers=agent.headers
    )
    body = assert_problem(updated, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == [field]
    stored = await load_customer(sessionmaker, customer.id)
    assert verify_password("the-customers-own-secret", stored.portal_password_hash)
    login = await client.post(
        "/api/v1/auth/login", json={"email": customer.email, "password": "agent-chosen-secret"}
    )
    assert_problem(login, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(512) 555-0147", "+15125550147"),
        ("512.555.0147", "+15125550147"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
async def test_create_normalises_phone_to_e164(client, app, sessionmaker, raw, expected):
    admin = await make_user(app, sessionmaker, "admin")
    body = await create(client, admin, phone=raw)
    assert body["phone"] == expected
    assert (await load_customer(sessionmaker, body["id"])).phone == expected


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+1 555 000 0000"])
async def test_create_with_invalid_phone_is_400_and_writes_nothing(client, app, sessionmaker, raw):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, json=customer_body(phone=raw), headers=admin.headers)
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["field"] == "phone"
    assert await count_rows(sessionmaker) == 0


async def test_create_with_email_taken_in_another_case_is_409_and_writes_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await create(client, admin, email="dup@example.com", tags=["vip"])
    response = await client.post(
        CUSTOMERS, json=customer_body(email="DUP@Example.com", tags=["new"]), headers=admin.headers
    )
    assert_problem(response, 409, "CONFLICT")
    assert await count_rows(sessionmaker) == 1
    assert await count_rows(sessionmaker, CustomerTag) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"role": "admin"},
        {"portalPasswordHash": "$argon2id$v=19$m=65536,t=3,p=4$forged"},
        {"portal_password_hash": "$argon2id$forged"},
        {"searchText": "anything"},
        {"archivedAt": "2026-01-01T00:00:00Z"},
        {"id": str(uuid.uuid4())},
    ],
)
async def test_create_with_unknown_field_is_400_and_writes_nothing(client, app, sessionmaker, extra):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, json=customer_body(**extra), headers=admin.headers)
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert any(next(iter(extra)) in error["field"] for error in body["errors"])
    assert await count_rows(sessionmaker) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
        ({"firstName": ""}, "firstName"),
        ({"language": "fr"}, "language"),
        ({"status": "archived"}, "status"),
        ({"country": "PRT"}, "country"),
        ({"tags": ["x"] * 21}, "tags"),
    ],
)
async def test_create_with_invalid_field_is_400_naming_the_field(client, app, sessionmaker, overrides, field):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, json=customer_body(**overrides), headers=admin.headers)
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert any(error["field"].startswith(field) for error in body["errors"]), body
    assert await count_rows(sessionmaker) == 0


async def test_create_without_names_is_400(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, json={"email": unique_email()}, headers=admin.headers)
    body = assert_problem(response, 400, "VALIDATION_ERROR")
    fields = {error["field"] for error in body["errors"]}
    assert {"firstName", "lastName"} <= fields
    assert await count_rows(sessionmaker) == 0


async def test_create_with_tag_longer_than_a_tag_column_is_400(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOMERS, json=customer_body(tags=["x" * 51]), headers=admin.headers)
    assert_problem(response, 400, "VALIDATION_ERROR")
    assert await count_rows(sessionmaker) == 0


# --- get, patch, delete -----------------------------------------------------------------------------


async def test_get_returns_the_customer_and_404_for_an_unknown_id(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker, tags=["vip"], notes="Prefers calls")
    response = await client.get(f"{CUSTOMERS}/{customer.id}", headers=technician.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(customer.id)
    assert body["email"] == customer.email
    assert body["tags"] == ["vip"]
    assert body["notes"] == "Prefers calls"

    missing = await client.get(f"{CUSTOMERS}/{uuid.uuid4()}", headers=technician.headers)
    assert_problem(missing, 404, "NOT_FOUND")
    # The id is a uuid path convertor (as invoices' are), so /customers/segmentation is its own route:
    # a malformed id matches no route.
    malformed = await client.get(f"{CUSTOMERS}/not-a-uuid", headers=technician.headers)
    assert_problem(malformed, 404, "NOT_FOUND")


async def test_patch_changes_only_the_fields_sent(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = await create(
        client, admin, companyName="Silva Lda", notes="Keeps receipts", tags=["vip", "b2b"]
    )
    response = await client.patch(
        f"{CUSTOMERS}/{created['id']}",
        json={"lastName": "Souza", "city": "Austin", "tags": ["vip", "Warranty"]},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lastName"] == "Souza"
    assert body["fullName"] == "Ana Souza"
    assert body["city"] == "Austin"
    assert body["tags"] == ["vip", "warranty"]
    for unchanged in ("firstName", "email", "phone", "companyName", "notes", "createdAt", "status"):
        assert body[unchanged] == created[unchanged], unchanged
    assert body["updatedAt"] >= created["updatedAt"]

    again = (await client.get(f"{CUSTOMERS}/{created['id']}", headers=admin.headers)).json()
    assert again == body
    assert await count_rows(sessionmaker, CustomerTag) == 2


async def test_patch_accepts_snake_case_and_null_clears_an_optional_field(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = await create(client, admin, companyName="Silva Lda")
    response = await client.patch(
        f"{CUSTOMERS}/{created['id']}",
        json={"company_name": None, "first_name": "Anabela"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["companyName"] is None
    assert response.json()["firstName"] == "Anabela"
    assert (await load_customer(sessionmaker, created["id"])).company_name is None


async def test_patch_renormalises_phone_and_rejects_invalid_ones(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = await create(client, admin)
    response = await client.patch(
        f"{CUSTOMERS}/{created['id']}", json={"phone": "+44 20 7946 0958"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "+442079460958"

    invalid = await client.patch(f"{CUSTOMERS}/{created['id']}", json={"phone": "555"}, headers=admin.headers)
    body = assert_problem(invalid, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["field"] == "phone"
    assert (await load_customer(sessionmaker, created["id"])).phone == "+442079460958"


async def test_patch_to_an_email_taken_by_another_customer_is_409(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    first = await create(client, admin, email="first@example.com")
    second = await create(client, admin, email="second@example.com")
    response = await client.patch(
        f"{CUSTOMERS}/{second['id']}", json={"email": "FIRST@example.com"}, headers=admin.headers
    )
    assert_problem(response, 409, "CONFLICT")
    assert (await load_customer(sessionmaker, second["id"])).email == "second@example.com"

    # Re-sending one's own address (in another case) is not a conflict.
    own = await client.patch(
        f"{CUSTOMERS}/{first['id']}", json={"email": "First@Example.com"}, headers=admin.headers
    )
    assert own.status_code == 200, own.text
    assert own.json()["email"] == "first@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"firstName": None}, "firstName"),
        ({"last_name": None}, "lastName"),
        # NOT NULL columns: an explicit null is a 400 for that field, not a database constraint error.
        ({"language": None}, "language"),
        ({"status": None}, "status"),
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"role": "admin"}, "role"),
        ({"status": "archived"}, "status"),
    ],
)
async def test_patch_with_invalid_body_is_400_and_changes_nothing(client, app, sessionmaker, body, field):
    admin = await make_user(app, sessionmaker, "admin")
    created = await create(client, admin)
    response = await client.patch(
        f"{CUSTOMERS}/{created['id']}", json={"city": "Porto", **body}, headers=admin.headers
    )
    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in problem["errors"]] == [field]
    stored = await load_customer(sessionmaker, created["id"])
    assert (stored.first_name, stored.last_name, stored.language, stored.status) == (
        "Ana",
        "Silva",
        "en",
        "active",
    )
    assert (stored.timezone, stored.city) == (None, None)


async def test_patch_unknown_customer_is_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.patch(
        f"{CUSTOMERS}/{uuid.uuid4()}", json={"city": "Porto"}, headers=admin.headers
    )
    assert_problem(response, 404, "NOT_FOUND")


async def test_delete_archives_and_keeps_the_customer(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    kept = await create(client, manager, firstName="Kept")
    archived = await create(client, manager, firstName="Gone", tags=["vip"])

    response = await client.delete(f"{CUSTOMERS}/{archived['id']}", headers=manager.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "archived"
    assert body["archivedAt"] is not None
    assert body["archivedAt"].endswith("Z")
    assert body["tags"] == ["vip"]

    by_id = await client.get(f"{CUSTOMERS}/{archived['id']}", headers=manager.headers)
    assert by_id.status_code == 200
    assert by_id.json()["status"] == "archived"

    default_list = (await client.get(CUSTOMERS, headers=manager.headers)).json()
    assert [item["id"] for item in default_list["items"]] == [kept["id"]]
    assert default_list["total"] == 1

    archived_list = (
        await client.get(CUSTOMERS, params={"status": "archived"}, headers=manager.headers)
    ).json()
    assert [item["id"] for item in archived_list["items"]] == [archived["id"]]

    stored = await load_customer(sessionmaker, archived["id"])
    assert stored.status == "archived"
    assert stored.archived_at is not None
    assert await count_rows(sessionmaker) == 2
    assert await count_rows(sessionmaker, CustomerTag) == 1

    # Archiving again is harmless and keeps the first archive time.
    again = await client.delete(f"{CUSTOMERS}/{archived['id']}", headers=manager.headers)
    assert again.status_code == 200
    assert again.json()["archivedAt"] == body["archivedAt"]


async def test_delete_unknown_customer_is_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.delete(f"{CUSTOMERS}/{uuid.uuid4()}", headers=admin.headers)
    assert_problem(response, 404, "NOT_FOUND")


async def test_archived_portal_customer_can_neither_log_in_nor_use_a_token(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, portal_password="portal-pass-123")
    credentials = {"email": customer.email, "password": "portal-pass-123"}

    login = await client.post("/api/v1/auth/login", json=credentials)
    assert login.status_code == 200, login.text
    issued = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    assert (await client.get(PROFILE, headers=issued)).status_code == 200

    archive = await client.delete(f"{CUSTOMERS}/{customer.id}", headers=admin.headers)
    assert archive.status_code == 200, archive.text

    assert_problem(await client.post("/api/v1/auth/login", json=credentials), 401, "UNAUTHORIZED")
    assert_problem(await client.get(PROFILE, headers=issued), 401, "UNAUTHORIZED")
    assert_problem(await client.get(PROFILE, headers=customer.headers), 401, "UNAUTHORIZED")
    refresh = await client.post("/api/v1/auth/refresh", json={"refreshToken": login.json()["refreshToken"]})
    assert refresh.status_code == 401, refresh.text


# --- list -------------------------------------------------------------------------------------------


async def test_list_paginates(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    for index in range(5):
        await make_customer(app, sessionmaker, first_name=f"Customer{index}")

    response = await client.get(CUSTOMERS, params={"page": 3, "pageSize": 2}, headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "total", "totalIsEstimate", "page", "pageSize", "totalPages"}
    assert body["totalIsEstimate"] is False
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (5, 3, 2, 3)
    assert len(body["items"]) == 1

    snake = (await client.get(CUSTOMERS, params={"page_size": 4}, headers=admin.headers)).json()
    assert (snake["pageSize"], snake["totalPages"], len(snake["items"])) == (4, 2, 4)

    default = (await client.get(CUSTOMERS, headers=admin.headers)).json()
    assert (default["page"], default["pageSize"], len(default["items"])) == (1, 20, 5)

    beyond = (await client.get(CUSTOMERS, params={"page": 9, "pageSize": 2}, headers=admin.headers)).json()
    assert beyond["items"] == []
    assert beyond["total"] == 5

    # Pages of one page size cover every customer once.
    seen = []
    for page in (1, 2, 3):
        items = (
            await client.get(CUSTOMERS, params={"page": page, "pageSize": 2}, headers=admin.headers)
        ).json()["items"]
        seen.extend(item["id"] for item in items)
    assert len(seen) == len(set(seen)) == 5


async def test_list_of_no_customers_is_an_empty_page(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    body = (await client.get(CUSTOMERS, headers=admin.headers)).json()
    assert body == {
        "items": [],
        "total": 0,
        "totalIsEstimate": False,
        "page": 1,
        "pageSize": 20,
        "totalPages": 0,
    }


INVALID_LIST_QUERIES = [
    {"pageSize": 101},
    {"pageSize": 0},
    {"page": 0},
    {"page_size": 101},
    {"sortBy": "email"},
    {"sortOrder": "sideways"},
    {"status": "deleted"},
]


async def test_list_with_invalid_query_is_400(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    for params in INVALID_LIST_QUERIES:
        response = await client.get(CUSTOMERS, params=params, headers=admin.headers)
        body = assert_problem(response, 400, "VALIDATION_ERROR")
        assert body["errors"][0]["field"] == next(iter(params)), params


async def make_search_customers(app, sessionmaker) -> dict[str, Any]:
    """Three customers differing in name, email and phone, keyed by first name."""
    return {
        "Ana": await make_customer(
            app,
            sessionmaker,
            first_name="Ana",
            last_name="Silva",
            email="ana.s@mail.example",
            phone="(512) 555-0147",
        ),
        "Bruno": await make_customer(
            app,
            sessionmaker,
            first_name="Bruno",
            last_name="Costa",
            email="bcosta@workshop.example",
            phone="+44 20 7946 0958",
        ),
        "Carla": await make_customer(
            app, sessionmaker, first_name="Carla", last_name="Alves", email=None, phone="(737) 555-0199"
        ),
    }


SEARCHES = [
    ("SILVA", {"Ana"}),
    ("silva", {"Ana"}),
    ("bruno", {"Bruno"}),
    ("cArLa", {"Carla"}),
    ("WORKSHOP.exa", {"Bruno"}),
    ("ana.s@", {"Ana"}),
    ("5550147", {"Ana"}),
    ("(512) 555-0147", {"Ana"}),
    ("+44 20 7946", {"Bruno"}),
    ("555", {"Ana", "Carla"}),
    ("a", {"Ana", "Bruno", "Carla"}),
    # LIKE wildcards are literal: unescaped, each of these would match every customer.
    ("%", set()),
    ("_", set()),
    ("a%a", set()),
    ("zzz", set()),
]


async def test_list_search_is_case_insensitive_over_name_email_and_phone(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "technician")
    customers = await make_search_customers(app, sessionmaker)
    for search, expected in SEARCHES:
        response = await client.get(CUSTOMERS, params={"search": search}, headers=staff.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {item["firstName"] for item in body["items"]} == expected, search
        assert body["total"] == len(expected), search
        assert {item["id"] for item in body["items"]} == {str(customers[name].id) for name in expected}


async def test_list_search_excludes_archived_customers_unless_asked(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customers = await make_search_customers(app, sessionmaker)
    await client.delete(f"{CUSTOMERS}/{customers['Ana'].id}", headers=admin.headers)
    default = (await client.get(CUSTOMERS, params={"search": "silva"}, headers=admin.headers)).json()
    assert default["items"] == []
    archived = (
        await client.get(CUSTOMERS, params={"search": "silva", "status": "archived"}, headers=admin.headers)
    ).json()
    assert [item["id"] for item in archived["items"]] == [str(customers["Ana"].id)]


async def test_list_filters_by_status(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    active = await make_customer(app, sessionmaker, first_name="Active")
    inactive = await make_customer(app, sessionmaker, first_name="Inactive", status="inactive")
    archived = await make_customer(app, sessionmaker, first_name="Archived")
    await client.delete(f"{CUSTOMERS}/{archived.id}", headers=admin.headers)

    async def ids(**params: Any) -> set[str]:
        response = await client.get(CUSTOMERS, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids() == {str(active.id), str(inactive.id)}
    assert await ids(status="active") == {str(active.id)}
    assert await ids(status="inactive") == {str(inactive.id)}
    assert await ids(status="archived") == {str(archived.id)}


async def test_list_filters_by_tag(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    vip = await make_customer(app, sessionmaker, first_name="Vip", tags=["vip", "b2b"])
    b2b = await make_customer(app, sessionmaker, first_name="Business", tags=["b2b"])
    await make_customer(app, sessionmaker, first_name="Plain")

    async def ids(tag: str) -> set[str]:
        response = await client.get(CUSTOMERS, params={"tag": tag}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids("vip") == {str(vip.id)}
    assert await ids("VIP") == {str(vip.id)}
    assert await ids("b2b") == {str(vip.id), str(b2b.id)}
    assert await ids("nobody") == set()
    combined = await client.get(CUSTOMERS, params={"tag": "b2b", "search": "business"}, headers=admin.headers)
    assert [item["id"] for item in combined.json()["items"]] == [str(b2b.id)]


SORTS = [
    ("createdAt", "asc", ["Carla", "Ana", "Bruno"]),
    ("createdAt", "desc", ["Bruno", "Ana", "Carla"]),
    ("name", "asc", ["Ana", "Bruno", "Carla"]),
    ("name", "desc", ["Carla", "Bruno", "Ana"]),
    ("lastName", "asc", ["Carla", "Bruno", "Ana"]),
    ("lastName", "desc", ["Ana", "Bruno", "Carla"]),
]


async def test_list_sorts(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    # Created in this order; last names sort Alves < Costa < Silva, first names Ana < Bruno < Carla.
    await make_customer(app, sessionmaker, first_name="Carla", last_name="Alves")
    await make_customer(app, sessionmaker, first_name="Ana", last_name="Silva")
    await make_customer(app, sessionmaker, first_name="Bruno", last_name="Costa")
    for sort_by, sort_order, expected in SORTS:
        response = await client.get(
            CUSTOMERS, params={"sortBy": sort_by, "sortOrder": sort_order}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        assert [item["firstName"] for item in response.json()["items"]] == expected, (sort_by, sort_order)


async def test_list_default_order_is_newest_first(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    first = await make_customer(app, sessionmaker, first_name="First")
    second = await make_customer(app, sessionmaker, first_name="Second")
    items = (await client.get(CUSTOMERS, headers=admin.headers)).json()["items"]
    assert [item["id"] for item in items] == [str(second.id), str(first.id)]


async def test_list_statement_count_does_not_grow_with_page_size(
    client, app, sessionmaker, statement_counter
):
    admin = await make_user(app, sessionmaker, "admin")
    async with transaction(sessionmaker) as session:
        for index in range(50):
            await create_customer(
                session,
                CustomerCreate(
                    first_name=f"Customer{index:02d}",
                    last_name="Bulk",
                    email=unique_email("bulk"),
                    tags=["bulk", f"group{index % 5}"],
                ),
                default_region="US",
            )

    statement_counter.reset()
    small = await client.get(CUSTOMERS, params={"pageSize": 5}, headers=admin.headers)
    small_count = statement_counter.count
    assert small.status_code == 200, small.text
    assert len(small.json()["items"]) == 5

    statement_counter.reset()
    large = await client.get(CUSTOMERS, params={"pageSize": 50}, headers=admin.headers)
    large_count = statement_counter.count
    assert large.status_code == 200, large.text
    items = large.json()["items"]
    assert len(items) == 50
    assert all(len(item["tags"]) == 2 for item in items)

    assert large_count == small_count, statement_counter.statements


# --- permissions ------------------------------------------------------------------------------------


async def test_technician_reads_but_cannot_write(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)

    assert (await client.get(CUSTOMERS, headers=technician.headers)).status_code == 200
    assert (await client.get(f"{CUSTOMERS}/{customer.id}", headers=technician.headers)).status_code == 200

    create_response = await client.post(CUSTOMERS, json=customer_body(), headers=technician.headers)
    assert_problem(create_response, 403, "FORBIDDEN")
    patch_response = await client.patch(
        f"{CUSTOMERS}/{customer.id}", json={"firstName": "Changed"}, headers=technician.headers
    )
    assert_problem(patch_response, 403, "FORBIDDEN")
    delete_response = await client.delete(f"{CUSTOMERS}/{customer.id}", headers=technician.headers)
    assert_problem(delete_response, 403, "FORBIDDEN")

    stored = await load_customer(sessionmaker, customer.id)
    assert (stored.first_name, stored.status) == ("Ana", "active")
    assert await count_rows(sessionmaker) == 1


@pytest.mark.parametrize("role", ["admin", "manager", "agent"])
async def test_writing_roles_can_create_update_and_archive(client, app, sessionmaker, role):
    staff = await make_user(app, sessionmaker, role)
    created = await create(client, staff)
    patched = await client.patch(
        f"{CUSTOMERS}/{created['id']}", json={"city": "Porto"}, headers=staff.headers
    )
    assert patched.status_code == 200, patched.text
    archived = await client.delete(f"{CUSTOMERS}/{created['id']}", headers=staff.headers)
    assert archived.status_code == 200, archived.text


async def test_customers_need_a_staff_token(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)
    assert_problem(await client.get(CUSTOMERS), 401, "UNAUTHORIZED")
    assert_problem(await client.post(CUSTOMERS, json=customer_body()), 401, "UNAUTHORIZED")
    assert_problem(await client.get(f"{CUSTOMERS}/{customer.id}"), 401, "UNAUTHORIZED")
    garbage = {"Authorization": "Bearer not-a-jwt"}
    assert_problem(await client.get(CUSTOMERS, headers=garbage), 401, "UNAUTHORIZED")
    # A portal customer's token is valid but grants no staff permission.
    assert_problem(await client.get(CUSTOMERS, headers=customer.headers), 403, "FORBIDDEN")
    assert_problem(
        await client.post(CUSTOMERS, json=customer_body(), headers=customer.headers), 403, "FORBIDDEN"
    )
    assert await count_rows(sessionmaker) == 1


# --- portal profile ---------------------------------------------------------------------------------


async def test_portal_profile_returns_own_profile_without_staff_fields(client, app, sessionmaker):
    customer = await make_customer(
        app, sessionmaker, phone="(512) 555-0147", notes="Difficult customer", tags=["watch"], city="Austin"
    )
    await make_customer(app, sessionmaker, first_name="Other")
    response = await client.get(PROFILE, headers=customer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(customer.id)
    assert (body["firstName"], body["lastName"], body["email"]) == ("Ana", "Silva", customer.email)
    assert body["phone"] == "+15125550147"
    assert body["city"] == "Austin"
    assert body["createdAt"].endswith("Z")
    for staff_only in ("notes", "tags", "status", "hasPortalAccess", "portalPasswordHash", "searchText"):
        assert staff_only not in body, staff_only
    assert "Difficult" not in response.text


async def test_portal_profile_update_changes_allowed_fields(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, notes="Staff note", tags=["vip"])
    response = await client.put(
        PROFILE,
        json={
            "firstName": "Anabela",
            "phone": "(512) 555-0199",
            "language": "pt",
            "timezone": "Europe/Lisbon",
            "address_line1": "Rua Augusta 1",
        },
        headers=customer.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["firstName"] == "Anabela"
    assert body["lastName"] == "Silva"
    assert body["phone"] == "+15125550199"
    assert body["language"] == "pt"
    assert body["timezone"] == "Europe/Lisbon"
    assert body["addressLine1"] == "Rua Augusta 1"
    assert "notes" not in body

    stored = await load_customer(sessionmaker, customer.id)
    assert (stored.first_name, stored.phone, stored.language, stored.timezone) == (
        "Anabela",
        "+15125550199",
        "pt",
        "Europe/Lisbon",
    )
    assert stored.notes == "Staff note"
    assert stored.email == customer.email

    # The staff view shows the change and the untouched staff fields; search sees the new name.
    admin = await make_user(app, sessionmaker, "admin")
    staff_view = (await client.get(f"{CUSTOMERS}/{customer.id}", headers=admin.headers)).json()
    assert (staff_view["firstName"], staff_view["tags"]) == ("Anabela", ["vip"])
    found = (await client.get(CUSTOMERS, params={"search": "anabela"}, headers=admin.headers)).json()
    assert [item["id"] for item in found["items"]] == [str(customer.id)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "fr"}, "language"),
        ({"phone": "12345"}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"firstName": None}, "firstName"),
        ({"language": None}, "language"),
        ({"email": "new-address@example.com"}, "email"),
        ({"status": "inactive"}, "status"),
        ({"tags": ["vip"]}, "tags"),
        ({"notes": "I am great"}, "notes"),
        ({"portalPassword": "new-password-123"}, "portalPassword"),
        ({"id": str(uuid.uuid4())}, "id"),
    ],
)
async def test_portal_profile_update_rejects_invalid_or_forbidden_fields(
    client, app, sessionmaker, body, field
):
    customer = await make_customer(app, sessionmaker, phone="(512) 555-0147", notes="Staff note")
    before = await load_customer(sessionmaker, customer.id)
    response = await client.put(PROFILE, json={"lastName": "Changed", **body}, headers=customer.headers)
    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in problem["errors"]] == [field]
    after = await load_customer(sessionmaker, customer.id)
    for column in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "language",
        "timezone",
        "status",
        "notes",
        "portal_password_hash",
        "updated_at",
    ):
        assert getattr(after, column) == getattr(before, column), column


async def test_portal_profile_is_for_customers_only(client, app, sessionmaker):
    for role in ("admin", "agent"):
        staff = await make_user(app, sessionmaker, role)
        assert_problem(await client.get(PROFILE, headers=staff.headers), 403, "FORBIDDEN")
        assert_problem(
            await client.put(PROFILE, json={"firstName": "X"}, headers=staff.headers), 403, "FORBIDDEN"
        )
    assert_problem(await client.get(PROFILE), 401, "UNAUTHORIZED")
    assert_problem(await client.put(PROFILE, json={"firstName": "X"}), 401, "UNAUTHORIZED")


async def test_inactive_customer_token_is_refused(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    assert (await client.get(PROFILE, headers=customer.headers)).status_code == 200
    response = await client.patch(
        f"{CUSTOMERS}/{customer.id}", json={"status": "inactive"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert_problem(await client.get(PROFILE, headers=customer.headers), 401, "UNAUTHORIZED")
