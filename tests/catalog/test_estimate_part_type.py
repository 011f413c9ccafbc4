"""The estimate takes a part type and says which price it used (issue 9, item 12): with two part types
priced for the same grade the cheapest is used and the answer says so, naming both; ``partTypeId``
prices that part type (its quality by default); the answer always names the price, part type, number of
matching prices and the reason."""

from __future__ import annotations

import uuid

from tests.catalog.helpers import API, brand, device, part_type, price, repair_type
from tests.factories import make_user


async def estimate(client, actor, **params: str):
    return await client.get(f"{API}/pricing/estimate", params=params, headers=actor.headers)


async def test_with_two_part_types_priced_the_answer_names_the_cheapest_and_why(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    apple = await brand(client, admin, "Apple")
    iphone = await device(client, admin, apple["id"], "iPhone 13")
    screen = await repair_type(client, admin, "Screen replacement")
    supplier_a = await part_type(client, admin, "OEM screen (supplier A)", "original")
    supplier_b = await part_type(client, admin, "OEM screen (supplier B)", "original")
    dear = await price(client, admin, iphone["id"], screen["id"], supplier_a["id"], "249.00")
    cheap = await price(client, admin, iphone["id"], screen["id"], supplier_b["id"], "229.00")
    keys = {"deviceModelId": iphone["id"], "repairTypeId": screen["id"]}

    either = await estimate(client, technician, **keys, partQuality="original")
    chosen = await estimate(client, technician, **keys, partTypeId=supplier_a["id"])

    assert either.status_code == 200, either.text
    body = either.json()
    assert (body["price"], body["method"], body["pricingId"], body["partTypeId"], body["matchingPrices"]) == (
        229.0,
        "exact",
        cheap["id"],
        supplier_b["id"],
        2,
    )
    assert body["reason"] == (
        "2 current prices of the shop match this device, repair type and quality "
        "('OEM screen (supplier B)' 229.00, 'OEM screen (supplier A)' 249.00); the cheapest, with "
        "'OEM screen (supplier B)', is used (ties go to the lowest pricing id). Ask with partTypeId for "
        "one part type's price."
    )
    assert chosen.status_code == 200, chosen.text
    body = chosen.json()
    # The part type's own quality is the grade when none is asked for.
    assert (body["price"], body["partQuality"], body["pricingId"], body["partTypeId"]) == (
        249.0,
        "original",
        dear["id"],
        supplier_a["id"],
    )
    assert (body["matchingPrices"], body["basis"]) == (1, [dear["id"]])
    assert body["reason"] == (
        "The shop's own current price for this device and repair with 'OEM screen (supplier A)'."
    )


async def test_a_part_type_without_its_own_price_is_derived_and_says_so(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    iphone_13 = await device(client, admin, apple["id"], "iPhone 13", releaseYear=2021)
    iphone_14 = await device(client, admin, apple["id"], "iPhone 14", releaseYear=2022)
    screen = await repair_type(client, admin, "Screen replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    copy = await part_type(client, admin, "Premium copy screen", "aftermarket_premium")
    await price(client, admin, iphone_13["id"], screen["id"], oem["id"], "200.00")
    # The iPhone 14 has a price for another part type of the same grade only.
    other = await part_type(client, admin, "Other premium screen", "aftermarket_premium")
    await price(client, admin, iphone_14["id"], screen["id"], other["id"], "199.00")

    response = await estimate(
        client, admin, deviceModelId=iphone_14["id"], repairTypeId=screen["id"], partTypeId=copy["id"]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["method"], body["partQuality"], body["pricingId"], body["partTypeId"]) == (
        "similar_devices",
        "aftermarket_premium",
        None,
        copy["id"],
    )
    assert body["matchingPrices"] == 0
    assert body["reason"].startswith(
        "The shop has no current price for this device, repair type and quality and part type; derived from"
    )


async def test_an_unknown_part_type_is_404_and_an_explicit_quality_wins(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    apple = await brand(client, admin, "Apple")
    iphone = await device(client, admin, apple["id"], "iPhone 13")
    screen = await repair_type(client, admin, "Screen replacement")
    oem = await part_type(client, admin, "OEM screen", "original")
    await price(client, admin, iphone["id"], screen["id"], oem["id"], "200.00")
    keys = {"deviceModelId": iphone["id"], "repairTypeId": screen["id"]}

    unknown = await estimate(client, admin, **keys, partTypeId=str(uuid.uuid4()))
    economy = await estimate(client, admin, **keys, partTypeId=oem["id"], partQuality="aftermarket_economy")

    assert (unknown.status_code, unknown.json()["reason"]) == (404, "unknown_part_type")
    assert unknown.json()["field"] == "partTypeId"
    assert economy.status_code == 200, economy.text
    # No economy price of that part type: derived (from the device's own original price), not exact.
    assert (economy.json()["partQuality"], economy.json()["method"], economy.json()["pricingId"]) == (
        "aftermarket_economy",
        "similar_devices",
        None,
    )
