"""The price list (issue 5, item 1): prices unique on device × repair type × part type × quality, validated
references, validity windows, embedded device/brand/types, the list filters, and a price-history row (and
event) for every price change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from fixdesk.catalog.models import PriceHistory, Pricing
from tests.catalog.helpers import (
    API,
    brand,
    device,
    field_errors,
    part_type,
    price,
    price_events,
    repair_type,
)
from tests.factories import count_rows, make_user


async def _setup(client, admin) -> dict:
    apple = await brand(client, admin, "Apple")
    iphone = await device(client, admin, apple["id"], "iPhone 13", tierLevel=1)
    screen = await repair_type(client, admin, "Screen replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    return {"brand": apple, "device": iphone, "repair": screen, "part": oem}


async def _history(sessionmaker, pricing_id: str) -> list[PriceHistory]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(PriceHistory)
            .where(PriceHistory.pricing_id == uuid.UUID(pricing_id))
            .order_by(PriceHistory.created_at, PriceHistory.id)
        )
        return list(rows.scalars())


async def test_create_embeds_the_catalog_rows_and_writes_the_first_history_row(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = await _setup(client, admin)
    response = await client.post(
        f"{API}/pricing",
        json={
            "deviceModelId": rows["device"]["id"],
            "repairTypeId": rows["repair"]["id"],
            "partTypeId": rows["part"]["id"],
            "price": "189.99",
            "cost": "74.50",
            "notes": "Genuine Apple part",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # partQuality defaults to the part type's quality.
    assert (body["partQuality"], body["price"], body["cost"]) == ("original", 189.99, 74.5)
    assert (body["isActive"], body["isEstimated"], body["confidenceScore"], body["validUntil"]) == (
        True,
        False,
        None,
        None,
    )
    assert body["deviceModel"] == {
        "id": rows["device"]["id"],
        "name": "iPhone 13",
        "modelNumber": None,
        "deviceType": "phone",
        "releaseYear": 2021,
        "tierLevel": 1,
        "brand": {"id": rows["brand"]["id"], "name": "Apple"},
    }
    assert body["repairType"] == {"id": rows["repair"]["id"], "name": "Screen replacement"}
    assert body["partType"] == {
        "id": rows["part"]["id"],
        "name": "OEM screen",
        "quality": "original",
        "warrantyMonths": 12,
    }

    [entry] = await _history(sessionmaker, body["id"])
    assert (entry.old_price, entry.new_price, entry.old_cost, entry.new_cost) == (
        None,
        D("189.99"),
        None,
        D("74.50"),
    )
    assert (entry.source, entry.changed_by_id) == ("api", admin.id)
    [event] = await price_events(sessionmaker)
    assert (event["pricingId"], event["oldPrice"], event["newPrice"], event["source"]) == (
        body["id"],
        None,
        189.99,
        "api",
    )

    fetched = await client.get(f"{API}/pricing/{body['id']}", headers=admin.headers)
    assert fetched.json() == body


async def test_a_second_price_for_the_same_four_keys_is_a_409_naming_them(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = await _setup(client, admin)
    keys = (rows["device"]["id"], rows["repair"]["id"], rows["part"]["id"])
    first = await price(client, admin, *keys, "189.99")
    response = await client.post(
        f"{API}/pricing",
        json={
            "deviceModelId": keys[0],
            "repairTypeId": keys[1],
            "partTypeId": keys[2],
            "partQuality": "original",
            "price": "99",
        },
        headers=admin.headers,
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["fields"] == ["deviceModelId", "repairTypeId", "partTypeId", "partQuality"]
    assert problem["existingId"] == first["id"]
    # Another quality of the same part type is another price.
    other = await price(client, admin, *keys, "129.00", partQuality="aftermarket_premium")
    assert other["partQuality"] == "aftermarket_premium"
    assert await count_rows(sessionmaker, Pricing) == 2
    assert await count_rows(sessionmaker, PriceHistory) == 2


async def test_unknown_references_are_a_400_naming_each_field(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = await _setup(client, admin)
    response = await client.post(
        f"{API}/pricing",
        json={
            "deviceModelId": rows["device"]["id"],
            "repairTypeId": str(uuid.uuid4()),
            "partTypeId": str(uuid.uuid4()),
            "price": "10",
        },
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert field_errors(response) == {"repairTypeId", "partTypeId"}
    assert await count_rows(sessionmaker, Pricing) == 0
    assert await count_rows(sessionmaker, PriceHistory) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-5"}, "price"),
        ({"price": "9.999"}, "price"),
        ({"price": 12.5, "cost": "-1"}, "cost"),
        ({"partQuality": "used"}, "partQuality"),
        ({"validFrom": "2030-01-01T00:00:00Z", "validUntil": "2029-01-01T00:00:00Z"}, "validUntil"),
        ({"validFrom": "2030-01-01T00:00:00"}, "validFrom"),
        ({"isEstimated": True}, "isEstimated"),
        ({"confidenceScore": 0.5}, "confidenceScore"),
    ],
)
async def test_bad_price_input_is_a_400_and_writes_nothing(client, app, sessionmaker, overrides, field):
    admin = await make_user(app, sessionmaker, "admin")
    rows = await _setup(client, admin)
    body = {
        "deviceModelId": rows["device"]["id"],
        "repairTypeId": rows["repair"]["id"],
        "partTypeId": rows["part"]["id"],
        "price": "10",
    }
    body.update(overrides)
    response = await client.post(f"{API}/pricing", json=body, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert field in field_errors(response), response.text
    assert await count_rows(sessionmaker, Pricing) == 0
    assert await count_rows(sessionmaker, PriceHistory) == 0


async def test_every_price_change_writes_history_newest_first_with_reason(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin", first_name="Alex", last_name="Admin")
    manager = await make_user(app, sessionmaker, "manager", first_name="Mia", last_name="Manager")
    rows = await _setup(client, admin)
    created = await price(
        client, admin, rows["device"]["id"], rows["repair"]["id"], rows["part"]["id"], "100.00"
    )
    path = f"{API}/pricing/{created['id']}"

    raised = await client.patch(
        path, json={"price": "120.00", "reason": "Supplier raised prices"}, headers=manager.headers
    )
    assert raised.status_code == 200, raised.text
    assert raised.json()["price"] == 120.0
    await client.patch(path, json={"cost": "55.10"}, headers=admin.headers)
    # Changes that touch neither price nor cost write no history.
    await client.patch(path, json={"notes": "Popular", "reason": "ignored"}, headers=admin.headers)
    await client.patch(path, json={"price": "120.00"}, headers=admin.headers)

    history = await _history(sessionmaker, created["id"])
    assert [(h.old_price, h.new_price, h.old_cost, h.new_cost) for h in history] == [
        (None, D("100.00"), None, None),
        (D("100.00"), D("120.00"), None, None),
        (D("120.00"), D("120.00"), None, D("55.10")),
    ]
    assert [h.reason for h in history] == [None, "Supplier raised prices", None]
    assert len(await price_events(sessionmaker)) == 3

    listed = await client.get(f"{path}/history", headers=admin.headers)
    assert listed.status_code == 200
    page = listed.json()
    assert (page["total"], page["totalPages"]) == (3, 1)
    newest = page["items"][0]
    assert (newest["oldCost"], newest["newCost"], newest["source"]) == (None, 55.1, "api")
    assert page["items"][1]["changedBy"] == {"id": str(manager.id), "firstName": "Mia", "lastName": "Manager"}
    assert page["items"][1]["reason"] == "Supplier raised prices"
    assert page["items"][2]["oldPrice"] is None
    second_page = (await client.get(f"{path}/history?pageSize=2&page=2", headers=admin.headers)).json()
    assert [item["id"] for item in second_page["items"]] == [page["items"][2]["id"]]
    technician = await make_user(app, sessionmaker, "technician")
    assert (await client.get(f"{path}/history", headers=technician.headers)).status_code == 200
    assert (
        await client.get(f"{API}/pricing/{uuid.uuid4()}/history", headers=admin.headers)
    ).status_code == 404


async def test_bad_updates_change_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = await _setup(client, admin)
    created = await price(
        client,
        admin,
        rows["device"]["id"],
        rows["repair"]["id"],
        rows["part"]["id"],
        "100.00",
        validFrom="2025-01-01T00:00:00Z",
    )
    path = f"{API}/pricing/{created['id']}"
    for body, field in (
        ({"price": None}, "price"),
        ({"price": "0"}, "price"),
        ({"validUntil": "2024-12-31T00:00:00Z"}, "validUntil"),
        ({"isEstimated": True}, "isEstimated"),
        ({"deviceModelId": str(uuid.uuid4())}, "deviceModelId"),
    ):
        response = await client.patch(path, json=body, headers=admin.headers)
        assert response.status_code == 400, body
        assert field in field_errors(response), response.text
    async with sessionmaker() as session:
        row = await session.get(Pricing, uuid.UUID(created["id"]))
        assert (row.price, row.valid_until) == (D("100.00"), None)
    assert await count_rows(sessionmaker, PriceHistory) == 1
    technician = await make_user(app, sessionmaker, "technician")
    assert (await client.patch(path, json={"price": "1"}, headers=technician.headers)).status_code == 403
    assert (await client.delete(path, headers=technician.headers)).status_code == 403


async def test_delete_deactivates_the_price_and_keeps_its_history(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = await _setup(client, admin)
    created = await price(client, admin, rows["device"]["id"], rows["repair"]["id"], rows["part"]["id"], "80")
    response = await client.delete(f"{API}/pricing/{created['id']}", headers=admin.headers)
    assert (response.status_code, response.json()["isActive"]) == (200, False)
    assert await count_rows(sessionmaker, Pricing) == 1
    assert await count_rows(sessionmaker, PriceHistory) == 1
    # Integrators keeping a copy of the price list learn that the price no longer applies.
    created_event, deactivated = await price_events(sessionmaker)
    assert (created_event["isActive"], deactivated["isActive"], deactivated["newPrice"]) == (
        True,
        False,
        80.0,
    )
    # Deleting again changes nothing and publishes nothing; reactivating publishes again.
    await client.delete(f"{API}/pricing/{created['id']}", headers=admin.headers)
    assert len(await price_events(sessionmaker)) == 2
    await client.patch(f"{API}/pricing/{created['id']}", json={"isActive": True}, headers=admin.headers)
    assert [event["isActive"] for event in await price_events(sessionmaker)] == [True, False, True]
    assert await count_rows(sessionmaker, PriceHistory) == 1
    await client.delete(f"{API}/pricing/{created['id']}", headers=admin.headers)
    current = (await client.get(f"{API}/pricing?currentOnly=true", headers=admin.headers)).json()
    assert current["total"] == 0


async def test_list_filters(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    samsung = await brand(client, admin, "Samsung")
    iphone = await device(client, admin, apple["id"], "iPhone 13")
    galaxy = await device(client, admin, samsung["id"], "Galaxy S21")
    screen = await repair_type(client, admin, "Screen replacement")
    battery = await repair_type(client, admin, "Battery replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    cell = await part_type(client, admin, "Battery cell", "aftermarket_standard")
    now = datetime.now(UTC)
    made = {
        "iphone screen": await price(client, admin, iphone["id"], screen["id"], oem["id"], "189"),
        "iphone screen premium": await price(
            client, admin, iphone["id"], screen["id"], oem["id"], "149", partQuality="aftermarket_premium"
        ),
        "iphone battery": await price(client, admin, iphone["id"], battery["id"], cell["id"], "69"),
        "galaxy screen": await price(client, admin, galaxy["id"], screen["id"], oem["id"], "199"),
        "galaxy battery expired": await price(
            client,
            admin,
            galaxy["id"],
            battery["id"],
            cell["id"],
            "59",
            validFrom=(now - timedelta(days=30)).isoformat(),
            validUntil=(now - timedelta(days=1)).isoformat(),
        ),
        "galaxy battery future": await price(
            client,
            admin,
            galaxy["id"],
            battery["id"],
            cell["id"],
            "64",
            partQuality="aftermarket_economy",
            validFrom=(now + timedelta(days=10)).isoformat(),
        ),
    }
    await client.delete(f"{API}/pricing/{made['iphone screen premium']['id']}", headers=admin.headers)
    names = {value["id"]: key for key, value in made.items()}

    async def listed(query: str) -> list[str]:
        response = await client.get(f"{API}/pricing?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return sorted(names[item["id"]] for item in response.json()["items"])

    assert await listed(f"deviceModelId={iphone['id']}") == [
        "iphone battery",
        "iphone screen",
        "iphone screen premium",
    ]
    assert await listed(f"brandId={samsung['id']}") == [
        "galaxy battery expired",
        "galaxy battery future",
        "galaxy screen",
    ]
    assert await listed(f"repairTypeId={screen['id']}&isActive=true") == ["galaxy screen", "iphone screen"]
    assert await listed(f"partTypeId={cell['id']}&partQuality=aftermarket_economy") == [
        "galaxy battery future"
    ]
    assert await listed("isActive=false") == ["iphone screen premium"]
    assert await listed("currentOnly=true") == ["galaxy screen", "iphone battery", "iphone screen"]
    assert await listed("isEstimated=false&pageSize=100") == sorted(made)
    assert await listed("isEstimated=true") == []
    # Newest first.
    page = (await client.get(f"{API}/pricing?pageSize=2", headers=admin.headers)).json()
    assert [names[item["id"]] for item in page["items"]] == [
        "galaxy battery future",
        "galaxy battery expired",
    ]
    assert (page["total"], page["totalPages"]) == (6, 3)
    assert (await client.get(f"{API}/pricing?partQuality=used", headers=admin.headers)).status_code == 400
