"""Builders for the field service tests: staff, technicians, locations and work orders through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Actor, make_user

WEEKDAYS = [
    {"weekday": day, "start": "08:00", "end": "17:00", "breaks": [{"start": "12:00", "end": "12:30"}]}
    for day in range(1, 6)
]


async def make_technician(
    client: httpx.AsyncClient,
    app: Any,
    sessionmaker: Any,
    admin: Actor,
    *,
    first_name: str = "Mike",
    **fields: Any,
) -> tuple[Actor, dict[str, Any]]:
    """A staff user with the technician role and their profile; returns the user and the profile."""
    user = await make_user(app, sessionmaker, "technician", first_name=first_name, last_name="Johnson")
    body = {"userId": str(user.id), "skills": ["Septic"], "workingHours": WEEKDAYS, **fields}
    response = await client.post("/api/v1/technicians", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return user, response.json()


async def make_location(
    client: httpx.AsyncClient, staff: Actor, customer_id: Any, **fields: Any
) -> dict[str, Any]:
    body = {
        "addressLine1": "123 Main St",
        "city": "Austin",
        "latitude": 30.2672,
        "longitude": -97.7431,
        **fields,
    }
    response = await client.post(
        f"/api/v1/customers/{customer_id}/locations", json=body, headers=staff.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def make_work_order(
    client: httpx.AsyncClient, staff: Actor, customer_id: Any, **fields: Any
) -> dict[str, Any]:
    body = {"customerId": str(customer_id), "serviceType": "Pumping", **fields}
    response = await client.post("/api/v1/work-orders", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()
