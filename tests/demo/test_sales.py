"""The demo shop's sales (fixdesk.demo.sales): 300 parts and accessories whose stock is the sum of their
ledger, a year of orders priced and numbered like the service does it, online and at the counter, and the
website's visitors; the dashboard and the pages read them. Loaded once per backend for a fixed moment."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fixdesk.customers.models import Customer
from fixdesk.demo.loader import load_demo
from fixdesk.platform.numbering import NumberSequence
from fixdesk.repairs.items import totals as money
from fixdesk.sales.models import Order, OrderItem, Product, StockMovement, Visit
from tests.conftest import make_settings
from tests.demo.conftest import DEMO_NOW
from tests.factories import make_user

pytestmark = pytest.mark.commits

ZONE = "America/Chicago"
NUMBER = re.compile(r"^ORD-(\d{4})-(\d{6})$")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, rate_limit_auth="1000/minute", tax_rate=Decimal("8.25"), shop_timezone=ZONE
    )


def aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_the_demo_shop_sells_parts_and_accessories_all_year(
    engine, app, client, sessionmaker, settings, demo_clock
):
    # The shop's sales only: the field team, the books and the marketing are other modules' tests.
    summary = await load_demo(settings, scale=1, now=DEMO_NOW, sections=("sales",))
    async with engine.connect() as connection:

        async def rows(table):
            return (await connection.execute(select(table))).mappings().all()

        products = {row["id"]: row for row in await rows(Product.__table__)}
        movements = await rows(StockMovement.__table__)
        orders = await rows(Order.__table__)
        items = await rows(OrderItem.__table__)
        visits = await rows(Visit.__table__)
        customers = dict((await connection.execute(select(Customer.id, Customer.created_at))).all())
        sequences = {
            row.year: row.last_value
            for row in await connection.execute(select(NumberSequence).where(NumberSequence.prefix == "ORD"))
        }

    # The catalogue: 300 products with unique SKUs, real names, costs below prices.
    assert (summary.products, len(products)) == (300, 300)
    by_sku = {row["sku"]: row for row in products.values()}
    assert len(by_sku) == 300
    assert by_sku["SCR-IP13"]["name"] == "iPhone 13 OLED screen assembly"
    assert by_sku["SCR-IP13"]["category"] == "Screens"
    assert by_sku["CBL-C-LTG-1M"]["price"] == Decimal("14.99")
    assert by_sku["LBAT-MBA-A2337"]["name"] == 'MacBook Air 13" (M1, A2337) Battery'
    assert all(row["cost"] < row["price"] for row in products.values())
    assert {"Screens", "Batteries", "Cases", "Chargers", "Laptop batteries", "Storage"} <= {
        row["category"] for row in products.values()
    }

    # Stock: on hand is the ledger's sum, the running figure never below zero, the low flag where it is low.
    ledger = defaultdict(list)
    for movement in movements:
        ledger[movement["product_id"]].append(movement)
    for product_id, product in products.items():
        own = sorted(ledger[product_id], key=lambda row: (aware(row["created_at"]), row["on_hand_after"]))
        assert sum(row["quantity"] for row in own) == product["on_hand"]
        assert own[0]["kind"] == "received"
        assert all(row["on_hand_after"] >= 0 for row in own)
        assert product["low_stock"] == (product["on_hand"] <= product["low_stock_threshold"])
    low = [row for row in products.values() if row["low_stock"]]
    assert 10 <= len(low) <= 40
    assert Counter(row["kind"] for row in movements).keys() == {"received", "sold", "returned", "adjusted"}

    # Orders: a year of them, online and at the counter, numbered gap-free per shop year.
    assert summary.orders == len(orders) == 1197
    assert summary.order_items == len(items)
    zone = ZoneInfo(ZONE)
    numbers = defaultdict(list)
    for order in sorted(orders, key=lambda row: (aware(row["created_at"]), row["order_number"])):
        year, value = NUMBER.match(order["order_number"]).groups()
        assert int(year) == aware(order["created_at"]).astimezone(zone).year
        numbers[int(year)].append(int(value))
    assert sequences == {year: len(values) for year, values in numbers.items()}
    assert all(values == list(range(1, len(values) + 1)) for values in numbers.values())
    placed = [aware(order["created_at"]) for order in orders]
    assert DEMO_NOW - timedelta(days=366) < min(placed)
    assert max(placed) <= DEMO_NOW
    kinds = Counter(order["order_type"] for order in orders)
    assert 0.25 < kinds["online"] / len(orders) < 0.45
    statuses = Counter(order["status"] for order in orders)
    assert statuses["completed"] > 0.85 * len(orders)
    assert 0 < statuses["cancelled"] < 0.1 * len(orders)
    assert statuses["pending"] + statuses["processing"] > 0
    payments = Counter(order["payment_status"] for order in orders)
    assert payments.keys() == {"paid", "unpaid", "refunded"}

    # Each order's lines priced and taxed by the service's rule, for a customer who was one by then.
    lines = defaultdict(list)
    for item in items:
        lines[item["order_id"]].append(item)
        assert item["line_total"] == money.item_total(item["quantity"], item["unit_price"])
        assert item["unit_price"] == products[item["product_id"]]["price"]
    sold = Counter()
    for order in orders:
        totals = money.compute_totals([item["line_total"] for item in lines[order["id"]]], Decimal("8.25"))
        assert (order["subtotal"], order["tax_amount"], order["total"]) == (
            totals.subtotal,
            totals.tax_amount,
            totals.total,
        )
        assert aware(customers[order["customer_id"]]) <= aware(order["created_at"])
        if order["status"] in ("pending", "processing"):
            assert aware(order["created_at"]) > DEMO_NOW - timedelta(days=3)
        for item in lines[order["id"]]:
            sold[item["product_id"]] += item["quantity"]
    # Every unit ordered left the stock once; the cancelled orders' units came back.
    taken = Counter()
    returned = Counter()
    for movement in movements:
        if movement["kind"] == "sold":
            taken[movement["product_id"]] -= movement["quantity"]
        if movement["kind"] == "returned":
            returned[movement["order_id"]] += movement["quantity"]
    assert taken == sold
    cancelled = {order["id"] for order in orders if order["status"] == "cancelled"}
    assert set(returned) == cancelled

    # 90 days of visitors, some coming back.
    assert len({row["visited_on"] for row in visits}) == 90
    assert len(visits) > 90 * 30

    # The dashboard and the pages read them.
    manager = await make_user(app, sessionmaker, "manager")
    metrics = (await client.get("/api/v1/dashboard/metrics", headers=manager.headers)).json()
    assert metrics["totalOrders"]["value"] > 50
    assert metrics["productsSold"]["value"] > 50
    top = (await client.get("/api/v1/dashboard/top-products?limit=3", headers=manager.headers)).json()
    assert len(top) == 3
    low_page = await client.get("/app/products?low=1", headers=manager.headers)
    assert f"{len(low)} products · page 1 of" in low_page.text
    placed_order = await client.post(
        "/api/v1/orders",
        json={
            "customerId": str(orders[0]["customer_id"]),
            "items": [{"productId": str(by_sku["CBL-C-C-1M"]["id"]), "quantity": 1}],
        },
        headers=manager.headers,
    )
    assert placed_order.status_code == 201, placed_order.text
    year = DEMO_NOW.astimezone(zone).year
    assert placed_order.json()["orderNumber"] == f"ORD-{year}-{sequences[year] + 1:06d}"
