"""Builders of the quote tests: a repair of the bench's iPhone 13 being diagnosed, a standard quote for
it, and direct writes for what has no API (a quote's validity running out)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, update

from fixdesk.db import transaction
from fixdesk.repairs.models import Quote, QuoteItem, QuoteLabour
from tests.factories import walk
from tests.repairs.items.bench import Bench, catalog_repair

# The standard quote: the catalog's screen (199.00), the estimated battery (89.00 − 9.00 discount) and
# 0.75 h of labour at 60.00 (45.00). Subtotal 324.00; 8.875 % tax is 28.755, which rounds half-up to 28.76.
SUBTOTAL, TAX, TOTAL = "324.00", "28.76", "352.76"


def quote_body(bench: Bench, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [
            {"repairTypeId": str(bench.screen.id), "partTypeId": str(bench.oled.id)},
            {"repairTypeId": str(bench.battery.id), "partTypeId": str(bench.cell.id), "discount": "9.00"},
        ],
        "labour": [{"description": "Fitting", "hours": "0.75", "rate": "60.00"}],
        "notes": "Screen and battery; the frame is fine.",
    }
    body.update(overrides)
    return body


async def diagnosing_repair(
    client: Any, staff: Any, customer_id: uuid.UUID, bench: Bench, **overrides: Any
) -> dict:
    repair = await catalog_repair(client, staff, customer_id, bench, **overrides)
    return await walk(client, staff, repair["id"], "diagnosing")


async def create_quote(client: Any, staff: Any, repair_id: str, body: dict[str, Any]) -> dict:
    response = await client.post(f"/api/v1/repairs/{repair_id}/quotes", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def send_quote(client: Any, staff: Any, repair_id: str, quote_id: str) -> dict:
    response = await client.post(f"/api/v1/repairs/{repair_id}/quotes/{quote_id}/send", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def sent_quote(
    client: Any, staff: Any, customer_id: uuid.UUID, bench: Bench, **overrides: Any
) -> tuple[dict, dict]:
    """A repair in ``quoted`` with the standard quote sent; returns ``(repair, quote)``."""
    repair = await diagnosing_repair(client, staff, customer_id, bench)
    quote = await create_quote(client, staff, repair["id"], quote_body(bench, send=True, **overrides))
    return repair, quote


async def set_valid_until(sessionmaker: Any, quote_id: str, valid_until: date) -> None:
    """Move a quote's last valid day (there is no API for backdating a quote, on purpose)."""
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Quote).where(Quote.id == uuid.UUID(quote_id)).values(valid_until=valid_until)
        )


async def stored_quote(sessionmaker: Any, quote_id: str) -> tuple[Quote, list[QuoteItem], list[QuoteLabour]]:
    """A quote and its lines as committed."""
    identifier = uuid.UUID(quote_id)
    async with sessionmaker() as session:
        quote = await session.get(Quote, identifier)
        assert quote is not None
        items = (
            await session.execute(
                select(QuoteItem).where(QuoteItem.quote_id == identifier).order_by(QuoteItem.position)
            )
        ).scalars()
        labour = (
            await session.execute(
                select(QuoteLabour).where(QuoteLabour.quote_id == identifier).order_by(QuoteLabour.position)
            )
        ).scalars()
        return quote, list(items), list(labour)
