"""Builders for the billing tests: invoices through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Actor


def line(
    description: str = "Screen replacement", quantity: Any = 1, unit_price: Any = "100.00", **extra: Any
):
    return {"description": description, "quantity": quantity, "unitPrice": unit_price, **extra}


async def make_invoice(
    client: httpx.AsyncClient, staff: Actor, customer_id: Any, *lines: dict, **fields: Any
) -> dict:
    body = {"customerId": str(customer_id), "lines": list(lines) or [line()], **fields}
    response = await client.post("/api/v1/invoices", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def finalize(client: httpx.AsyncClient, staff: Actor, invoice_id: str) -> dict:
    response = await client.post(f"/api/v1/invoices/{invoice_id}/finalize", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def pay(
    client: httpx.AsyncClient, staff: Actor, invoice_id: str, amount: Any, method: str = "cash"
) -> Any:
    return await client.post(
        "/api/v1/payments",
        json={"invoice_id": invoice_id, "amount": amount, "method": method},
        headers=staff.headers,
    )


async def get(client: httpx.AsyncClient, staff: Actor, invoice_id: str) -> dict:
    response = await client.get(f"/api/v1/invoices/{invoice_id}", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()
