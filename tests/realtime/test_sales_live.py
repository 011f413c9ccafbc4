"""Seed 002's "new order" and "new customer" reach a staff dashboard's WebSocket live (issue 13, item 8),
against the real server started by the CLI."""

from __future__ import annotations

import json

import httpx
from websockets.asyncio.client import connect

from tests.realtime.conftest import (
    Server,
    receive_json,
    staff_login,
    wait_for_event,
    wait_for_reply,
)


async def test_a_sales_dashboard_sees_new_customers_and_orders_live(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as http:
        shop = await staff_login(http)
        async with connect(f"{server.ws_url}?token={shop.staff_token}") as ws:
            assert (await receive_json(ws))["type"] == "ready"
            # The dashboard's own filter: seed 002's new orders and new customers only.
            await ws.send(json.dumps({"type": "subscribe", "events": ["order.created", "customer.created"]}))
            assert (await wait_for_reply(ws, "subscribed"))["events"] == ["order.created", "customer.created"]

            customer = await http.post(
                "/api/v1/customers",
                headers=shop.staff,
                json={"firstName": "Rita", "lastName": "Nunes", "email": "rita.live@example.com"},
            )
            assert customer.status_code == 201, customer.text
            customer_id = customer.json()["id"]
            registered, _ = await wait_for_event(
                ws, lambda m: m["event"] == "customer.created" and m["data"]["id"] == customer_id
            )
            assert registered["data"]["email"] == "rita.live@example.com"

            product = await http.post(
                "/api/v1/products",
                headers=shop.staff,
                json={
                    "name": "Tempered glass iPhone 15",
                    "sku": "GLS-IP15",
                    "price": "9.90",
                    "stockQuantity": 5,
                },
            )
            assert product.status_code == 201, product.text
            order = await http.post(
                "/api/v1/orders",
                headers=shop.staff,
                json={
                    "customerId": customer_id,
                    "items": [{"productId": product.json()["id"], "quantity": 2}],
                },
            )
            assert order.status_code == 201, order.text
            placed, _ = await wait_for_event(
                ws, lambda m: m["event"] == "order.created" and m["data"]["id"] == order.json()["id"]
            )
            assert (placed["data"]["customerName"], placed["data"]["totalAmount"]) == ("Rita Nunes", 19.8)
            assert placed["data"]["orderNumber"] == order.json()["orderNumber"]
