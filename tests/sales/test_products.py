"""Products and their stock ledger (issue 13, item 1): on-hand always equals the sum of the movements,
receipts and adjustments, unique SKU, low-stock events once per crossing, who may do what."""

from __future__ import annotations

import random
import uuid

import pytest

from fixdesk.db import transaction
from fixdesk.sales.models import Product
from fixdesk.sales.products.service import ledger_sum
from tests.factories import event_payloads, make_customer, make_user
from tests.sales.helpers import PRODUCTS, get_product, make_product, movements, place_order


@pytest.fixture
async def admin(app, sessionmaker):
    return await make_user(app, sessionmaker, "admin")


async def test_a_product_is_created_with_its_opening_stock_as_a_receipt(client, admin):
    product = await make_product(client, admin, stockQuantity=7, barcode="0194252708309")
    assert product["onHand"] == product["stockQuantity"] == 7
    assert product["price"] == 89.9
    assert product["cost"] == 41.0
    assert product["barcode"] == "0194252708309"
    assert product["lowStock"] is False
    ledger = await movements(client, admin, product["id"])
    assert [(row["kind"], row["quantity"], row["onHandAfter"]) for row in ledger] == [("received", 7, 7)]


async def test_a_duplicate_sku_is_a_409_naming_the_field_and_nothing_is_stored(client, admin, sessionmaker):
    await make_product(client, admin, sku="BAT-S21")
    response = await client.post(
        PRODUCTS, json={"name": "Battery", "sku": "BAT-S21", "price": "20.00"}, headers=admin.headers
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "sku"
    listed = await client.get(f"{PRODUCTS}?search=bat-s21", headers=admin.headers)
    assert listed.json()["total"] == 1


async def test_a_receipt_and_adjustments_move_the_stock_and_an_adjustment_cannot_go_below_zero(client, admin):
    product = await make_product(client, admin, stockQuantity=3)
    url = f"{PRODUCTS}/{product['id']}/movements"
    received = await client.post(
        url, json={"kind": "received", "quantity": 12, "unitCost": "40.00"}, headers=admin.headers
    )
    assert received.status_code == 201, received.text
    assert received.json()["onHandAfter"] == 15
    lost = await client.post(
        url, json={"kind": "adjusted", "quantity": -2, "note": "Broken"}, headers=admin.headers
    )
    assert lost.status_code == 201
    too_many = await client.post(url, json={"kind": "adjusted", "quantity": -20}, headers=admin.headers)
    assert too_many.status_code == 409
    assert too_many.json()["available"] == 13
    negative_receipt = await client.post(
        url, json={"kind": "received", "quantity": -1}, headers=admin.headers
    )
    assert negative_receipt.status_code == 400
    sold = await client.post(url, json={"kind": "sold", "quantity": 1}, headers=admin.headers)
    assert sold.status_code == 400  # sales are recorded by orders only
    assert (await get_product(client, admin, product["id"]))["onHand"] == 13


async def test_a_stock_count_in_an_update_is_recorded_as_an_adjustment(client, admin):
    product = await make_product(client, admin, stockQuantity=10)
    response = await client.put(
        f"{PRODUCTS}/{product['id']}", json={"price": "79.90", "stockQuantity": 8}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["price"] == 79.9
    assert response.json()["onHand"] == 8
    ledger = await movements(client, admin, product["id"])
    assert (ledger[0]["kind"], ledger[0]["quantity"], ledger[0]["note"]) == ("adjusted", -2, "Stock count")


async def test_on_hand_equals_the_ledger_sum_after_random_operations(client, app, admin, sessionmaker):
    customer = await make_customer(app, sessionmaker)
    products = [await make_product(client, admin, stockQuantity=20) for _ in range(3)]
    chooser = random.Random(13)
    orders = []
    for _ in range(40):
        product = chooser.choice(products)
        action = chooser.choice(["receive", "adjust", "order", "cancel", "count"])
        if action == "receive":
            await client.post(
                f"{PRODUCTS}/{product['id']}/movements",
                json={"kind": "received", "quantity": chooser.randint(1, 5)},
                headers=admin.headers,
            )
        elif action == "adjust":
            await client.post(
                f"{PRODUCTS}/{product['id']}/movements",
                json={"kind": "adjusted", "quantity": chooser.choice([-3, -1, 2])},
                headers=admin.headers,
            )
        elif action == "order":
            response = await place_order(client, admin, customer.id, (product["id"], chooser.randint(1, 6)))
            assert response.status_code in (201, 409)
            if response.status_code == 201:
                orders.append(response.json()["id"])
        elif action == "cancel" and orders:
            order_id = orders.pop(chooser.randrange(len(orders)))
            await client.patch(
                f"/api/v1/orders/{order_id}/status", json={"status": "cancelled"}, headers=admin.headers
            )
        elif action == "count":
            await client.patch(
                f"{PRODUCTS}/{product['id']}",
                json={"stockQuantity": chooser.randint(0, 30)},
                headers=admin.headers,
            )
    async with transaction(sessionmaker) as session:
        for product in products:
            row = await session.get(Product, uuid.UUID(product["id"]))
            assert row is not None
            assert row.on_hand == await ledger_sum(session, row.id)
            assert row.on_hand >= 0
            assert row.on_hand == (await get_product(client, admin, product["id"]))["onHand"]


async def test_low_stock_is_published_once_per_crossing(client, admin, sessionmaker):
    product = await make_product(client, admin, stockQuantity=5, lowStockThreshold=2)
    url = f"{PRODUCTS}/{product['id']}/movements"

    async def adjust(quantity: int) -> None:
        response = await client.post(
            url, json={"kind": "adjusted", "quantity": quantity}, headers=admin.headers
        )
        assert response.status_code == 201, response.text

    await adjust(-2)  # 3: above
    assert await event_payloads(sessionmaker, "product.low_stock") == []
    await adjust(-1)  # 2: at the threshold, a crossing
    await adjust(-1)  # 1: still low, no new event
    payloads = await event_payloads(sessionmaker, "product.low_stock")
    assert [(p["productId"], p["onHand"], p["lowStockThreshold"]) for p in payloads] == [
        (product["id"], 2, 2)
    ]
    assert (await get_product(client, admin, product["id"]))["lowStock"] is True
    listed = await client.get(f"{PRODUCTS}?lowStock=true", headers=admin.headers)
    assert [item["id"] for item in listed.json()["items"]] == [product["id"]]
    await adjust(4)  # 5: back above
    await adjust(-3)  # 2: a new crossing
    assert len(await event_payloads(sessionmaker, "product.low_stock")) == 2


async def test_deleting_a_product_deactivates_it_and_keeps_its_ledger(client, admin):
    product = await make_product(client, admin)
    response = await client.delete(f"{PRODUCTS}/{product['id']}", headers=admin.headers)
    assert response.status_code == 204
    assert (await get_product(client, admin, product["id"]))["isActive"] is False
    assert len(await movements(client, admin, product["id"])) == 1
    active = await client.get(f"{PRODUCTS}?isActive=true", headers=admin.headers)
    assert product["id"] not in [item["id"] for item in active.json()["items"]]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("technician", 200, 403), ("agent", 200, 403), ("manager", 200, 201)],
)
async def test_who_may_read_and_change_products(client, app, sessionmaker, admin, role, read, write):
    staff = await make_user(app, sessionmaker, role)
    assert (await client.get(PRODUCTS, headers=staff.headers)).status_code == read
    response = await client.post(
        PRODUCTS, json={"name": "Charger", "sku": f"CHG-{role}", "price": "19.00"}, headers=staff.headers
    )
    assert response.status_code == write
