"""Test data for repair lines and quotes: a small catalog, repairs of its devices, and readers of what was
stored (exact Decimals)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from fixdesk.repairs.models import Repair, RepairItem, RepairLabour
from tests.factories import (
    make_catalog_device,
    make_part_type,
    make_price,
    make_repair,
    make_repair_type,
)

TAX_RATE = "8.875"


@dataclass
class Bench:
    """A catalog: an iPhone 13 with a price for a screen replacement (199.00, part cost 80.00); a battery
    replacement priced only on its sibling, the iPhone 13 Pro (89.00), so the estimator prices it for the
    iPhone 13 from the sibling (same brand, type, tier and year: 89.00 with confidence 0.70); and a water
    damage repair priced nowhere, which nothing can price."""

    device: Any
    sibling: Any
    screen: Any
    oled: Any
    battery: Any
    cell: Any
    water: Any
    screen_price: Any
    battery_price: Any


async def make_bench(sessionmaker: Any) -> Bench:
    device = await make_catalog_device(sessionmaker, brand="Apple", name="iPhone 13", release_year=2021)
    sibling = await make_catalog_device(sessionmaker, brand="Apple", name="iPhone 13 Pro", release_year=2021)
    screen = await make_repair_type(sessionmaker, "Screen replacement")
    battery = await make_repair_type(sessionmaker, "Battery replacement")
    water = await make_repair_type(sessionmaker, "Water damage treatment")
    oled = await make_part_type(sessionmaker, "OLED screen", quality="original", warranty_months=6)
    cell = await make_part_type(sessionmaker, "Battery cell", quality="aftermarket_standard")
    screen_price = await make_price(
        sessionmaker,
        device_model_id=device.id,
        repair_type_id=screen.id,
        part_type_id=oled.id,
        part_quality="original",
        price="199.00",
        cost="80.00",
    )
    battery_price = await make_price(
        sessionmaker,
        device_model_id=sibling.id,
        repair_type_id=battery.id,
        part_type_id=cell.id,
        part_quality="aftermarket_standard",
        price="89.00",
    )
    return Bench(device, sibling, screen, oled, battery, cell, water, screen_price, battery_price)


async def catalog_repair(
    client: Any, staff: Any, customer_id: uuid.UUID, bench: Bench, **overrides: Any
) -> dict:
    """A repair of the bench's iPhone 13, picked from the catalog."""
    values: dict[str, Any] = {"deviceModelId": str(bench.device.id)}
    values.update(overrides)
    return await make_repair(client, staff, customer_id, **values)


def exact(response: Any) -> Any:
    """The JSON body with numbers as Decimals, so money compares exactly (``str(...) == "381.04"``)."""
    return json.loads(response.text, parse_float=Decimal, parse_int=Decimal)


async def stored_lines(sessionmaker: Any, repair_id: Any) -> tuple[list[RepairItem], list[RepairLabour]]:
    """The repair's item and labour rows as committed, in position order."""
    identifier = uuid.UUID(str(repair_id))
    async with sessionmaker() as session:
        items = (
            await session.execute(
                select(RepairItem).where(RepairItem.repair_id == identifier).order_by(RepairItem.position)
            )
        ).scalars()
        labour = (
            await session.execute(
                select(RepairLabour)
                .where(RepairLabour.repair_id == identifier)
                .order_by(RepairLabour.position)
            )
        ).scalars()
        return list(items), list(labour)


async def stored_totals(sessionmaker: Any, repair_id: Any) -> tuple[str, str, str | None]:
    """``(subtotal, taxAmount, totalCost)`` of the committed repair as Decimal strings."""
    async with sessionmaker() as session:
        repair = await session.get(Repair, uuid.UUID(str(repair_id)))
        assert repair is not None
        total = str(repair.total_cost) if repair.total_cost is not None else None
        return str(repair.subtotal), str(repair.tax_amount), total
