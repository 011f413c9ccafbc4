"""Brands, repair types and part types (issue 5, item 1): create, read, change, soft delete, unique names
regardless of case, validation that changes nothing, who may write, and the list filters."""

from __future__ import annotations

import uuid

import pytest

from fixdesk.catalog.models import Brand, PartType, RepairType
from tests.catalog.helpers import API, brand, field_errors, part_type, repair_type
from tests.factories import count_rows, make_user

# --- brands -------------------------------------------------------------------------------------------------


async def test_brand_lifecycle_create_get_rename_and_soft_delete(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = await brand(client, admin, "  Apple   Inc ")
    assert created["name"] == "Apple Inc"
    assert created["slug"] == "apple inc"
    assert created["isActive"] is True

    fetched = await client.get(f"{API}/brands/{created['id']}", headers=admin.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created

    renamed = await client.patch(
        f"{API}/brands/{created['id']}", json={"name": "Apple"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Apple"
    assert renamed.json()["slug"] == "apple"

    deleted = await client.delete(f"{API}/brands/{created['id']}", headers=admin.headers)
    assert deleted.status_code == 200
    assert deleted.json()["isActive"] is False
    # A soft delete: the row stays, deactivated.
    async with sessionmaker() as session:
        row = await session.get(Brand, uuid.UUID(created["id"]))
        assert row is not None
        assert row.is_active is False
    again = await client.get(f"{API}/brands/{created['id']}", headers=admin.headers)
    assert again.json()["isActive"] is False


async def test_brand_names_are_unique_regardless_of_case(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await brand(client, admin, "Samsung")
    other = await brand(client, admin, "Google")

    duplicate = await client.post(f"{API}/brands", json={"name": "sAMSUNG "}, headers=admin.headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "CONFLICT"
    assert duplicate.json()["field"] == "name"
    rename = await client.patch(
        f"{API}/brands/{other['id']}", json={"name": "samsung"}, headers=admin.headers
    )
    assert rename.status_code == 409
    assert await count_rows(sessionmaker, Brand) == 2
    async with sessionmaker() as session:
        assert (await session.get(Brand, uuid.UUID(other["id"]))).name == "Google"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Acme", "slug": "a"}, "slug"),
    ],
)
async def test_bad_brand_input_is_a_400_and_writes_nothing(client, app, sessionmaker, body, field):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(f"{API}/brands", json=body, headers=admin.headers)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert await count_rows(sessionmaker, Brand) == 0


async def test_null_brand_name_in_an_update_is_a_400(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = await brand(client, admin, "Nokia")
    response = await client.patch(f"{API}/brands/{created['id']}", json={"name": None}, headers=admin.headers)
    assert response.status_code == 400
    assert field_errors(response) == {"name"}
    async with sessionmaker() as session:
        assert (await session.get(Brand, uuid.UUID(created["id"]))).name == "Nokia"


async def test_unknown_brand_is_a_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    missing = uuid.uuid4()
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"name": "X"}} if method == "patch" else {}
        response = await getattr(client, method)(f"{API}/brands/{missing}", headers=admin.headers, **kwargs)
        assert response.status_code == 404, method
        assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("role", ["technician", "agent"])
async def test_only_admins_and_managers_write_the_catalog(client, app, sessionmaker, role):
    admin = await make_user(app, sessionmaker, "admin")
    manager = await make_user(app, sessionmaker, "manager")
    reader = await make_user(app, sessionmaker, role)
    created = await brand(client, manager, "Motorola")

    for method, path, body in (
        ("post", "brands", {"name": "Sony"}),
        ("patch", f"brands/{created['id']}", {"name": "Moto"}),
        ("delete", f"brands/{created['id']}", None),
        ("post", "repair-types", {"name": "Battery"}),
        ("post", "part-types", {"name": "Battery cell"}),
    ):
        kwargs = {"json": body} if body is not None else {}
        response = await getattr(client, method)(f"{API}/{path}", headers=reader.headers, **kwargs)
        assert response.status_code == 403, (method, path)
        assert response.json()["required"] == "catalog:write"
    # Reading is for every staff role.
    listed = await client.get(f"{API}/brands", headers=reader.headers)
    assert listed.status_code == 200
    assert [item["name"] for item in listed.json()["items"]] == ["Motorola"]
    assert await count_rows(sessionmaker, Brand) == 1
    assert await count_rows(sessionmaker, RepairType) == 0
    assert (await client.get(f"{API}/brands", headers=admin.headers)).status_code == 200


async def test_brand_list_pages_searches_and_filters_by_active(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    names = ["Xiaomi", "Apple", "OnePlus", "Huawei", "Asus"]
    ids = {name: (await brand(client, admin, name))["id"] for name in names}
    await client.delete(f"{API}/brands/{ids['Huawei']}", headers=admin.headers)

    first = (await client.get(f"{API}/brands?pageSize=2", headers=admin.headers)).json()
    assert [item["name"] for item in first["items"]] == ["Apple", "Asus"]
    assert (first["total"], first["page"], first["pageSize"], first["totalPages"]) == (5, 1, 2, 3)
    third = (await client.get(f"{API}/brands?pageSize=2&page=3", headers=admin.headers)).json()
    assert [item["name"] for item in third["items"]] == ["Xiaomi"]

    search = (await client.get(f"{API}/brands?search=US", headers=admin.headers)).json()
    assert [item["name"] for item in search["items"]] == ["Asus", "OnePlus"]
    active = (await client.get(f"{API}/brands?isActive=true", headers=admin.headers)).json()
    assert "Huawei" not in [item["name"] for item in active["items"]]
    assert active["total"] == 4
    inactive = (await client.get(f"{API}/brands?isActive=false", headers=admin.headers)).json()
    assert [item["name"] for item in inactive["items"]] == ["Huawei"]


# --- repair types and part types -----------------------------------------------------------------------------


async def test_repair_type_lifecycle_and_unique_name(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    created = await client.post(
        f"{API}/repair-types",
        json={"name": "Screen replacement", "description": "Front glass and display", "defaultMinutes": 45},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["slug"], body["defaultMinutes"], body["isActive"]) == (
        "Screen replacement",
        "screen replacement",
        45,
        True,
    )
    duplicate = await client.post(
        f"{API}/repair-types", json={"name": "SCREEN replacement"}, headers=manager.headers
    )
    assert duplicate.status_code == 409

    changed = await client.patch(
        f"{API}/repair-types/{body['id']}",
        json={"defaultMinutes": 30, "description": None},
        headers=manager.headers,
    )
    assert changed.status_code == 200
    assert (changed.json()["defaultMinutes"], changed.json()["description"]) == (30, None)
    deleted = await client.delete(f"{API}/repair-types/{body['id']}", headers=manager.headers)
    assert (deleted.status_code, deleted.json()["isActive"]) == (200, False)
    assert await count_rows(sessionmaker, RepairType) == 1


@pytest.mark.parametrize(
    "body",
    [{"name": "Battery", "defaultMinutes": 0}, {"name": "Battery", "defaultMinutes": "soon"}, {"name": " "}],
)
async def test_bad_repair_type_input_writes_nothing(client, app, sessionmaker, body):
    manager = await make_user(app, sessionmaker, "manager")
    response = await client.post(f"{API}/repair-types", json=body, headers=manager.headers)
    assert response.status_code == 400
    assert await count_rows(sessionmaker, RepairType) == 0


async def test_part_types_keep_quality_and_warranty_and_filter_by_quality(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    oem = await part_type(client, admin, "OEM screen", "original")
    await part_type(client, admin, "Premium screen", "aftermarket_premium")
    default = await client.post(f"{API}/part-types", json={"name": "Generic screen"}, headers=admin.headers)
    assert default.status_code == 201
    assert (default.json()["quality"], default.json()["warrantyMonths"]) == ("aftermarket_standard", 3)
    assert (oem["quality"], oem["warrantyMonths"]) == ("original", 12)

    originals = (await client.get(f"{API}/part-types?quality=original", headers=admin.headers)).json()
    assert [item["name"] for item in originals["items"]] == ["OEM screen"]
    screens = (await client.get(f"{API}/part-types?search=screen", headers=admin.headers)).json()
    assert screens["total"] == 3

    bad = [
        {"name": "Cell", "warrantyMonths": 121},
        {"name": "Cell", "warrantyMonths": -1},
        {"name": "Cell", "quality": "refurbished"},
    ]
    for body in bad:
        response = await client.post(f"{API}/part-types", json=body, headers=admin.headers)
        assert response.status_code == 400, body
    assert (await client.get(f"{API}/part-types?quality=shiny", headers=admin.headers)).status_code == 400
    assert await count_rows(sessionmaker, PartType) == 3

    changed = await client.patch(
        f"{API}/part-types/{oem['id']}",
        json={"warrantyMonths": 24, "quality": "aftermarket_premium"},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    assert (changed.json()["warrantyMonths"], changed.json()["quality"]) == (24, "aftermarket_premium")
    deleted = await client.delete(f"{API}/part-types/{oem['id']}", headers=admin.headers)
    assert deleted.json()["isActive"] is False
    async with sessionmaker() as session:
        assert (await session.get(PartType, uuid.UUID(oem["id"]))).is_active is False


async def test_repair_type_helper_builds_through_the_api(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = await repair_type(client, admin, "Battery replacement")
    listed = (await client.get(f"{API}/repair-types?search=battery", headers=admin.headers)).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert (await client.get(f"{API}/repair-types?search=screen", headers=admin.headers)).json()["total"] == 0
