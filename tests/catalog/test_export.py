"""Price-list export (issue 5, item 2): ``GET /api/v1/catalog/pricing/export`` streams CSV in the import format,
so an export imported again reports everything unchanged; filters like the pricing list."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from fixdesk.catalog.models import Brand, PriceHistory, RepairType
from fixdesk.catalog.transfer import COLUMNS
from tests.catalog.helpers import csv_bytes, imported
from tests.factories import count_rows, make_customer, make_user

EXPORT = "/api/v1/catalog/pricing/export"


def records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


IPHONE = {
    "brand": "Apple",
    "model": "iPhone 13",
    "modelNumber": "A2633",
    "releaseYear": "2021",
    "deviceType": "phone",
    "screenSize": "6.1",
    "tierLevel": "1",
}
PIXEL = {"brand": "Google", "model": "Pixel 7", "deviceType": "phone", "tierLevel": "2"}
CATALOG = (
    {
        **IPHONE,
        "repairType": "Screen replacement",
        "partType": "OLED display",
        "partQuality": "original",
        "price": "279.00",
        "cost": "150.00",
        "validFrom": "2025-01-01",
        "validUntil": "2026-06-30T17:45:12.5+00:00",
        "notes": 'Genuine part, "True Tone" kept\nCall supplier first',
    },
    {
        **IPHONE,
        "repairType": "Battery replacement",
        "partType": "Battery",
        "partQuality": "aftermarket_premium",
        "price": "89.5",
        "validFrom": "2025-02-03T10:11:12.123456Z",
    },
    {**PIXEL, "repairType": "Screen replacement", "partType": "OLED display", "price": "199"},
    {"brand": "Citroën Phones", "model": "Ça marche", "deviceType": "other", "screenSize": "10"},
)


async def test_export_streams_the_price_list_in_the_import_format(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes(*CATALOG))

    response = await client.get(EXPORT, headers=admin.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="fixdesk-pricing-')
    assert response.text.splitlines()[0] == ",".join(COLUMNS)
    rows = records(response.text)
    # Prices only (a device without one appears with includeDevicesWithoutPrices), by brand and model.
    assert [(row["brand"], row["model"], row["repairType"]) for row in rows] == [
        ("Apple", "iPhone 13", "Battery replacement"),
        ("Apple", "iPhone 13", "Screen replacement"),
        ("Google", "Pixel 7", "Screen replacement"),
    ]
    battery, screen, pixel = rows
    assert screen == {
        **IPHONE,
        "repairType": "Screen replacement",
        "partType": "OLED display",
        "partQuality": "original",
        "price": "279.00",
        "cost": "150.00",
        "validFrom": "2025-01-01",  # midnight in the shop's zone: written as a date
        "validUntil": "2026-06-30T17:45:12.500000Z",
        "notes": 'Genuine part, "True Tone" kept\nCall supplier first',
    }
    assert (battery["price"], battery["cost"], battery["validFrom"]) == (
        "89.50",
        "",
        "2025-02-03T10:11:12.123456Z",
    )
    assert (pixel["partQuality"], pixel["releaseYear"], pixel["screenSize"], pixel["modelNumber"]) == (
        "original",  # the part type's quality, taken when the row gave none
        "",
        "",
        "",
    )


async def test_an_export_imports_back_with_everything_unchanged(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes(*CATALOG))
    history = await count_rows(sessionmaker, PriceHistory)
    exported = await client.get(EXPORT, params={"includeDevicesWithoutPrices": "true"}, headers=admin.headers)

    again = await imported(client, admin, exported.content)

    assert again["rows"] == 4
    assert again["rejected"] == []
    for kind in ("brands", "deviceModels", "repairTypes", "partTypes", "prices"):
        assert again[kind]["created"] == again[kind]["updated"] == 0, kind
    assert again["brands"]["unchanged"] == 3
    assert again["deviceModels"]["unchanged"] == 3
    assert again["prices"]["unchanged"] == 3
    assert await count_rows(sessionmaker, PriceHistory) == history
    second = await client.get(EXPORT, params={"includeDevicesWithoutPrices": "true"}, headers=admin.headers)
    assert second.text == exported.text


async def test_export_filters_like_the_pricing_list(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes(*CATALOG))
    async with sessionmaker() as session:
        google = (await session.execute(select(Brand.id).where(Brand.slug == "google"))).scalar_one()
        battery = (
            await session.execute(select(RepairType.id).where(RepairType.slug == "battery replacement"))
        ).scalar_one()

    async def exported(**params: str) -> list[tuple[str, str, str]]:
        response = await client.get(EXPORT, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [(row["model"], row["repairType"], row["price"]) for row in records(response.text)]

    assert await exported(brandId=str(google)) == [("Pixel 7", "Screen replacement", "199.00")]
    assert await exported(repairTypeId=str(battery)) == [("iPhone 13", "Battery replacement", "89.50")]
    assert await exported(deviceType="other") == []
    assert await exported(deviceType="other", includeDevicesWithoutPrices="true") == [("Ça marche", "", "")]
    # With a repair type filter, a model without such a price appears as a device-only row.
    assert await exported(repairTypeId=str(battery), includeDevicesWithoutPrices="true") == [
        ("iPhone 13", "Battery replacement", "89.50"),  # Apple
        ("Ça marche", "", ""),  # Citroën Phones
        ("Pixel 7", "", ""),  # Google
    ]
    bad = await client.get(EXPORT, params={"deviceType": "fridge"}, headers=admin.headers)
    assert bad.status_code == 400


async def test_a_large_price_list_streams_every_row_in_order(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    rows = [
        {
            "brand": "Samsung",
            "model": f"Galaxy {index:04d}",
            "deviceType": "phone",
            "repairType": "Screen replacement",
            "partType": part,
            "price": f"{100 + index}.{index % 100:02d}",
        }
        for index in range(1_250)
        for part in ("OLED", "LCD")
    ]
    result = await imported(client, admin, csv_bytes(*rows))
    assert result["prices"]["created"] == 2_500

    response = await client.get(EXPORT, headers=admin.headers)

    exported = records(response.text)
    assert len(exported) == 2_500  # more than two server-side cursor chunks
    assert [(row["model"], row["partType"]) for row in exported] == sorted(
        (row["model"], row["partType"]) for row in rows
    )
    assert {row["price"] for row in exported} == {row["price"] for row in rows}


async def test_export_needs_catalog_read(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    assert (await client.get(EXPORT, headers=technician.headers)).status_code == 200
    assert (await client.get(EXPORT, headers=customer.headers)).status_code == 403
    assert (await client.get(EXPORT)).status_code == 401
