"""Catalog CSV import over HTTP (issue 5, item 2): ``POST /api/v1/catalog/import`` upserts brands, device
models, repair and part types and prices, reports created/updated/unchanged per kind and every rejected row
with its line and reason while the good rows land; a file that is not a usable CSV is a 400 that changes
nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from fixdesk.catalog.models import Brand, DeviceModel, PartType, PriceHistory, Pricing, RepairType
from tests.catalog.helpers import IMPORT, csv_bytes, price_events, upload
from tests.conftest import make_settings
from tests.factories import count_rows, make_user

CATALOG_TABLES = (Brand, DeviceModel, RepairType, PartType, Pricing, PriceHistory)


async def table_counts(sessionmaker) -> dict[str, int]:
    return {model.__tablename__: await count_rows(sessionmaker, model) for model in CATALOG_TABLES}


IPHONE = {"brand": "Apple", "model": "iPhone 13", "modelNumber": "A2633", "releaseYear": "2021"}
IPHONE_NEW = {**IPHONE, "deviceType": "phone", "screenSize": "6.1", "tierLevel": "1"}
SCREEN = {"repairType": "Screen replacement", "partType": "OLED display", "partQuality": "original"}


async def test_upload_creates_the_catalog_and_reports_what_it_did(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    data = csv_bytes(
        {**IPHONE_NEW, **SCREEN, "price": "279.00", "cost": "150", "notes": "Genuine Apple part"},
        {**IPHONE, "repairType": "Battery replacement", "partType": "Battery", "price": "89.5"},
        {"brand": "Samsung", "model": "Galaxy S21", "deviceType": "phone", "tierLevel": "flagship"},
        {"brand": "samsung", "model": "Galaxy S22", "deviceType": "phone", "releaseYear": "2022"},
    )

    response = await upload(client, admin, data)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == 4
    assert body["accepted"] == 4
    assert body["brands"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert body["deviceModels"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert body["repairTypes"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert body["partTypes"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert body["prices"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert body["priceHistory"] == 2
    assert body["rejected"] == []
    assert body["rejectedCount"] == 0

    async with sessionmaker() as session:
        devices = {
            row.name: row
            for row in (await session.execute(select(DeviceModel).order_by(DeviceModel.name))).scalars()
        }
        assert set(devices) == {"iPhone 13", "Galaxy S21", "Galaxy S22"}
        iphone = devices["iPhone 13"]
        assert (iphone.model_number, iphone.release_year, iphone.device_type) == ("A2633", 2021, "phone")
        assert (iphone.screen_size, iphone.tier_level) == (D("6.10"), 1)
        assert devices["Galaxy S21"].tier_level == 1
        assert devices["Galaxy S22"].tier_level == 2  # the default of a new model
        assert "a2633" in iphone.search_text
        brands = {row.slug: row.name for row in (await session.execute(select(Brand))).scalars()}
        assert brands == {"apple": "Apple", "samsung": "Samsung"}  # the first spelling names the brand
        part_types = {row.name: row for row in (await session.execute(select(PartType))).scalars()}
        assert part_types["OLED display"].quality == "original"
        assert part_types["Battery"].quality == "aftermarket_standard"
        assert part_types["Battery"].warranty_months == 3
        prices = {
            row.price: row
            for row in (await session.execute(select(Pricing).order_by(Pricing.price))).scalars()
        }
        assert set(prices) == {D("89.50"), D("279.00")}
        screen = prices[D("279.00")]
        assert (screen.cost, screen.part_quality, screen.notes) == (
            D("150.00"),
            "original",
            "Genuine Apple part",
        )
        assert screen.is_estimated is False
        assert prices[D("89.50")].part_quality == "aftermarket_standard"  # the part type's own quality
        history = list((await session.execute(select(PriceHistory))).scalars())
    assert len(history) == 2
    assert {(h.old_price, h.new_price, h.source, h.changed_by_id) for h in history} == {
        (None, D("279.00"), "import", admin.id),
        (None, D("89.50"), "import", admin.id),
    }
    assert {h.reason for h in history} == {
        "CSV import of catalog.csv, line 2",
        "CSV import of catalog.csv, line 3",
    }
    events = await price_events(sessionmaker)
    assert sorted((e["oldPrice"], e["newPrice"], e["source"]) for e in events) == [
        (None, 89.5, "import"),
        (None, 279.0, "import"),
    ]

    # The catalog API shows the imported models at once (the import invalidated the catalog cache).
    listed = await client.get(
        "/api/v1/catalog/device-models", params={"search": "galaxy"}, headers=admin.headers
    )
    assert [item["name"] for item in listed.json()["items"]] == ["Galaxy S21", "Galaxy S22"]


async def test_an_import_invalidates_cached_catalog_reads(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    before = await client.get("/api/v1/catalog/brands", headers=manager.headers)
    assert before.json()["total"] == 0  # now cached

    response = await upload(client, manager, csv_bytes({**IPHONE_NEW}))
    assert response.status_code == 200, response.text

    after = await client.get("/api/v1/catalog/brands", headers=manager.headers)
    assert [item["name"] for item in after.json()["items"]] == ["Apple"]


async def test_bad_rows_are_rejected_with_line_and_reason_while_good_rows_land(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    data = csv_bytes(
        {**IPHONE_NEW, **SCREEN, "price": "279.00"},  # line 2: good
        {**IPHONE, **SCREEN, "partType": "Battery", "price": "89,50"},  # 3: comma decimal separator
        {"brand": "Google", "model": "Pixel 7", "releaseYear": "2022"},  # 4: new model without a type
        {"brand": "Google", "model": "Pixel 8", "deviceType": "phone", **SCREEN, "price": "199"},  # 5: good
        {"brand": "", "model": "Pixel 9", "deviceType": "phone"},  # 6: no brand
        {"brand": "Google", "model": "Pixel 8", **SCREEN, "price": "189"},  # 7: same price as line 5
        {"brand": "Google", "model": "Pixel 8", "releaseYear": "2023"},  # 8: good, sets the year
        {"brand": "Google", "model": "Pixel 8", "releaseYear": "2024"},  # 9: contradicts line 8
        {"brand": "Google", "model": "Pixel 6", "deviceType": "fridge"},  # 10: unknown device type
        {**IPHONE, "cost": "12.00"},  # 11: a price column without the price
        {**IPHONE, **SCREEN, "partQuality": "refurbished", "price": "99"},  # 12: unknown quality
        {
            **IPHONE,
            **SCREEN,
            "partType": "Camera",
            "price": "99",
            "validFrom": "2025-02-01",
            "validUntil": "2025-01-01",
        },
        {**IPHONE, **SCREEN, "partType": "Camera", "price": "99", "validFrom": "next week"},  # 14
    )

    response = await upload(client, admin, data)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == 13
    assert body["accepted"] == 3
    rejected = {item["line"]: (item.get("column"), item["reason"]) for item in body["rejected"]}
    assert [item["line"] for item in body["rejected"]] == [3, 4, 6, 7, 9, 10, 11, 12, 13, 14]
    assert body["rejectedCount"] == 10
    assert rejected[3][0] == "price"
    assert "dot as the decimal separator" in rejected[3][1]
    assert rejected[4] == ("deviceType", "deviceType is required for a new device model")
    assert rejected[6] == ("brand", "brand is required")
    assert rejected[7][1].startswith("duplicate of line 5")
    assert rejected[9] == (
        "releaseYear",
        "releaseYear 2024 differs from 2023 given for this device model on line 8",
    )
    assert rejected[10][0] == "deviceType"
    assert rejected[11][0] == "repairType"
    assert rejected[12][0] == "partQuality"
    assert rejected[13] == ("validUntil", "validUntil must be after validFrom")
    assert rejected[14][0] == "validFrom"

    # The good rows landed, the rejected ones changed nothing.
    async with sessionmaker() as session:
        devices = {row.name: row for row in (await session.execute(select(DeviceModel))).scalars()}
        prices = sorted(row.price for row in (await session.execute(select(Pricing))).scalars())
        part_types = {row.name for row in (await session.execute(select(PartType))).scalars()}
    assert set(devices) == {"iPhone 13", "Pixel 8"}
    assert devices["Pixel 8"].release_year == 2023
    assert prices == [D("199.00"), D("279.00")]
    assert part_types == {"OLED display"}  # "Battery" and "Camera" only appeared on rejected rows
    assert body["prices"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert await count_rows(sessionmaker, PriceHistory) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "UTF-8"),
        ("brand,model\nCitro\u00ebn,C3\n".encode("latin-1"), "UTF-8"),
        (b"brand;model;deviceType\nApple;iPhone 13;phone\n", "separated by commas"),
        (b"brand,deviceType\nApple,phone\n", "model"),
        (b"brand,model,colour\nApple,iPhone 13,red\n", "colour"),
        (b"brand,model,Brand\nApple,iPhone 13,Apple\n", "twice"),
        (b'brand,model,deviceType\nApple,"iPhone 13,phone\n', "not valid CSV"),
    ],
    ids=[
        "empty",
        "binary",
        "latin-1",
        "semicolons",
        "no-model-column",
        "unknown-column",
        "repeated",
        "quoting",
    ],
)
async def test_a_file_that_is_not_a_usable_csv_is_a_400_that_changes_nothing(
    client, app, sessionmaker, content, message
):
    admin = await make_user(app, sessionmaker, "admin")
    seeded = await upload(client, admin, csv_bytes({**IPHONE_NEW, **SCREEN, "price": "279.00"}))
    assert seeded.status_code == 200, seeded.text
    before = await table_counts(sessionmaker)
    events_before = len(await price_events(sessionmaker))

    response = await upload(client, admin, content)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [error["field"] for error in problem["errors"]] == ["file"]
    assert message in problem["detail"]
    assert await table_counts(sessionmaker) == before
    assert len(await price_events(sessionmaker)) == events_before


async def test_an_upload_without_the_file_field_is_a_400(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        IMPORT, files={"upload": ("catalog.csv", csv_bytes(IPHONE_NEW), "text/csv")}, headers=admin.headers
    )
    assert response.status_code == 400
    assert "file" in {error["field"] for error in response.json()["errors"]}
    assert await count_rows(sessionmaker, Brand) == 0


async def test_only_catalog_writers_may_import(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    agent = await make_user(app, sessionmaker, "agent")
    for actor in (technician, agent):
        response = await upload(client, actor, csv_bytes(IPHONE_NEW))
        assert response.status_code == 403
    anonymous = await client.post(IMPORT, files={"file": ("catalog.csv", csv_bytes(IPHONE_NEW), "text/csv")})
    assert anonymous.status_code == 401
    assert await count_rows(sessionmaker, Brand) == 0


async def test_a_file_over_the_import_limit_is_refused_whole(database, database_url, tmp_path, sessionmaker):
    import httpx

    limited = database.app(make_settings(database_url, tmp_path, max_import_bytes=2048))
    admin = await make_user(limited, sessionmaker, "admin")
    rows = [{**IPHONE_NEW, "model": f"iPhone {index}"} for index in range(60)]
    data = csv_bytes(*rows)
    assert len(data) > 2048
    transport = httpx.ASGITransport(app=limited, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await upload(http, admin, data)
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
        assert await count_rows(sessionmaker, DeviceModel) == 0
        small = await upload(http, admin, csv_bytes(*rows[:5]))
        assert small.status_code == 200, small.text
        assert small.json()["deviceModels"]["created"] == 5


async def test_the_answer_lists_the_first_thousand_rejections_and_counts_them_all(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = [
        {"brand": "Apple", "model": f"Phone {index}", "deviceType": "phone", "screenSize": "six"}
        for index in range(1_200)
    ]
    rows.append({**IPHONE_NEW})

    response = await upload(client, admin, csv_bytes(*rows))

    body = response.json()
    assert body["rejectedCount"] == 1_200
    assert len(body["rejected"]) == 1_000
    assert body["rejected"][0] == {
        "line": 2,
        "column": "screenSize",
        "reason": "screenSize 'six' is not a size in inches with a dot decimal separator, e.g. 6.1",
    }
    assert body["rejected"][-1]["line"] == 1_001
    assert body["deviceModels"]["created"] == 1
    assert await count_rows(sessionmaker, DeviceModel) == 1


async def test_headers_are_matched_regardless_of_case_and_spelling(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    data = (
        "\ufeffBrand,Model,model_number,Release Year,DEVICE_TYPE,repair type,Part Type,quality,Price,\n"
        "Apple,iPhone 13,A2633,2021,Phone,Screen replacement,OLED display,Original,279,\n"
    ).encode()

    response = await upload(client, admin, data)

    assert response.status_code == 200, response.text
    assert response.json()["prices"]["created"] == 1
    async with sessionmaker() as session:
        device = (await session.execute(select(DeviceModel))).scalar_one()
        price = (await session.execute(select(Pricing))).scalar_one()
    assert (device.model_number, device.release_year, device.device_type) == ("A2633", 2021, "phone")
    assert (price.price, price.part_quality) == (D("279.00"), "original")
    assert uuid.UUID(str(price.device_model_id)) == device.id
