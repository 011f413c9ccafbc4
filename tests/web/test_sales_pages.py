"""The sales pages of the staff app over HTTP (issue 13, item 9): products with their stock and low-stock
flag, a product's movements and the stock form, the orders list and an order's page (status, payment,
cancel, "Create invoice"), the new-order form and the sales dashboard, under the API's rules and
permissions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixdesk.sales.models import Order
from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.sales.helpers import make_product, place_order

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="10")


@pytest.fixture
async def shop(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    screen = await make_product(
        client,
        manager,
        name="iPhone 13 OLED screen",
        sku="SCR-IP13-OLED",
        price="120.00",
        stockQuantity=3,
        lowStockThreshold=5,
    )
    case = await make_product(
        client, manager, name="Clear case iPhone 13", sku="CASE-IP13", price="15.00", stockQuantity=40
    )
    order = (await place_order(client, agent, customer.id, (case["id"], 2), orderType="online")).json()
    return {
        "manager": manager,
        "agent": agent,
        "technician": technician,
        "customer": customer,
        "screen": screen,
        "case": case,
        "order": order,
    }


async def test_products_list_their_stock_and_flag_the_low_ones(client, shop):
    headers = shop["manager"].headers
    everything = await client.get("/app/products", headers=headers)
    low = await client.get("/app/products?low=1", headers=headers)
    searched = await client.get("/app/products?q=case", headers=headers)
    nothing = await client.get("/app/products?q=walkman", headers=headers)

    assert everything.status_code == 200
    assert 'href="/app/products"' in everything.text  # the menu
    assert 'href="/app/sales"' in everything.text
    assert 'href="/app/orders"' in everything.text
    assert f'data-low-stock="{shop["screen"]["id"]}"' in everything.text
    assert f'data-low-stock="{shop["case"]["id"]}"' not in everything.text
    assert "SCR-IP13-OLED" in low.text
    assert "CASE-IP13" not in low.text
    assert "CASE-IP13" in searched.text
    assert "SCR-IP13-OLED" not in searched.text
    assert "No products here" in nothing.text
    assert "2 products · page 1 of 1" in everything.text


async def test_stock_is_received_and_adjusted_from_the_product_page(client, shop):
    manager, screen = shop["manager"], shop["screen"]
    page = await client.get(f"/app/products/{screen['id']}", headers=manager.headers)
    received = await client.post(
        f"/app/products/{screen['id']}/stock",
        data={"kind": "received", "quantity": "10", "unit_cost": "55.00", "note": "Supplier delivery 4411"},
        headers=manager.headers,
    )
    after = await client.get(received.headers["location"], headers=manager.headers)
    refused = await client.post(
        f"/app/products/{screen['id']}/stock",
        data={"kind": "received", "quantity": "-4"},
        headers=manager.headers,
    )
    agent_page = await client.get(f"/app/products/{screen['id']}", headers=shop["agent"].headers)
    agent_post = await client.post(
        f"/app/products/{screen['id']}/stock",
        data={"kind": "adjusted", "quantity": "-1"},
        headers=shop["agent"].headers,
    )

    assert page.status_code == 200
    assert 'action="/app/products/' in page.text
    assert received.status_code == 303
    assert "The stock movement is recorded." in after.text
    assert '<strong data-figure="on-hand">13</strong>' in after.text
    assert "Supplier delivery 4411" in after.text
    assert refused.status_code == 400
    assert "stock-problem" in refused.text
    assert 'action="/app/products/' not in agent_page.text  # the front desk does not change stock
    assert agent_post.status_code == 403
    assert (
        '<strong data-figure="on-hand">13</strong>'
        in (await client.get(f"/app/products/{screen['id']}", headers=manager.headers)).text
    )


async def test_orders_are_listed_placed_moved_on_cancelled_and_invoiced(client, shop, sessionmaker):
    agent, order = shop["agent"], shop["order"]
    listed = await client.get("/app/orders", headers=agent.headers)
    offline = await client.get("/app/orders?type=offline", headers=agent.headers)
    bad = await client.get("/app/orders?status=lost", headers=agent.headers)
    form = await client.get(f"/app/orders/new?customerId={shop['customer'].id}", headers=agent.headers)
    choices = await client.get("/app/orders/new/customers?search=Nunes", headers=agent.headers)

    assert order["orderNumber"] in listed.text
    assert "Rita Nunes" in listed.text
    assert "No orders here" in offline.text
    assert bad.status_code == 400
    assert "orders-problem" in bad.text
    assert "Clear case iPhone 13" in form.text
    assert 'value="' + str(shop["customer"].id) + '" checked' in form.text
    assert "Rita Nunes" in choices.text

    placed = await client.post(
        "/app/orders/new",
        data={
            "customerId": str(shop["customer"].id),
            "orderType": "offline",
            "paymentStatus": "paid",
            "items.0.productId": shop["screen"]["id"],
            "items.0.quantity": "1",
            "items.1.productId": shop["case"]["id"],
            "items.1.quantity": "3",
        },
        headers=agent.headers,
    )
    assert placed.status_code == 303, placed.text
    page = await client.get(placed.headers["location"], headers=agent.headers)
    assert "The order is placed and its stock reserved." in page.text
    # 120.00 + 3 × 15.00 = 165.00, 10 % tax: 181.50.
    assert '<td class="text-end fw-bold" data-figure="total">' in page.text
    assert "181.50" in page.text
    short = await client.post(
        "/app/orders/new",
        data={
            "customerId": str(shop["customer"].id),
            "items.0.productId": shop["screen"]["id"],
            "items.0.quantity": "9",
        },
        headers=agent.headers,
    )
    assert short.status_code == 409
    assert "order-problem" in short.text
    nobody = await client.post(
        "/app/orders/new", data={"items.0.productId": shop["case"]["id"]}, headers=agent.headers
    )
    assert nobody.status_code == 400

    order_id = placed.headers["location"].split("?")[0].rsplit("/", 1)[1]
    moved = await client.post(
        f"/app/orders/{order_id}/status", data={"status": "processing"}, headers=agent.headers
    )
    assert moved.status_code == 303
    invoiced = await client.post(f"/app/orders/{order_id}/invoice", data={}, headers=agent.headers)
    assert invoiced.status_code == 303
    invoice_page = await client.get(invoiced.headers["location"], headers=agent.headers)
    assert "The draft invoice is ready" in invoice_page.text
    assert "181.50" in invoice_page.text
    again = await client.post(f"/app/orders/{order_id}/invoice", data={}, headers=agent.headers)
    assert "done=existing_order" in again.headers["location"]
    cancelled = await client.post(
        f"/app/orders/{shop['order']['id']}/status", data={"status": "cancelled"}, headers=agent.headers
    )
    assert cancelled.status_code == 303
    refused = await client.post(
        f"/app/orders/{shop['order']['id']}/status", data={"status": "completed"}, headers=agent.headers
    )
    assert refused.status_code == 409
    assert "order-problem" in refused.text
    async with sessionmaker() as session:
        statuses = dict((await session.execute(select(Order.order_number, Order.status))).all())
    assert statuses[shop["order"]["orderNumber"]] == "cancelled"
    shown = await client.get(f"/app/orders/{order_id}", headers=agent.headers)
    assert "Open the invoice" in shown.text
    assert (await client.get("/app/orders", headers=shop["technician"].headers)).status_code == 403


async def test_the_sales_dashboard_shows_the_metrics_charts_and_top_products(client, shop):
    manager = shop["manager"]
    page = await client.get("/app/sales", headers=manager.headers)
    by_day = await client.get("/app/sales?period=day", headers=manager.headers)
    agent = await client.get("/app/sales", headers=shop["agent"].headers)

    assert page.status_code == 200
    assert 'data-metric="totalSales"' in page.text
    assert "33.00" in page.text
    assert 'data-metric="productsSold"' in page.text
    assert 'id="chart-sales-revenue"' in page.text
    assert 'id="chart-sales-visitors"' in page.text
    assert f'data-top-product="{shop["case"]["id"]}"' in page.text
    assert 'id="sales-charts"' in page.text
    assert '"online": ["' in page.text
    assert 'data-live-endpoint="/api/v1/ws"' in page.text
    assert 'aria-current="page">Today by hour' in by_day.text
    assert agent.status_code == 403  # the dashboard needs dashboard:read
