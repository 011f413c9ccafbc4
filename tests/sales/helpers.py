"""Builders for the sales tests, through the API."""

from __future__ import annotations

from typing import Any

from tests.factories import Actor

PRODUCTS = "/api/v1/products"
ORDERS = "/api/v1/orders"

_counter = iter(range(1, 1_000_000))


async def make_product(client: Any, staff: Actor, **fields: Any) -> dict[str, Any]:
    number = next(_counter)
    body = {
        "name": f"iPhone 13 screen {number}",
        "sku": f"SCR-IP13-{number:05d}",
        "price": "89.90",
        "cost": "41.00",
        "category": "Screens",
        "lowStockThreshold": 2,
        "stockQuantity": 10,
        **fields,
    }
    response = await client.post(PRODUCTS, json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def get_product(client: Any, staff: Actor, product_id: str) -> dict[str, Any]:
    response = await client.get(f"{PRODUCTS}/{product_id}", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def movements(client: Any, staff: Actor, product_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{PRODUCTS}/{product_id}/movements?pageSize=100", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def place_order(client: Any, staff: Actor, customer_id: Any, *lines: tuple[str, int], **fields: Any):
    body = {
        "customerId": str(customer_id),
        "items": [{"productId": product_id, "quantity": quantity} for product_id, quantity in lines],
        **fields,
    }
    return await client.post(ORDERS, json=body, headers=staff.headers)
