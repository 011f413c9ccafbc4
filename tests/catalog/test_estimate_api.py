"""The estimator through the API and the database (issue 5, item 3): GET /catalog/pricing/estimate for
each method, the 404s with their reasons, saving an estimate as an isEstimated price with its history,
and find_price, the price a repair line defaults to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from fixdesk.catalog import service
from fixdesk.catalog.estimator import estimate_price
from fixdesk.catalog.models import PriceHistory, Pricing
from fixdesk.platform.errors import NotFound, ValidationFailed
from tests.catalog.helpers import API, brand, device, field_errors, part_type, price, repair_type
from tests.factories import (
    count_rows,
    make_catalog_device,
    make_part_type,
    make_price,
    make_repair_type,
    make_user,
)


def estimate_url(device_id: str, repair_id: str, quality: str = "original") -> str:
    return f"{API}/pricing/estimate?deviceModelId={device_id}&repairTypeId={repair_id}&partQuality={quality}"


async def test_estimate_answers_each_method_in_turn(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    apple = await brand(client, admin, "Apple")
    samsung = await brand(client, admin, "Samsung")
    iphone_13 = await device(client, admin, apple["id"], "iPhone 13", releaseYear=2021, tierLevel=1)
    iphone_14 = await device(client, admin, apple["id"], "iPhone 14", releaseYear=2022, tierLevel=1)
    galaxy = await device(client, admin, samsung["id"], "Galaxy A14", releaseYear=2023, tierLevel=3)
    screen = await repair_type(client, admin, "Screen replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    own = await price(client, admin, iphone_13["id"], screen["id"], oem["id"], "219.00")

    exact = await client.get(estimate_url(iphone_13["id"], screen["id"]), headers=technician.headers)
    assert exact.status_code == 200, exact.text
    assert exact.json() == {
        "deviceModelId": iphone_13["id"],
        "repairTypeId": screen["id"],
        "partQuality": "original",
        "price": 219.0,
        "currency": "USD",
        "confidence": 1.0,
        "method": "exact",
        "basis": [own["id"]],
        "pricingId": own["id"],
        "partTypeId": oem["id"],
        "matchingPrices": 1,
        "reason": "The shop's own current price for this device, repair type and quality, with 'OEM screen'.",
    }

    # iPhone 14: no own price; the iPhone 13 (same brand and type, one year apart, same tier) is the basis:
    # 219 × 1.25/1.25 × 0.70/1.00 = 153.30; evidence ½ × ½ (other quality) = 0.25 → 0.50 + 0.40 × 0.25/1.25 = 0.58
    similar = (
        await client.get(
            estimate_url(iphone_14["id"], screen["id"], "aftermarket_standard"), headers=admin.headers
        )
    ).json()
    assert (similar["price"], similar["confidence"], similar["method"], similar["basis"]) == (
        153.3,
        0.58,
        "similar_devices",
        [own["id"]],
    )

    # Galaxy A14: no Samsung phone is priced; the repair type's median (one price: 219 / 1.25 / 1.00 = 175.20)
    # × 0.80 (budget) × 0.55 (economy) = 77.088 → 77.09; confidence 0.20 + 0.30 × 1/4 = 0.275 → 0.28
    median = (
        await client.get(
            estimate_url(galaxy["id"], screen["id"], "aftermarket_economy"), headers=admin.headers
        )
    ).json()
    assert (median["price"], median["confidence"], median["method"], median["basis"]) == (
        77.09,
        0.28,
        "repair_type_median",
        [own["id"]],
    )


async def test_estimate_404s_say_why(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    iphone = await device(client, admin, apple["id"], "iPhone 13")
    screen = await repair_type(client, admin, "Screen replacement")
    battery = await repair_type(client, admin, "Battery replacement")
    cell = await part_type(client, admin, "Cell", "aftermarket_standard")
    await price(client, admin, iphone["id"], battery["id"], cell["id"], "79")

    nothing = await client.get(estimate_url(iphone["id"], screen["id"]), headers=admin.headers)
    assert nothing.status_code == 404
    assert nothing.headers["content-type"].startswith("application/problem+json")
    assert "no current price for 'Screen replacement'" in nothing.json()["detail"]
    assert nothing.json()["reason"] == "no_prices_for_repair_type"

    unknown_device = await client.get(estimate_url(str(uuid.uuid4()), screen["id"]), headers=admin.headers)
    assert (unknown_device.status_code, unknown_device.json()["reason"]) == (404, "unknown_device_model")
    unknown_repair = await client.get(estimate_url(iphone["id"], str(uuid.uuid4())), headers=admin.headers)
    assert (unknown_repair.status_code, unknown_repair.json()["reason"]) == (404, "unknown_repair_type")
    bad_quality = await client.get(estimate_url(iphone["id"], screen["id"], "used"), headers=admin.headers)
    assert bad_quality.status_code == 400
    assert field_errors(bad_quality) == {"partQuality"}
    missing = await client.get(f"{API}/pricing/estimate?deviceModelId={iphone['id']}", headers=admin.headers)
    assert missing.status_code == 400
    assert field_errors(missing) == {"repairTypeId"}


async def test_saving_an_estimate_stores_a_flagged_price_with_its_history(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    iphone_13 = await device(client, admin, apple["id"], "iPhone 13", releaseYear=2021, tierLevel=1)
    iphone_14 = await device(client, admin, apple["id"], "iPhone 14", releaseYear=2022, tierLevel=1)
    screen = await repair_type(client, admin, "Screen replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    own = await price(client, admin, iphone_13["id"], screen["id"], oem["id"], "219.00")

    saved = await client.post(
        f"{API}/pricing/estimates",
        json={"deviceModelId": iphone_14["id"], "repairTypeId": screen["id"], "partTypeId": oem["id"]},
        headers=admin.headers,
    )
    assert saved.status_code == 201, saved.text
    body = saved.json()
    # partQuality defaults to the part type's: original. 219 × 1.00 at weight ½ alone = 219.00;
    # evidence ½ → confidence 0.50 + 0.40 × 0.5/1.5 = 0.633 → 0.63.
    assert (body["price"], body["partQuality"], body["isEstimated"], body["confidenceScore"]) == (
        219.0,
        "original",
        True,
        0.63,
    )
    async with sessionmaker() as session:
        [entry] = (
            await session.execute(
                select(PriceHistory).where(PriceHistory.pricing_id == uuid.UUID(body["id"]))
            )
        ).scalars()
    assert (entry.source, entry.old_price, entry.new_price, entry.changed_by_id) == (
        "estimate",
        None,
        D("219.00"),
        admin.id,
    )
    assert "similar_devices" in entry.reason

    # A saved estimate is never a basis: the iPhone 14 still has no price of its own to the estimator.
    again = (await client.get(estimate_url(iphone_14["id"], screen["id"]), headers=admin.headers)).json()
    assert (again["method"], again["basis"]) == ("similar_devices", [own["id"]])
    # Saving twice, or over the shop's own price, is a conflict.
    for keys in ((iphone_14["id"], "original"), (iphone_13["id"], "original")):
        conflict = await client.post(
            f"{API}/pricing/estimates",
            json={
                "deviceModelId": keys[0],
                "repairTypeId": screen["id"],
                "partTypeId": oem["id"],
                "partQuality": keys[1],
            },
            headers=admin.headers,
        )
        assert conflict.status_code == 409
    # Setting the price by hand makes it the shop's own.
    confirmed = await client.patch(
        f"{API}/pricing/{body['id']}", json={"price": "229"}, headers=admin.headers
    )
    assert (confirmed.json()["isEstimated"], confirmed.json()["confidenceScore"]) == (False, None)
    exact = (await client.get(estimate_url(iphone_14["id"], screen["id"]), headers=admin.headers)).json()
    assert (exact["method"], exact["price"]) == ("exact", 229.0)
    assert await count_rows(sessionmaker, Pricing) == 2


async def test_saving_refuses_bad_input_and_technicians_writing_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    apple = await brand(client, admin, "Apple")
    iphone = await device(client, admin, apple["id"], "iPhone 13")
    screen = await repair_type(client, admin, "Screen replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    body = {"deviceModelId": iphone["id"], "repairTypeId": screen["id"], "partTypeId": oem["id"]}

    forbidden = await client.post(f"{API}/pricing/estimates", json=body, headers=technician.headers)
    assert forbidden.status_code == 403
    unknown_part = await client.post(
        f"{API}/pricing/estimates", json={**body, "partTypeId": str(uuid.uuid4())}, headers=admin.headers
    )
    assert (unknown_part.status_code, field_errors(unknown_part)) == (400, {"partTypeId"})
    # Nothing to estimate from yet.
    nothing = await client.post(f"{API}/pricing/estimates", json=body, headers=admin.headers)
    assert nothing.status_code == 404
    assert await count_rows(sessionmaker, Pricing) == 0
    assert await count_rows(sessionmaker, PriceHistory) == 0


async def test_estimate_price_contract_for_other_areas(app, sessionmaker):
    iphone = await make_catalog_device(sessionmaker, brand="Apple", name="iPhone 13", tier_level=1)
    screen = await make_repair_type(sessionmaker, "Screen replacement")
    oem = await make_part_type(sessionmaker, "OEM screen", quality="original")
    row = await make_price(
        sessionmaker,
        device_model_id=iphone.id,
        repair_type_id=screen.id,
        part_type_id=oem.id,
        price="199.99",
        part_quality="original",
    )
    async with sessionmaker() as session:
        result = await estimate_price(session, iphone.id, screen.id, "original")
        assert (result.price, result.confidence, result.method, result.basis) == (
            D("199.99"),
            D("1.00"),
            "exact",
            [row.id],
        )
        derived = await estimate_price(session, iphone.id, screen.id, "aftermarket_economy")
        # 199.99 × 0.55 = 109.9945 → 109.99
        assert (derived.price, derived.method) == (D("109.99"), "similar_devices")
        for device_id, repair_id in ((uuid.uuid4(), screen.id), (iphone.id, uuid.uuid4())):
            with pytest.raises(NotFound):
                await estimate_price(session, device_id, repair_id, "original")
        with pytest.raises(ValidationFailed):
            await estimate_price(session, iphone.id, screen.id, "used")


async def test_find_price_picks_the_line_items_price(app, sessionmaker):
    iphone = await make_catalog_device(sessionmaker, brand="Apple", name="iPhone 13")
    screen = await make_repair_type(sessionmaker, "Screen replacement")
    battery = await make_repair_type(sessionmaker, "Battery replacement")
    oem = await make_part_type(sessionmaker, "OEM screen", quality="original")
    premium = await make_part_type(sessionmaker, "Premium screen", quality="aftermarket_premium")
    keys = {"device_model_id": iphone.id, "repair_type_id": screen.id}
    oem_original = await make_price(
        sessionmaker, **keys, part_type_id=oem.id, price="200", part_quality="original"
    )
    oem_as_premium = await make_price(
        sessionmaker, **keys, part_type_id=oem.id, price="150", part_quality="aftermarket_premium"
    )
    premium_premium = await make_price(
        sessionmaker, **keys, part_type_id=premium.id, price="140", part_quality="aftermarket_premium"
    )
    async with sessionmaker() as session:

        async def found(part_type_id, quality, repair=screen.id):
            row = await service.find_price(session, iphone.id, repair, part_type_id, quality)
            return row.id if row is not None else None

        # The part type alone: its own quality's price first, even when dearer.
        assert await found(oem.id, None) == oem_original.id
        assert await found(oem.id, "aftermarket_premium") == oem_as_premium.id
        # The quality alone: the cheapest of that quality.
        assert await found(None, "aftermarket_premium") == premium_premium.id
        # Neither: the repair type's cheapest price for the device.
        assert await found(None, None) == premium_premium.id
        assert await found(None, "aftermarket_economy") is None
        assert await found(None, None, battery.id) is None
        row = await service.find_price(session, iphone.id, screen.id, oem.id, None)
        # The repair and part types come loaded, for the line's description and warranty.
        assert (row.repair_type.name, row.part_type.warranty_months) == ("Screen replacement", 3)

    # Expired and inactive prices never apply; saved estimates do.
    async with sessionmaker() as session:
        cheapest = await session.get(Pricing, premium_premium.id)
        cheapest.valid_until = datetime.now(UTC) - timedelta(minutes=1)
        cheapest.valid_from = datetime.now(UTC) - timedelta(days=1)
        (await session.get(Pricing, oem_as_premium.id)).is_active = False
        original = await session.get(Pricing, oem_original.id)
        original.is_estimated = True
        await session.commit()
    async with sessionmaker() as session:
        assert (await service.find_price(session, iphone.id, screen.id, None, "aftermarket_premium")) is None
        assert (await service.find_price(session, iphone.id, screen.id, None, None)).id == oem_original.id
