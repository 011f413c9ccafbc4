"""Builders shared by the custom-field tests: definitions go through the API, as an admin would make them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from fixdesk.customfields.models import CustomFieldDefinition
from tests.factories import Actor

CUSTOM_FIELDS = "/api/v1/custom-fields"
CUSTOMERS = "/api/v1/customers"
REPAIRS = "/api/v1/repairs"
TIERS = ["gold", "silver", "none"]


async def define(
    client: httpx.AsyncClient, admin: Actor, entity: str, key: str, field_type: str, **extra: Any
) -> dict[str, Any]:
    """Define a custom field through ``POST /custom-fields`` and return the answer."""
    body: dict[str, Any] = {"entity": entity, "key": key, "label": key.replace("_", " ").title()}
    body["type"] = field_type
    body.update(extra)
    response = await client.post(CUSTOM_FIELDS, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def define_every_type(
    client: httpx.AsyncClient, admin: Actor, entity: str, **required: bool
) -> dict[str, dict[str, Any]]:
    """One field of each type on ``entity``: note (text), floor (number), bought_on (date), vip (boolean)
    and tier (select of :data:`TIERS`); ``required`` names the keys to make required."""
    specs: list[tuple[str, str, dict[str, Any]]] = [
        ("note", "text", {}),
        ("floor", "number", {}),
        ("bought_on", "date", {}),
        ("vip", "boolean", {}),
        ("tier", "select", {"options": TIERS}),
    ]
    return {
        key: await define(
            client, admin, entity, key, field_type, position=index, required=required.get(key, False), **extra
        )
        for index, (key, field_type, extra) in enumerate(specs)
    }


def errors_by_field(response: httpx.Response) -> dict[str, str]:
    """``{field: message}`` of a problem-details answer."""
    return {error["field"]: error["message"] for error in response.json().get("errors", [])}


async def stored_custom_fields(sessionmaker: Any, model: Any, record_id: Any) -> dict[str, Any]:
    """The ``custom_fields`` committed on a customer or repair row."""
    async with sessionmaker() as session:
        record = await session.get(model, uuid.UUID(str(record_id)))
        assert record is not None
        return record.custom_fields


async def stored_definition(sessionmaker: Any, definition_id: Any) -> CustomFieldDefinition:
    async with sessionmaker() as session:
        definition = await session.get(CustomFieldDefinition, uuid.UUID(str(definition_id)))
        assert definition is not None
        return definition
