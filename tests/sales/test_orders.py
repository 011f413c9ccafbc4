"""Orders (issue 13, item 2): server-computed prices and totals, refused client totals, ORD numbers,
stock reserved and returned, the lifecycle, events, and the race for the last units on PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from fixdesk.sales.models import Order, StockMovement
from tests.conftest import make_settings
from tests.factories import event_payloads, make_customer, make_user
from tests.sales.helpers import ORDERS, get_product, make_product, movements, place_order

pytestmark = pytest.mark.usefixtures("fixed_clock")  # order numbers carry the shop's year


@pytest.fixture
async def shop(app, sessionmaker, client):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    screen = await make_product(client, admin, price="89.90", stockQuantity=10)
    case = await make_product(client, admin, name="Clear case", price="12.45", stockQuantity=5)
    return {"admin": admin, "customer": customer, "screen": screen, "case": case}


@pytest.fixture
def taxed(tmp_path, database_url, database):
    """An app whose shop charges 8.875 % sales tax."""
    return database.app(make_settings(database_url, tmp_path, tax_rate="8.875"))


async def test_an_order_is_priced_and_totalled_by_the_server_and_reserves_stock(shop, taxed, sessionmaker):
    transport = httpx.ASGITransport(app=taxed, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        admin = shop["admin"]
        response = await place_order(
            client,
            admin,
            shop["customer"].id,
            (shop["screen"]["id"], 2),
            (shop["case"]["id"], 3),
            orderType="online",
        )
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["orderNumber"].startswith("ORD-2026-")
        assert len(order["orderNumber"]) == 15
        assert [(item["quantity"], item["price"], item["lineTotal"]) for item in order["items"]] == [
            (2, 89.9, 179.8),
            (3, 12.45, 37.35),
        ]
        # 217.15 × 8.875 % = 19.272… → 19.27 (rounded once, on the subtotal).
        assert (order["subtotal"], order["taxAmount"], order["totalAmount"]) == (217.15, 19.27, 236.42)
        assert (order["status"], order["paymentStatus"], order["orderType"]) == (
            "pending",
            "unpaid",
            "online",
        )
        assert order["customer"]["firstName"] == "Rita"
        assert (await get_product(client, admin, shop["screen"]["id"]))["onHand"] == 8
        ledger = await movements(client, admin, shop["case"]["id"])
        assert (ledger[0]["kind"], ledger[0]["quantity"], ledger[0]["orderId"]) == ("sold", -3, order["id"])
        agreeing = await place_order(
            client, admin, shop["customer"].id, (shop["case"]["id"], 1), totalAmount="13.55"
        )
        assert agreeing.status_code == 201, agreeing.text
    created = await event_payloads(sessionmaker, "order.created")
    assert next((p["orderNumber"], p["totalAmount"]) for p in created) == (order["orderNumber"], 236.42)


@pytest.mark.parametrize(
    ("field", "body_change"),
    [
        ("items.0.price", {"items": [{"productId": None, "quantity": 1, "price": "1.00"}]}),
        ("totalAmount", {"totalAmount": "1.00"}),
    ],
)
async def test_a_client_price_or_total_that_disagrees_is_a_400_and_nothing_is_stored(
    client, shop, sessionmaker, field, body_change
):
    body = {
        "customerId": str(shop["customer"].id),
        "items": [{"productId": shop["screen"]["id"], "quantity": 1}],
    }
    body.update(copy.deepcopy(body_change))
    for item in body["items"]:
        item["productId"] = item["productId"] or shop["screen"]["id"]
    response = await client.post(ORDERS, json=body, headers=shop["admin"].headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Order))).scalar_one() == 0
    assert (await get_product(client, shop["admin"], shop["screen"]["id"]))["onHand"] == 10


async def test_an_order_for_more_than_is_in_stock_is_a_409_that_reserves_nothing(client, shop):
    response = await place_order(
        client, shop["admin"], shop["customer"].id, (shop["screen"]["id"], 1), (shop["case"]["id"], 6)
    )
    assert response.status_code == 409
    problem = response.json()
    assert (problem["productId"], problem["available"]) == (shop["case"]["id"], 5)
    assert (await get_product(client, shop["admin"], shop["screen"]["id"]))["onHand"] == 10
    assert len(await movements(client, shop["admin"], shop["screen"]["id"])) == 1


async def test_cancelling_returns_the_stock_and_completing_publishes_order_completed(
    client, shop, sessionmaker
):
    admin = shop["admin"]
    first = (await place_order(client, admin, shop["customer"].id, (shop["case"]["id"], 4))).json()
    cancelled = await client.patch(
        f"{ORDERS}/{first['id']}/status", json={"status": "cancelled"}, headers=admin.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["allowedTransitions"] == []
    assert (await get_product(client, admin, shop["case"]["id"]))["onHand"] == 5
    ledger = await movements(client, admin, shop["case"]["id"])
    assert (ledger[0]["kind"], ledger[0]["quantity"]) == ("returned", 4)
    again = await client.patch(
        f"{ORDERS}/{first['id']}/status", json={"status": "processing"}, headers=admin.headers
    )
    assert again.status_code == 409
    assert again.json()["allowed"] == []

    second = (await place_order(client, admin, shop["customer"].id, (shop["case"]["id"], 1))).json()
    processing = await client.patch(
        f"{ORDERS}/{second['id']}/status",
        json={"status": "processing", "paymentStatus": "paid"},
        headers=admin.headers,
    )
    assert (processing.json()["status"], processing.json()["paymentStatus"]) == ("processing", "paid")
    done = await client.patch(
        f"{ORDERS}/{second['id']}/status", json={"status": "completed"}, headers=admin.headers
    )
    assert done.json()["completedAt"] is not None
    refund_unpaid = await client.patch(
        f"{ORDERS}/{first['id']}/status", json={"paymentStatus": "refunded"}, headers=admin.headers
    )
    assert refund_unpaid.status_code == 409
    assert [p["orderNumber"] for p in await event_payloads(sessionmaker, "order.completed")] == [
        second["orderNumber"]
    ]
    updates = await event_payloads(sessionmaker, "order.updated")
    assert [(p["fromStatus"], p["toStatus"], p["changedFields"]) for p in updates] == [
        ("pending", "cancelled", ["status"]),
        ("pending", "processing", ["status", "paymentStatus"]),
        ("processing", "completed", ["status"]),
    ]
    listed = await client.get(f"{ORDERS}?status=completed", headers=admin.headers)
    assert [item["id"] for item in listed.json()["items"]] == [second["id"]]


async def test_an_inactive_product_or_an_unknown_customer_is_a_400(client, shop):
    await client.delete(f"/api/v1/products/{shop['case']['id']}", headers=shop["admin"].headers)
    inactive = await place_order(client, shop["admin"], shop["customer"].id, (shop["case"]["id"], 1))
    assert inactive.status_code == 400
    assert inactive.json()["errors"][0]["field"] == "items.0.productId"
    stranger = await place_order(client, shop["admin"], uuid.uuid4(), (shop["screen"]["id"], 1))
    assert stranger.status_code == 400
    assert stranger.json()["errors"][0]["field"] == "customerId"


async def test_the_front_desk_takes_orders_and_technicians_cannot(client, app, sessionmaker, shop):
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    taken = await place_order(client, agent, shop["customer"].id, (shop["screen"]["id"], 1))
    assert taken.status_code == 201
    refused = await place_order(client, technician, shop["customer"].id, (shop["screen"]["id"], 1))
    assert refused.status_code == 403
    assert (await client.get(ORDERS, headers=technician.headers)).status_code == 403


@pytest.mark.commits  # fifty requests at once, each on its own connection
async def test_fifty_concurrent_orders_for_the_last_ten_units_give_ten_orders_and_forty_409s(
    client, app, sessionmaker
):
    if app.state.settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    product = await make_product(client, admin, stockQuantity=10, lowStockThreshold=0)

    responses = await asyncio.gather(
        *(place_order(client, admin, customer.id, (product["id"], 1)) for _ in range(50))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 10 + [409] * 40, [r.text for r in responses if r.status_code not in (201, 409)]
    refusal = next(response.json() for response in responses if response.status_code == 409)
    assert refusal["code"] == "CONFLICT"
    assert refusal["available"] == 0
    numbers = sorted(response.json()["orderNumber"] for response in responses if response.status_code == 201)
    assert [int(number[-6:]) for number in numbers] == list(range(1, 11))  # gap-free: refusals rolled back
    assert (await get_product(client, admin, product["id"]))["onHand"] == 0
    async with sessionmaker() as session:
        sold = await session.execute(
            select(func.count(), func.sum(StockMovement.quantity)).where(
                StockMovement.product_id == uuid.UUID(product["id"]), StockMovement.kind == "sold"
            )
        )
        assert tuple(sold.one()) == (10, -10)
    assert len(await event_payloads(sessionmaker, "product.low_stock")) == 1


async def test_the_order_list_reads_a_fixed_number_of_statements_whatever_its_length(
    client, shop, statement_counter
):
    admin = shop["admin"]
    counts = {}
    for total in (2, 8):
        while True:
            listed = await client.get(f"{ORDERS}?pageSize=100", headers=admin.headers)
            if listed.json()["total"] >= total:
                break
            await place_order(client, admin, shop["customer"].id, (shop["screen"]["id"], 1))
        statement_counter.reset()
        response = await client.get(f"{ORDERS}?pageSize=100", headers=admin.headers)
        assert len(response.json()["items"]) == total
        counts[total] = statement_counter.count
    assert counts[8] == counts[2], statement_counter.statements
