"""Device models (issue 5, item 1): unique per brand, validated fields, embedded brand, the list filters,
search over brand, name and model number, and sorting."""

from __future__ import annotations

import uuid

import pytest

from fixdesk.catalog.models import DeviceModel
from tests.catalog.helpers import API, brand, device, field_errors
from tests.factories import count_rows, make_user
from tests.support.clock import FIXED_NOW

# The latest release year accepted is next year: the tests run at a fixed moment (tests/support/clock.py).
pytestmark = pytest.mark.usefixtures("fixed_clock")
NEXT_YEAR = FIXED_NOW.year + 1


async def test_create_answers_the_model_with_its_brand(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    response = await client.post(
        f"{API}/device-models",
        json={
            "brandId": apple["id"],
            "name": "iPhone 15 Pro",
            "modelNumber": "A2848",
            "releaseYear": 2023,
            "deviceType": "phone",
            "screenSize": "6.1",
            "tierLevel": 1,
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["brand"] == {"id": apple["id"], "name": "Apple"}
    assert body["brandId"] == apple["id"]
    assert (body["name"], body["modelNumber"], body["releaseYear"]) == ("iPhone 15 Pro", "A2848", 2023)
    assert (body["deviceType"], body["screenSize"], body["tierLevel"], body["isActive"]) == (
        "phone",
        6.1,
        1,
        True,
    )
    async with sessionmaker() as session:
        row = await session.get(DeviceModel, uuid.UUID(body["id"]))
        assert row.search_text == "apple iphone 15 pro a2848"
    fetched = await client.get(f"{API}/device-models/{body['id']}", headers=admin.headers)
    assert fetched.json() == body


async def test_names_are_unique_within_a_brand_only(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    samsung = await brand(client, admin, "Samsung")
    await device(client, admin, apple["id"], "Galaxy Tab")
    # The same name in another brand is another device.
    other = await device(client, admin, samsung["id"], "Galaxy Tab")

    duplicate = await client.post(
        f"{API}/device-models",
        json={"brandId": apple["id"], "name": "galaxy TAB", "deviceType": "tablet"},
        headers=admin.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "name"
    # Moving a model into a brand that has the name is a conflict too.
    moved = await client.patch(
        f"{API}/device-models/{other['id']}", json={"brandId": apple["id"]}, headers=admin.headers
    )
    assert moved.status_code == 409
    assert await count_rows(sessionmaker, DeviceModel) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"releaseYear": 1969}, "releaseYear"),
        ({"releaseYear": NEXT_YEAR + 1}, "releaseYear"),
        ({"deviceType": "toaster"}, "deviceType"),
        ({"screenSize": 0}, "screenSize"),
        ({"screenSize": "100.01"}, "screenSize"),
        ({"screenSize": "6.123"}, "screenSize"),
        ({"tierLevel": 4}, "tierLevel"),
        ({"tierLevel": 0}, "tierLevel"),
        ({"name": ""}, "name"),
        ({"brandId": "not-a-uuid"}, "brandId"),
        ({"searchText": "x"}, "searchText"),
    ],
)
async def test_bad_device_model_input_is_a_400_and_writes_nothing(
    client, app, sessionmaker, overrides, field
):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    body = {"brandId": apple["id"], "name": "iPhone 12", "deviceType": "phone", "releaseYear": 2020}
    body.update(overrides)
    response = await client.post(f"{API}/device-models", json=body, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert field in field_errors(response)
    assert await count_rows(sessionmaker, DeviceModel) == 0


async def test_release_year_bounds_are_inclusive(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    oldest = await device(client, admin, apple["id"], "Lisa", releaseYear=1970, deviceType="desktop")
    newest = await device(client, admin, apple["id"], "Next", releaseYear=NEXT_YEAR, screenSize="100")
    assert (oldest["releaseYear"], newest["releaseYear"], newest["screenSize"]) == (1970, NEXT_YEAR, 100.0)


async def test_an_unknown_brand_is_a_400_naming_brand_id(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        f"{API}/device-models",
        json={"brandId": str(uuid.uuid4()), "name": "Ghost", "deviceType": "phone"},
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert field_errors(response) == {"brandId"}
    assert await count_rows(sessionmaker, DeviceModel) == 0


async def test_update_moves_renames_and_keeps_search_text_in_step(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    google = await brand(client, admin, "Google")
    created = await device(client, admin, apple["id"], "Pixel 8", modelNumber="G9BQD")

    moved = await client.patch(
        f"{API}/device-models/{created['id']}",
        json={"brandId": google["id"], "tierLevel": 1, "screenSize": "6.2", "modelNumber": None},
        headers=admin.headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["brand"] == {"id": google["id"], "name": "Google"}
    assert (moved.json()["tierLevel"], moved.json()["screenSize"], moved.json()["modelNumber"]) == (
        1,
        6.2,
        None,
    )
    # Renaming the brand rewrites the search text of its models.
    await client.patch(f"{API}/brands/{google['id']}", json={"name": "Alphabet"}, headers=admin.headers)
    async with sessionmaker() as session:
        row = await session.get(DeviceModel, uuid.UUID(created["id"]))
        assert row.search_text == "alphabet pixel 8"
    found = (await client.get(f"{API}/device-models?search=alphabet", headers=admin.headers)).json()
    assert [item["id"] for item in found["items"]] == [created["id"]]

    for body, field in (
        ({"name": None}, "name"),
        ({"tierLevel": None}, "tierLevel"),
        ({"brandId": str(uuid.uuid4())}, "brandId"),
    ):
        response = await client.patch(
            f"{API}/device-models/{created['id']}", json=body, headers=admin.headers
        )
        assert response.status_code == 400, body
        assert field_errors(response) == {field}
    async with sessionmaker() as session:
        row = await session.get(DeviceModel, uuid.UUID(created["id"]))
        assert (row.name, row.tier_level, row.brand_id) == ("Pixel 8", 1, uuid.UUID(google["id"]))


async def test_delete_deactivates_and_the_filter_finds_it(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    kept = await device(client, admin, apple["id"], "iPhone 14")
    gone = await device(client, admin, apple["id"], "iPhone 6")
    response = await client.delete(f"{API}/device-models/{gone['id']}", headers=admin.headers)
    assert (response.status_code, response.json()["isActive"]) == (200, False)
    active = (await client.get(f"{API}/device-models?isActive=true", headers=admin.headers)).json()
    assert [item["id"] for item in active["items"]] == [kept["id"]]
    everything = (await client.get(f"{API}/device-models", headers=admin.headers)).json()
    assert everything["total"] == 2
    assert await count_rows(sessionmaker, DeviceModel) == 2


async def _catalog(client, admin) -> dict[str, dict]:
    apple = await brand(client, admin, "Apple")
    samsung = await brand(client, admin, "Samsung")
    specs = [
        (apple, "iPhone 15 Pro", "phone", 2023, 1, "A2848"),
        (apple, "iPhone SE (3rd generation)", "phone", 2022, 3, "A2595"),
        (apple, "iPad Air (5th generation)", "tablet", 2022, 2, "A2588"),
        (apple, "MacBook Air M2", "laptop", 2022, 1, "A2681"),
        (samsung, "Galaxy S23", "phone", 2023, 1, "SM-S911B"),
        (samsung, "Galaxy A14", "phone", 2023, 3, "SM-A145F"),
        (samsung, "Galaxy Tab S6 Lite", "tablet", 2020, 3, "SM-P610"),
    ]
    devices = {}
    for owner, name, kind, year, tier, number in specs:
        devices[name] = await device(
            client,
            admin,
            owner["id"],
            name,
            deviceType=kind,
            releaseYear=year,
            tierLevel=tier,
            modelNumber=number,
        )
    return {"apple": apple, "samsung": samsung, **devices}


async def _names(client, admin, query: str) -> list[str]:
    response = await client.get(f"{API}/device-models?{query}", headers=admin.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_list_filters_search_and_sort(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    catalog = await _catalog(client, admin)
    technician = await make_user(app, sessionmaker, "technician")

    assert await _names(client, admin, f"brandId={catalog['samsung']['id']}") == [
        "Galaxy A14",
        "Galaxy S23",
        "Galaxy Tab S6 Lite",
    ]
    assert await _names(client, admin, "deviceType=tablet") == [
        "Galaxy Tab S6 Lite",
        "iPad Air (5th generation)",
    ]
    assert await _names(client, admin, "tierLevel=3&deviceType=phone") == [
        "Galaxy A14",
        "iPhone SE (3rd generation)",
    ]
    # Names sort regardless of case.
    assert await _names(client, admin, "releaseYear=2022&sortBy=name&sortOrder=desc") == [
        "MacBook Air M2",
        "iPhone SE (3rd generation)",
        "iPad Air (5th generation)",
    ]
    assert await _names(client, admin, "releaseYearFrom=2021&releaseYearTo=2022") == [
        "iPad Air (5th generation)",
        "iPhone SE (3rd generation)",
        "MacBook Air M2",
    ]
    # Search looks in brand, name and model number for every word, in any order and case; LIKE wildcards
    # are literal.
    assert await _names(client, technician, "search=galaxy%20SAMSUNG") == [
        "Galaxy A14",
        "Galaxy S23",
        "Galaxy Tab S6 Lite",
    ]
    assert await _names(client, technician, "search=samsung%20s6") == ["Galaxy Tab S6 Lite"]
    assert await _names(client, admin, "search=galaxy%20sm-s") == ["Galaxy S23"]
    assert await _names(client, admin, "search=a2595") == ["iPhone SE (3rd generation)"]
    assert await _names(client, admin, "search=AIR") == ["iPad Air (5th generation)", "MacBook Air M2"]
    assert await _names(client, admin, "search=%25") == []
    # Sorting by release year, newest first, ties by name.
    by_year = await _names(client, admin, "sortBy=releaseYear&sortOrder=desc&pageSize=3")
    assert by_year == ["Galaxy A14", "Galaxy S23", "iPhone 15 Pro"]
    page = (await client.get(f"{API}/device-models?pageSize=3&page=3", headers=admin.headers)).json()
    assert (page["total"], page["totalPages"], len(page["items"])) == (7, 3, 1)
    for query in ("tierLevel=4", "deviceType=toaster", "releaseYear=1900", "sortBy=price"):
        assert (await client.get(f"{API}/device-models?{query}", headers=admin.headers)).status_code == 400, (
            query
        )
