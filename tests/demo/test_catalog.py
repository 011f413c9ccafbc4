"""The demo shop's catalog (issue 5, item 2): every real device model with its real release year, a realistic
set of repair and part types, and shop prices for the popular models only, deterministic from the seed and
plausible by tier and part quality."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from fixdesk.catalog.models import Brand, DeviceModel, PartType, PriceHistory, Pricing, RepairType
from fixdesk.demo.catalog import QUALITY_FACTORS, build_demo_catalog, is_priced
from fixdesk.demo.devices import DEVICE_MODELS
from fixdesk.demo.loader import load_demo
from fixdesk.repairs.models import Repair
from tests.conftest import make_settings
from tests.factories import make_user

# load_demo writes through its own engine and commits.
pytestmark = pytest.mark.commits

REAL_RELEASE_YEARS = {
    ("Apple", "iPhone 13"): 2021,
    ("Apple", "iPhone X"): 2017,
    ("Samsung", "Galaxy S21"): 2021,
    ("Google", "Pixel 7"): 2022,
    ("Sony", "PlayStation 5"): 2020,
    ("Nintendo", "Switch"): 2017,
    ("Apple", "MacBook Air 13 (M1, 2020)"): 2020,
}


async def test_the_demo_catalog_is_loaded_and_served_by_the_catalog_api(
    engine, app, client, sessionmaker, database_url, tmp_path, demo_clock
):
    summary = await load_demo(make_settings(database_url, tmp_path), scale=1, sections=())
    manager = await make_user(app, sessionmaker, "manager")

    listed = await client.get(
        "/api/v1/catalog/device-models", params={"pageSize": 100}, headers=manager.headers
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == len(DEVICE_MODELS) >= 300
    assert summary.device_models == len(DEVICE_MODELS)

    for (brand, name), year in REAL_RELEASE_YEARS.items():
        found = await client.get(
            "/api/v1/catalog/device-models", params={"search": f"{brand} {name}"}, headers=manager.headers
        )
        matches = [item for item in found.json()["items"] if item["name"] == name]
        assert len(matches) == 1, (brand, name, found.json())
        assert matches[0]["releaseYear"] == year
        assert matches[0]["brand"]["name"] == brand

    repair_types = await client.get(
        "/api/v1/catalog/repair-types", params={"pageSize": 100}, headers=manager.headers
    )
    names = {item["name"]: item for item in repair_types.json()["items"]}
    for expected in (
        "Screen replacement",
        "Battery replacement",
        "Charging port repair",
        "Back glass replacement",
        "Rear camera replacement",
        "Water damage treatment",
        "Keyboard replacement",
    ):
        assert names[expected]["defaultMinutes"] > 0, expected
    part_types = await client.get(
        "/api/v1/catalog/part-types", params={"pageSize": 100}, headers=manager.headers
    )
    displays = {
        item["quality"]: item["warrantyMonths"]
        for item in part_types.json()["items"]
        if item["name"].startswith("Display")
    }
    assert displays == {
        "original": 12,
        "aftermarket_premium": 6,
        "aftermarket_standard": 3,
        "aftermarket_economy": 1,
    }

    async with engine.connect() as connection:
        devices = {
            (row.brand, row.name): row
            for row in await connection.execute(
                select(
                    Brand.name.label("brand"), DeviceModel.name, DeviceModel.id, DeviceModel.search_text
                ).join(Brand, Brand.id == DeviceModel.brand_id)
            )
        }
        priced_ids = set((await connection.scalars(select(Pricing.device_model_id).distinct())).all())
        prices = (await connection.execute(select(Pricing.__table__))).mappings().all()
        history = await connection.scalar(select(func.count()).select_from(PriceHistory))
        repairs = (
            await connection.execute(select(Repair.device_brand, Repair.device_model, Repair.device_model_id))
        ).all()
        qualities = dict((await connection.execute(select(PartType.id, PartType.quality))).all())
        minutes = await connection.scalar(select(func.min(RepairType.default_minutes)))

    assert summary.prices == len(prices)
    assert minutes is not None
    # Prices for the popular models only; other models are left to the estimator.
    priced = {key for key, row in devices.items() if row.id in priced_ids}
    assert priced == {(d.brand, d.name) for d in DEVICE_MODELS if is_priced(d)}
    assert ("Apple", "iPhone 13") in priced
    assert not any(brand == "Motorola" for brand, _ in priced)
    assert 150 <= len(priced) < len(DEVICE_MODELS) / 2
    assert "apple iphone 13" in devices[("Apple", "iPhone 13")].search_text
    # Every price is the shop's own, in whole amounts ending in 9, with a part of its stated quality.
    assert all(
        not row["is_estimated"] and row["price"] % 10 == 9 and row["cost"] < row["price"] for row in prices
    )
    assert all(qualities[row["part_type_id"]] == row["part_quality"] for row in prices)
    assert history >= len(prices)  # the import row of each price, and later changes of some
    # Repairs name catalog devices.
    by_id = {row.id: key for key, row in devices.items()}
    assert all(
        by_id[repair.device_model_id] == (repair.device_brand, repair.device_model) for repair in repairs
    )


def test_demo_prices_are_deterministic_and_plausible_by_tier_and_quality():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = build_demo_catalog(seed=7, now=now)
    again = build_demo_catalog(seed=7, now=now)
    other = build_demo_catalog(seed=8, now=now)

    def amounts(catalog) -> list[tuple]:
        names = {id_: key for key, id_ in catalog.device_ids.items()}
        return [(names[p.device_model_id], p.part_quality, p.price, p.cost) for p in catalog.prices]

    assert amounts(first) == amounts(again)
    assert amounts(first) != amounts(other)

    # Within a device and repair, a better part never costs the customer less.
    order = list(QUALITY_FACTORS)
    by_repair: dict[tuple, list[tuple[int, object]]] = defaultdict(list)
    for price in first.prices:
        by_repair[(price.device_model_id, price.repair_type_id)].append(
            (order.index(price.part_quality), price.price)
        )
    for entries in by_repair.values():
        ranked = [amount for _, amount in sorted(entries)]
        assert ranked == sorted(ranked, reverse=True)

    # A flagship's screen costs more than a budget model's of the same brand and year.
    screen = first.repair_type_ids["Screen replacement"]
    ids = first.device_ids
    original = {
        p.device_model_id: p.price
        for p in first.prices
        if p.repair_type_id == screen and p.part_quality == "original"
    }
    assert original[ids[("Apple", "iPhone 13 Pro")]] > original[ids[("Apple", "iPhone 13 mini")]]
    assert original[ids[("Apple", "iPhone 15 Pro Max")]] > original[ids[("Apple", "iPhone 8")]]
