"""Custom field values on customers and repairs (issue 5, item 9): validated on create and update through
the real endpoints, returned typed in ``customFields``, required fields, removal with ``null``, and kept
out of the customer portal."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from fixdesk.customers.events import CUSTOMER_UPDATED
from fixdesk.customers.models import Customer
from fixdesk.customers.service import anonymise_customer
from fixdesk.db import transaction
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import service as repairs_service
from fixdesk.repairs.models import Repair, RepairStatusHistory
from fixdesk.repairs.schemas import RepairCreate
from tests.customfields.helpers import (
    CUSTOMERS,
    REPAIRS,
    define,
    define_every_type,
    errors_by_field,
    stored_custom_fields,
)
from tests.factories import count_rows, events_named, make_customer, make_repair, make_user, repair_body
from tests.identity.conftest import make_mailroom

GOOD_VALUES: dict[str, Any] = {
    "note": "  Ring the back door  ",
    "floor": 5,
    "bought_on": "2024-02-29",
    "vip": True,
    "tier": "gold",
}
STORED_GOOD_VALUES = {**GOOD_VALUES, "note": "Ring the back door"}

# (key, value, words of the message): every kind of wrong value, per type.
BAD_VALUES: list[tuple[str, Any, str]] = [
    ("note", 5, "string"),
    ("note", True, "string"),
    ("note", ["a"], "string"),
    ("note", "", "blank"),
    ("note", "   ", "blank"),
    ("note", "x" * 1001, "1000"),
    ("floor", "5", "number"),
    ("floor", True, "number"),
    ("floor", False, "number"),
    ("floor", {"value": 5}, "number"),
    ("floor", 2**53, "finite"),
    ("floor", -1e300, "finite"),
    ("bought_on", "2025-02-29", "calendar date"),
    ("bought_on", "2025-13-01", "calendar date"),
    ("bought_on", "31/01/2025", "YYYY-MM-DD"),
    ("bought_on", "20250131", "YYYY-MM-DD"),
    ("bought_on", "2025-W05-5", "YYYY-MM-DD"),
    ("bought_on", "2025-01-31T10:00:00Z", "YYYY-MM-DD"),
    ("bought_on", 20250131, "YYYY-MM-DD"),
    ("vip", "true", "true or false"),
    ("vip", 1, "true or false"),
    ("vip", 0, "true or false"),
    ("tier", "platinum", "one of: gold, silver, none"),
    ("tier", "Gold", "one of"),
    ("tier", 1, "one of"),
    ("colour", "red", "no such"),
]


def customer_body(**custom_fields: Any) -> dict[str, Any]:
    return {"firstName": "Ana", "lastName": "Silva", "customFields": custom_fields}


# --- round trip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_values_of_every_type_round_trip_typed(client, app, sessionmaker, entity):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, entity)
    values = {**GOOD_VALUES, "floor": 2.5}
    if entity == "customer":
        response = await client.post(CUSTOMERS, json=customer_body(**values), headers=admin.headers)
        model, url = Customer, CUSTOMERS
    else:
        customer = await make_customer(app, sessionmaker)
        response = await client.post(
            REPAIRS, json=repair_body(customer.id, customFields=values), headers=admin.headers
        )
        model, url = Repair, REPAIRS

    assert response.status_code == 201, response.text
    expected = {**STORED_GOOD_VALUES, "floor": 2.5}
    assert response.json()["customFields"] == expected
    # Typed JSON, not strings: a number is a number and a boolean a boolean.
    answer = json.loads(response.text)["customFields"]
    assert answer["floor"] == 2.5
    assert isinstance(answer["floor"], float)
    assert answer["vip"] is True
    record_id = response.json()["id"]
    assert await stored_custom_fields(sessionmaker, model, record_id) == expected
    fetched = await client.get(f"{url}/{record_id}", headers=admin.headers)
    assert fetched.json()["customFields"] == expected
    listed = await client.get(url, headers=admin.headers)
    assert [item["customFields"] for item in listed.json()["items"]] == [expected]


async def test_integers_stay_integers_and_false_stays_false(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, "customer")
    response = await client.post(CUSTOMERS, json=customer_body(floor=-3, vip=False), headers=admin.headers)
    assert response.status_code == 201, response.text
    stored = await stored_custom_fields(sessionmaker, Customer, response.json()["id"])
    assert stored == {"floor": -3, "vip": False}
    assert type(stored["floor"]) is int
    assert stored["vip"] is False
    assert '"floor":-3' in response.text.replace(" ", "")


async def test_records_without_custom_fields_answer_an_empty_object(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await client.post(CUSTOMERS, json={"firstName": "A", "lastName": "B"}, headers=admin.headers)
    assert customer.json()["customFields"] == {}
    repair = await make_repair(client, admin, customer.json()["id"])
    assert repair["customFields"] == {}


# --- validation on create --------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_every_wrong_value_is_400_naming_the_field_and_writes_nothing(
    client, app, sessionmaker, entity
):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, entity)
    customer = await make_customer(app, sessionmaker)
    customers_before = await count_rows(sessionmaker, Customer)

    for key, value, words in BAD_VALUES:
        values = {**GOOD_VALUES, key: value}
        if entity == "customer":
            response = await client.post(CUSTOMERS, json=customer_body(**values), headers=admin.headers)
        else:
            body = repair_body(customer.id, customFields=values)
            response = await client.post(REPAIRS, json=body, headers=admin.headers)
        assert response.status_code == 400, (key, value, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
        errors = errors_by_field(response)
        assert list(errors) == [f"customFields.{key}"], (key, value, errors)
        assert words in errors[f"customFields.{key}"], (key, value, errors)

    assert await count_rows(sessionmaker, Customer) == customers_before
    assert await count_rows(sessionmaker, Repair) == 0
    assert await count_rows(sessionmaker, RepairStatusHistory) == 0


async def test_all_bad_fields_are_reported_at_once(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, "customer", tier=True)

    response = await client.post(
        CUSTOMERS,
        json=customer_body(note=1, floor="x", bought_on="yesterday", vip="no", colour="red"),
        headers=admin.headers,
    )

    assert response.status_code == 400, response.text
    assert set(errors_by_field(response)) == {
        "customFields.note",
        "customFields.floor",
        "customFields.bought_on",
        "customFields.vip",
        "customFields.colour",
        "customFields.tier",  # required and missing
    }
    assert await count_rows(sessionmaker, Customer) == 0


async def test_non_finite_numbers_are_refused(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "customer", "floor", "number")
    for raw in ("NaN", "Infinity", "-Infinity"):
        # Python's JSON parser reads these tokens, so the server sees a float that is not finite.
        response = await client.post(
            CUSTOMERS,
            content=f'{{"firstName": "A", "lastName": "B", "customFields": {{"floor": {raw}}}}}',
            headers={**admin.headers, "content-type": "application/json"},
        )
        assert response.status_code == 400, (raw, response.text)
    assert await count_rows(sessionmaker, Customer) == 0


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_required_fields_must_be_given_on_create(client, app, sessionmaker, entity):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    await define(client, admin, entity, "contract", "text", required=True, position=2)
    await define(client, admin, entity, "vip", "boolean", required=True, position=1)
    await define(client, admin, entity, "note", "text")

    async def create(custom_fields: dict[str, Any] | None):
        if entity == "customer":
            body: dict[str, Any] = {"firstName": "A", "lastName": "B"}
            if custom_fields is not None:
                body["customFields"] = custom_fields
            return await client.post(CUSTOMERS, json=body, headers=admin.headers)
        extra = {} if custom_fields is None else {"customFields": custom_fields}
        return await client.post(REPAIRS, json=repair_body(customer.id, **extra), headers=admin.headers)

    for custom_fields in (None, {}, {"note": "x"}, {"contract": None, "vip": None}):
        missing = await create(custom_fields)
        assert missing.status_code == 400, (custom_fields, missing.text)
        assert errors_by_field(missing) == {
            "customFields.vip": "is required",
            "customFields.contract": "is required",
        }, custom_fields
        # Listed in form order (position).
        assert [e["field"] for e in missing.json()["errors"]] == ["customFields.vip", "customFields.contract"]
    one_missing = await create({"vip": False})
    assert errors_by_field(one_missing) == {"customFields.contract": "is required"}
    assert await count_rows(sessionmaker, Customer) == 1
    assert await count_rows(sessionmaker, Repair) == 0

    # false is a value.
    created = await create({"vip": False, "contract": "C-1"})
    assert created.status_code == 201, created.text
    assert created.json()["customFields"] == {"vip": False, "contract": "C-1"}


async def test_self_registration_is_not_blocked_by_required_customer_fields(
    client, app, sessionmaker, settings, database
):
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "customer", "contract", "text", required=True)

    registered = await client.post(
        "/api/v1/auth/register",
        json={"email": "marta@example.com", "firstName": "Marta", "lastName": "Reis"},
    )

    assert registered.status_code == 200, registered.text
    # The account is made by a job after the answer (fixdesk.identity.registration).
    worker = make_mailroom(settings, database)
    try:
        await worker.drain()
    finally:
        await worker.services.aclose()
    async with sessionmaker() as session:
        customer = (await session.execute(select(Customer))).scalar_one()
    assert customer.custom_fields == {}
    # Staff still have to fill it in.
    staff_created = await client.post(
        CUSTOMERS, json={"firstName": "A", "lastName": "B"}, headers=admin.headers
    )
    assert staff_created.status_code == 400


async def test_repairs_the_system_opens_may_skip_required_fields(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    await define(client, admin, "repair", "intake_check", "boolean", required=True)
    principal = Principal(id=admin.id, type="user", role="admin", permissions=permissions_for("admin"))
    data = RepairCreate(
        customer_id=customer.id,
        device_type="phone",
        device_brand="Apple",
        device_model="iPhone 13",
        issue_description="Warranty claim",
    )

    async with transaction(sessionmaker) as session:
        with pytest.raises(ValidationFailed) as refused:
            await repairs_service.create_repair(session, principal, data)
    assert refused.value.errors == [{"field": "customFields.intake_check", "message": "is required"}]
    async with transaction(sessionmaker) as session:
        repair = await repairs_service.create_repair(session, principal, data, require_custom_fields=False)
    assert await stored_custom_fields(sessionmaker, Repair, repair.id) == {}
    # Values that are given are still checked.
    bad = data.model_copy(update={"custom_fields": {"intake_check": "yes"}})
    async with transaction(sessionmaker) as session:
        with pytest.raises(ValidationFailed):
            await repairs_service.create_repair(session, principal, bad, require_custom_fields=False)
    assert await count_rows(sessionmaker, Repair) == 1


# --- validation on update --------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_update_merges_values_and_null_removes_one(client, app, sessionmaker, entity):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, entity)
    record, url, model = await _record_with_values(client, app, sessionmaker, admin, entity, GOOD_VALUES)

    response = await client.patch(
        f"{url}/{record['id']}",
        json={"customFields": {"note": None, "floor": 7, "tier": "silver"}},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    expected = {"floor": 7, "bought_on": "2024-02-29", "vip": True, "tier": "silver"}
    assert response.json()["customFields"] == expected
    assert await stored_custom_fields(sessionmaker, model, record["id"]) == expected
    # Omitting customFields, sending null for it or an empty object changes nothing; removing an absent
    # value is harmless.
    for body in ({"customFields": {}}, {"customFields": None}, {"customFields": {"note": None}}):
        again = await client.patch(f"{url}/{record['id']}", json=body, headers=admin.headers)
        assert again.status_code == 200, again.text
        assert again.json()["customFields"] == expected
    if entity == "customer":
        renamed = await client.patch(
            f"{url}/{record['id']}", json={"lastName": "Reis"}, headers=admin.headers
        )
    else:
        renamed = await client.patch(
            f"{url}/{record['id']}", json={"deviceModel": "iPhone 14"}, headers=admin.headers
        )
    assert renamed.json()["customFields"] == expected


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_bad_values_on_update_are_400_and_change_nothing(client, app, sessionmaker, entity):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, entity, tier=True)
    record, url, model = await _record_with_values(client, app, sessionmaker, admin, entity, GOOD_VALUES)

    for key, value, words in BAD_VALUES:
        # A good change alongside the bad one must not be applied either.
        body = {
            "customFields": {"floor": 99, key: value} if key != "floor" else {"note": "changed", key: value}
        }
        response = await client.patch(f"{url}/{record['id']}", json=body, headers=admin.headers)
        assert response.status_code == 400, (key, value, response.text)
        assert words in errors_by_field(response)[f"customFields.{key}"], (key, value)

    required_removed = await client.patch(
        f"{url}/{record['id']}", json={"customFields": {"tier": None, "note": None}}, headers=admin.headers
    )
    assert required_removed.status_code == 400
    assert errors_by_field(required_removed) == {"customFields.tier": "is required and cannot be removed"}
    assert await stored_custom_fields(sessionmaker, model, record["id"]) == STORED_GOOD_VALUES
    reread = await client.get(f"{url}/{record['id']}", headers=admin.headers)
    assert reread.json()["customFields"] == STORED_GOOD_VALUES


async def test_a_field_made_required_later_binds_new_records_and_removals_only(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "customer", "contract", "text")
    await define(client, admin, "customer", "note", "text")
    old = await client.post(CUSTOMERS, json=customer_body(), headers=admin.headers)
    kept = await client.post(CUSTOMERS, json=customer_body(contract="C-1"), headers=admin.headers)
    await client.patch(f"/api/v1/custom-fields/{field['id']}", json={"required": True}, headers=admin.headers)

    # A record from before may still be updated without the value ...
    updated = await client.patch(
        f"{CUSTOMERS}/{old.json()['id']}", json={"customFields": {"note": "x"}}, headers=admin.headers
    )
    assert updated.status_code == 200, updated.text
    # ... but a value, once there, cannot be removed, and new records need one.
    removed = await client.patch(
        f"{CUSTOMERS}/{kept.json()['id']}", json={"customFields": {"contract": None}}, headers=admin.headers
    )
    assert removed.status_code == 400
    assert (await client.post(CUSTOMERS, json=customer_body(), headers=admin.headers)).status_code == 400


# --- the portal ------------------------------------------------------------------------------------------


async def test_portal_responses_do_not_show_repair_custom_fields(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "repair", "internal_note", "text")
    await define(client, admin, "customer", "credit_risk", "boolean")
    customer = await make_customer(
        app, sessionmaker, portal_password="portal-pass-123", custom_fields={"credit_risk": True}
    )
    repair = await make_repair(
        client, admin, customer.id, customFields={"internal_note": "Rude on the phone"}
    )
    assert repair["customFields"] == {"internal_note": "Rude on the phone"}

    listed = await client.get("/api/v1/customer/repairs", headers=customer.headers)
    detail = await client.get(f"/api/v1/customer/repairs/{repair['id']}", headers=customer.headers)
    profile = await client.get("/api/v1/customer/profile", headers=customer.headers)

    assert listed.status_code == detail.status_code == profile.status_code == 200
    assert [item["customFields"] for item in listed.json()["items"]] == [{}]
    assert detail.json()["customFields"] == {}
    assert "customFields" not in profile.json()
    for answer in (listed, detail, profile):
        assert "Rude on the phone" not in answer.text
        assert "credit_risk" not in answer.text
    # The values are still stored and staff still see them.
    assert await stored_custom_fields(sessionmaker, Repair, repair["id"]) == {
        "internal_note": "Rude on the phone"
    }
    staff_view = await client.get(f"{REPAIRS}/{repair['id']}", headers=admin.headers)
    assert staff_view.json()["customFields"] == {"internal_note": "Rude on the phone"}


async def test_an_erasure_removes_the_customers_custom_field_values(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "customer", "home_address_note", "text")
    leaving = await client.post(
        CUSTOMERS, json=customer_body(home_address_note="Key under the mat"), headers=admin.headers
    )
    staying = await client.post(
        CUSTOMERS, json=customer_body(home_address_note="Ring twice"), headers=admin.headers
    )
    assert leaving.status_code == staying.status_code == 201

    async with transaction(sessionmaker) as session:
        await anonymise_customer(session, uuid.UUID(leaving.json()["id"]))

    assert await stored_custom_fields(sessionmaker, Customer, leaving.json()["id"]) == {}
    assert await stored_custom_fields(sessionmaker, Customer, staying.json()["id"]) == {
        "home_address_note": "Ring twice"
    }
    [*_, erased] = await events_named(sessionmaker, CUSTOMER_UPDATED)
    assert erased.payload["id"] == leaving.json()["id"]
    assert "customFields" in erased.payload["changedFields"]


async def _record_with_values(client, app, sessionmaker, admin, entity: str, values: dict[str, Any]):
    """A customer or repair created with ``values``: (answer, collection URL, model)."""
    if entity == "customer":
        response = await client.post(CUSTOMERS, json=customer_body(**values), headers=admin.headers)
        assert response.status_code == 201, response.text
        return response.json(), CUSTOMERS, Customer
    customer = await make_customer(app, sessionmaker)
    return await make_repair(client, admin, customer.id, customFields=values), REPAIRS, Repair
