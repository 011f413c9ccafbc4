"""Builders for the catalog tests: catalog rows made through the catalog API, as a shop would, CSV files
for the import, and the ``catalog.price_changed`` events written."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx

from fixdesk.catalog.events import PRICE_CHANGED
from fixdesk.catalog.transfer import COLUMNS
from tests.factories import Actor, event_payloads

API = "/api/v1/catalog"
IMPORT = f"{API}/import"


def field_errors(response: httpx.Response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


async def post(client: httpx.AsyncClient, actor: Actor, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{API}/{path}", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def brand(client: httpx.AsyncClient, actor: Actor, name: str = "Apple") -> dict[str, Any]:
    return await post(client, actor, "brands", {"name": name})


async def device(
    client: httpx.AsyncClient, actor: Actor, brand_id: str, name: str | None = None, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "brandId": brand_id,
        "name": name or f"Model {uuid.uuid4().hex[:6]}",
        "deviceType": "phone",
        "releaseYear": 2021,
        "tierLevel": 2,
    }
    body.update(fields)
    return await post(client, actor, "device-models", body)


async def repair_type(
    client: httpx.AsyncClient, actor: Actor, name: str = "Screen replacement"
) -> dict[str, Any]:
    return await post(client, actor, "repair-types", {"name": name, "defaultMinutes": 60})


async def part_type(
    client: httpx.AsyncClient, actor: Actor, name: str = "OEM screen", quality: str = "original"
) -> dict[str, Any]:
    return await post(client, actor, "part-types", {"name": name, "quality": quality, "warrantyMonths": 12})


async def price(
    client: httpx.AsyncClient,
    actor: Actor,
    device_id: str,
    repair_type_id: str,
    part_type_id: str,
    amount: str,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "deviceModelId": device_id,
        "repairTypeId": repair_type_id,
        "partTypeId": part_type_id,
        "price": amount,
    }
    body.update(fields)
    return await post(client, actor, "pricing", body)


# --- the CSV import ---------------------------------------------------------------------------------------


def csv_bytes(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> bytes:
    """A catalog CSV with a header row of ``columns`` and ``rows`` (missing cells blank)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


async def upload(
    client: httpx.AsyncClient, actor: Actor, data: bytes, filename: str = "catalog.csv"
) -> httpx.Response:
    """``POST /catalog/import`` of ``data`` as the multipart field ``file``."""
    return await client.post(IMPORT, files={"file": (filename, data, "text/csv")}, headers=actor.headers)


async def imported(
    client: httpx.AsyncClient, actor: Actor, data: bytes, filename: str = "catalog.csv"
) -> dict[str, Any]:
    """The import's answer for ``data``, which must be a 200."""
    response = await upload(client, actor, data, filename)
    assert response.status_code == 200, response.text
    return response.json()


async def price_events(sessionmaker: Any) -> list[dict[str, Any]]:
    """The payloads of the ``catalog.price_changed`` events written, oldest first."""
    return await event_payloads(sessionmaker, PRICE_CHANGED)
