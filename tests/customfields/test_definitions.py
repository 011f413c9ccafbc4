"""``/api/v1/custom-fields`` (issue 5, item 9): admins define custom fields, every staff role reads them, and
the rules that keep stored values valid (immutable key, type and option changes only while unused)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from fixdesk.customers.models import Customer
from fixdesk.customfields.models import CustomFieldDefinition
from fixdesk.customfields.service import MAX_DEFINITIONS_PER_ENTITY
from fixdesk.db import transaction
from tests.customfields.helpers import (
    CUSTOM_FIELDS,
    CUSTOMERS,
    REPAIRS,
    TIERS,
    define,
    errors_by_field,
    stored_custom_fields,
    stored_definition,
)
from tests.factories import count_rows, make_customer, make_repair, make_user, repair_body


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"entity": "customer", "key": "contract", "label": "Contract", "type": "text"}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


# --- create, read, list ----------------------------------------------------------------------------------


async def test_admin_defines_a_field_and_gets_it_back(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.post(
        CUSTOM_FIELDS,
        json={
            "entity": "repair",
            "key": "water_damage",
            "label": "Water damage",
            "type": "select",
            "options": ["none", "light", "severe"],
            "required": True,
            "position": 3,
            "description": "Seen under the indicator stickers",
        },
        headers=admin.headers,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert {key: value for key, value in created.items() if key not in ("id", "createdAt", "updatedAt")} == {
        "entity": "repair",
        "key": "water_damage",
        "label": "Water damage",
        "type": "select",
        "options": ["none", "light", "severe"],
        "required": True,
        "isActive": True,
        "position": 3,
        "description": "Seen under the indicator stickers",
    }
    stored = await stored_definition(sessionmaker, created["id"])
    assert (stored.entity, stored.key, stored.field_type, stored.options) == (
        "repair",
        "water_damage",
        "select",
        ["none", "light", "severe"],
    )
    fetched = await client.get(f"{CUSTOM_FIELDS}/{created['id']}", headers=admin.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_snake_case_input_is_accepted(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        CUSTOM_FIELDS,
        json={"entity": "customer", "key": "vat_number", "label": "VAT number", "type": "text"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    patched = await client.patch(
        f"{CUSTOM_FIELDS}/{response.json()['id']}", json={"is_active": False}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["isActive"] is False


async def test_every_staff_role_lists_fields_by_entity_and_position(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "customer", "zeta", "text", position=2)
    await define(client, admin, "customer", "alpha", "number", position=1)
    await define(client, admin, "customer", "beta", "boolean", position=1)
    await define(client, admin, "repair", "bench", "text", position=0)

    for role in ("admin", "manager", "technician", "agent"):
        reader = admin if role == "admin" else await make_user(app, sessionmaker, role)
        customer_fields = await client.get(f"{CUSTOM_FIELDS}?entity=customer", headers=reader.headers)
        assert customer_fields.status_code == 200, (role, customer_fields.text)
        page = customer_fields.json()
        # Equal positions fall back to the key, so the order is stable.
        assert [item["key"] for item in page["items"]] == ["alpha", "beta", "zeta"]
        assert (page["total"], page["page"], page["pageSize"], page["totalPages"]) == (3, 1, 20, 1)

    everything = (await client.get(CUSTOM_FIELDS, headers=admin.headers)).json()
    assert [(item["entity"], item["key"]) for item in everything["items"]] == [
        ("customer", "alpha"),
        ("customer", "beta"),
        ("customer", "zeta"),
        ("repair", "bench"),
    ]
    repair_fields = (await client.get(f"{CUSTOM_FIELDS}?entity=repair", headers=admin.headers)).json()
    assert [item["key"] for item in repair_fields["items"]] == ["bench"]
    paged = (await client.get(f"{CUSTOM_FIELDS}?pageSize=2&page=2", headers=admin.headers)).json()
    assert [item["key"] for item in paged["items"]] == ["zeta", "bench"]
    assert (await client.get(f"{CUSTOM_FIELDS}?entity=invoice", headers=admin.headers)).status_code == 400


async def test_only_admins_change_definitions(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "customer", "contract", "text")
    customer = await make_customer(app, sessionmaker, portal_password="portal-pass-123")

    for role in ("manager", "technician", "agent"):
        staff = await make_user(app, sessionmaker, role)
        created = await client.post(CUSTOM_FIELDS, json=valid_body(key=f"by_{role}"), headers=staff.headers)
        patched = await client.patch(
            f"{CUSTOM_FIELDS}/{field['id']}", json={"label": "Hacked"}, headers=staff.headers
        )
        deleted = await client.delete(f"{CUSTOM_FIELDS}/{field['id']}", headers=staff.headers)
        assert [created.status_code, patched.status_code, deleted.status_code] == [403, 403, 403], role
        assert "custom_fields:manage" in created.json()["detail"]
    assert (await client.get(CUSTOM_FIELDS, headers=customer.headers)).status_code == 403
    assert (await client.get(CUSTOM_FIELDS)).status_code == 401

    assert await count_rows(sessionmaker, CustomFieldDefinition) == 1
    stored = await stored_definition(sessionmaker, field["id"])
    assert (stored.label, stored.is_active) == ("Contract", True)


async def test_a_key_is_unique_per_entity(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "customer", "contract", "text")

    duplicate = await client.post(CUSTOM_FIELDS, json=valid_body(type="number"), headers=admin.headers)
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["code"] == "CONFLICT"
    assert "contract" in duplicate.json()["detail"]
    assert await count_rows(sessionmaker, CustomFieldDefinition) == 1

    # The same key on the other entity is another field.
    await define(client, admin, "repair", "contract", "number")
    assert await count_rows(sessionmaker, CustomFieldDefinition) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "select"}, "options"),
        ({"type": "select", "options": []}, "options"),
        ({"type": "select", "options": ["gold", "silver", "gold"]}, "options"),
        ({"type": "select", "options": ["gold", ""]}, "options.1"),
        ({"type": "text", "options": ["a"]}, "options"),
        ({"type": "boolean", "options": []}, "options"),
        ({"type": "colour"}, "type"),
        ({"type": None}, "type"),
        ({"key": "Contract"}, "key"),
        ({"key": "1st_visit"}, "key"),
        ({"key": "contract-no"}, "key"),
        ({"key": "_contract"}, "key"),
        ({"key": "k" * 51}, "key"),
        ({"key": None}, "key"),
        ({"label": ""}, "label"),
        ({"label": "L" * 101}, "label"),
        ({"entity": "invoice"}, "entity"),
        ({"position": -1}, "position"),
        ({"description": "d" * 501}, "description"),
        ({"isActive": False}, "isActive"),
    ],
)
async def test_invalid_definitions_are_400_and_create_nothing(client, app, sessionmaker, overrides, field):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(CUSTOM_FIELDS, json=valid_body(**overrides), headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in errors_by_field(response), response.text
    assert await count_rows(sessionmaker, CustomFieldDefinition) == 0


async def test_a_fifty_character_key_is_fine(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "customer", "k" * 50, "text")
    assert field["key"] == "k" * 50


async def test_an_entity_holds_at_most_a_hundred_fields(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    async with transaction(sessionmaker) as session:
        session.add_all(
            CustomFieldDefinition(entity="repair", key=f"field_{index}", label="F", field_type="text")
            for index in range(MAX_DEFINITIONS_PER_ENTITY)
        )

    refused = await client.post(CUSTOM_FIELDS, json=valid_body(entity="repair"), headers=admin.headers)

    assert refused.status_code == 409, refused.text
    assert "at most 100" in refused.json()["detail"]
    assert await count_rows(sessionmaker, CustomFieldDefinition) == MAX_DEFINITIONS_PER_ENTITY
    # The limit is per entity.
    await define(client, admin, "customer", "contract", "text")


async def test_unknown_ids_are_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    missing = f"{CUSTOM_FIELDS}/{uuid.uuid4()}"
    assert (await client.get(missing, headers=admin.headers)).status_code == 404
    assert (await client.patch(missing, json={"label": "X"}, headers=admin.headers)).status_code == 404
    assert (await client.delete(missing, headers=admin.headers)).status_code == 404


# --- change ----------------------------------------------------------------------------------------------


async def test_patch_changes_only_what_is_sent(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(
        client, admin, "customer", "tier", "select", options=TIERS, description="Loyalty", position=4
    )

    response = await client.patch(
        f"{CUSTOM_FIELDS}/{field['id']}",
        json={"label": "Loyalty tier", "required": True, "options": [*TIERS, "platinum"]},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["label"] == "Loyalty tier"
    assert changed["required"] is True
    assert changed["options"] == ["gold", "silver", "none", "platinum"]
    assert (changed["position"], changed["description"], changed["type"]) == (4, "Loyalty", "select")
    cleared = await client.patch(
        f"{CUSTOM_FIELDS}/{field['id']}", json={"description": None}, headers=admin.headers
    )
    assert cleared.json()["description"] is None
    stored = await stored_definition(sessionmaker, field["id"])
    assert (stored.label, stored.required, stored.description) == ("Loyalty tier", True, None)
    assert stored.options == ["gold", "silver", "none", "platinum"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "renamed"}, "key"),
        ({"entity": "repair"}, "entity"),
        ({"label": None}, "label"),
        ({"type": None}, "type"),
        ({"required": None}, "required"),
        ({"position": None}, "position"),
        ({"isActive": None}, "isActive"),
        ({"options": []}, "options"),
        ({"options": ["gold", "gold"]}, "options"),
        ({"type": "text", "options": ["gold"]}, "options"),
        ({"type": "colour"}, "type"),
    ],
)
async def test_invalid_patches_are_400_and_change_nothing(client, app, sessionmaker, body, field):
    admin = await make_user(app, sessionmaker, "admin")
    definition = await define(client, admin, "customer", "tier", "select", options=TIERS)

    response = await client.patch(f"{CUSTOM_FIELDS}/{definition['id']}", json=body, headers=admin.headers)

    assert response.status_code == 400, response.text
    assert field in errors_by_field(response), response.text
    stored = await stored_definition(sessionmaker, definition["id"])
    assert (stored.entity, stored.key, stored.label, stored.field_type) == (
        "customer",
        "tier",
        "Tier",
        "select",
    )
    assert (stored.options, stored.required, stored.is_active) == (TIERS, False, True)


async def test_type_changes_only_while_no_record_holds_a_value(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "customer", "floor", "number")
    other = await define(client, admin, "customer", "note", "text")
    url = f"{CUSTOM_FIELDS}/{field['id']}"
    # A customer holding a value of another field does not block the change.
    customer = await client.post(
        CUSTOMERS,
        json={"firstName": "Ana", "lastName": "Silva", "customFields": {"note": "Back entrance"}},
        headers=admin.headers,
    )
    assert customer.status_code == 201, customer.text

    # Unused: the type may change, to a select with options, and back (which drops the options).
    to_select = await client.patch(url, json={"type": "select", "options": ["1", "2"]}, headers=admin.headers)
    assert to_select.status_code == 200, to_select.text
    assert to_select.json()["options"] == ["1", "2"]
    needs_options = await client.patch(
        f"{CUSTOM_FIELDS}/{other['id']}", json={"type": "select"}, headers=admin.headers
    )
    assert needs_options.status_code == 400
    assert "options" in errors_by_field(needs_options)
    back = await client.patch(url, json={"type": "number"}, headers=admin.headers)
    assert back.status_code == 200, back.text
    assert back.json()["options"] is None

    holder = await client.post(
        CUSTOMERS,
        json={"firstName": "Bo", "lastName": "Berg", "customFields": {"floor": 3}},
        headers=admin.headers,
    )
    assert holder.status_code == 201, holder.text

    refused = await client.patch(url, json={"type": "text", "label": "Floor name"}, headers=admin.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "CONFLICT"
    assert "1 customer record" in refused.json()["detail"]
    stored = await stored_definition(sessionmaker, field["id"])
    assert (stored.field_type, stored.label) == ("number", "Floor")
    # Keeping the type is fine.
    assert (await client.patch(url, json={"type": "number", "label": "Level"}, headers=admin.headers)).json()[
        "label"
    ] == "Level"

    # Once the value is removed the type may change again.
    removed = await client.patch(
        f"{CUSTOMERS}/{holder.json()['id']}", json={"customFields": {"floor": None}}, headers=admin.headers
    )
    assert removed.status_code == 200, removed.text
    assert (await client.patch(url, json={"type": "text"}, headers=admin.headers)).status_code == 200


async def test_type_change_counts_records_of_the_fields_own_entity(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    repair_field = await define(client, admin, "repair", "floor", "number")
    await define(client, admin, "customer", "floor", "number")
    customer = await make_customer(app, sessionmaker, custom_fields={"floor": 2})

    # A customer's value does not pin the repair field's type ...
    changed = await client.patch(
        f"{CUSTOM_FIELDS}/{repair_field['id']}", json={"type": "text"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    # ... but a repair's value does.
    await make_repair(client, admin, customer.id, customFields={"floor": "ground"})
    refused = await client.patch(
        f"{CUSTOM_FIELDS}/{repair_field['id']}", json={"type": "number"}, headers=admin.headers
    )
    assert refused.status_code == 409, refused.text


async def test_removing_a_select_option_in_use_is_refused(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "repair", "tier", "select", options=TIERS)
    customer = await make_customer(app, sessionmaker)
    await make_repair(client, admin, customer.id, customFields={"tier": "gold"})
    url = f"{CUSTOM_FIELDS}/{field['id']}"

    refused = await client.patch(url, json={"options": ["silver"]}, headers=admin.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["optionsInUse"] == ["gold"]
    assert (await stored_definition(sessionmaker, field["id"])).options == TIERS

    # Unused options can go, new ones can come, and the order can change.
    changed = await client.patch(url, json={"options": ["platinum", "gold"]}, headers=admin.headers)
    assert changed.status_code == 200, changed.text
    assert (await stored_definition(sessionmaker, field["id"])).options == ["platinum", "gold"]


# --- deactivate ------------------------------------------------------------------------------------------


async def test_delete_deactivates_and_keeps_the_stored_values(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "customer", "contract", "text", required=True)
    created = await client.post(
        CUSTOMERS,
        json={"firstName": "Ana", "lastName": "Silva", "customFields": {"contract": "C-17"}},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]

    deleted = await client.delete(f"{CUSTOM_FIELDS}/{field['id']}", headers=admin.headers)

    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["isActive"] is False
    assert await count_rows(sessionmaker, CustomFieldDefinition) == 1
    # Gone from the default list, still there on request and by id.
    assert (await client.get(CUSTOM_FIELDS, headers=admin.headers)).json()["total"] == 0
    listed = (await client.get(f"{CUSTOM_FIELDS}?includeInactive=true", headers=admin.headers)).json()
    assert [item["key"] for item in listed["items"]] == ["contract"]
    # The value is still returned and can still be filtered on ...
    customer = (await client.get(f"{CUSTOMERS}/{customer_id}", headers=admin.headers)).json()
    assert customer["customFields"] == {"contract": "C-17"}
    found = await client.get(f"{CUSTOMERS}?customFields.contract=C-17", headers=admin.headers)
    assert [item["id"] for item in found.json()["items"]] == [customer_id]
    # ... a deactivated required field is no longer required ...
    plain = await client.post(CUSTOMERS, json={"firstName": "Bo", "lastName": "Berg"}, headers=admin.headers)
    assert plain.status_code == 201, plain.text
    # ... no new value can be written ...
    written = await client.patch(
        f"{CUSTOMERS}/{customer_id}", json={"customFields": {"contract": "C-18"}}, headers=admin.headers
    )
    assert written.status_code == 400
    assert errors_by_field(written) == {"customFields.contract": "this custom field is deactivated"}
    assert await stored_custom_fields(sessionmaker, Customer, customer_id) == {"contract": "C-17"}
    # ... and the key stays taken.
    again = await client.post(CUSTOM_FIELDS, json=valid_body(), headers=admin.headers)
    assert again.status_code == 409
    assert "isActive" in again.json()["detail"]
    # Deleting twice is harmless; a null still removes the stored value.
    assert (await client.delete(f"{CUSTOM_FIELDS}/{field['id']}", headers=admin.headers)).status_code == 200
    removed = await client.patch(
        f"{CUSTOMERS}/{customer_id}", json={"customFields": {"contract": None}}, headers=admin.headers
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["customFields"] == {}


async def test_a_reactivated_field_takes_values_again(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    field = await define(client, admin, "repair", "bay", "number")
    await client.delete(f"{CUSTOM_FIELDS}/{field['id']}", headers=admin.headers)
    customer = await make_customer(app, sessionmaker)
    refused = await client.post(
        REPAIRS, json=repair_body(customer.id, customFields={"bay": 4}), headers=admin.headers
    )
    assert refused.status_code == 400

    reactivated = await client.patch(
        f"{CUSTOM_FIELDS}/{field['id']}", json={"isActive": True}, headers=admin.headers
    )

    assert reactivated.status_code == 200, reactivated.text
    assert reactivated.json()["isActive"] is True
    repair = await make_repair(client, admin, customer.id, customFields={"bay": 4})
    assert repair["customFields"] == {"bay": 4}
