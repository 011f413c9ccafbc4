"""Builders for the warranty tests.

Line items are written as rows through the ORM (:func:`add_item`): the tests need lines with a cost, a
part type and serial numbers on repairs in any state, independent of the line-item endpoints.

Warranties are follow-up work of the ``repair.completed`` event, done by the job worker: after completing
a repair a test runs the worker until no job is due (:func:`tests.factories.settle`), as the server's worker would soon
after the request."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.db import transaction
from fixdesk.repairs.models import Repair, RepairItem, Warranty, WarrantyClaim
from tests.factories import (
    TO_COMPLETED,
    Actor,
    make_customer,
    make_part_type,
    make_repair,
    make_repair_type,
    make_user,
    settle,
    walk,
)


async def add_item(
    sessionmaker: async_sessionmaker[AsyncSession],
    repair_id: str | uuid.UUID,
    *,
    part_type: Any = None,
    repair_type: Any = None,
    description: str = "Screen replacement",
    quantity: int = 1,
    unit_price: str = "129.00",
    unit_cost: str | None = "42.50",
    part_quality: str | None = None,
    removed_serial: str | None = None,
    installed_serial: str | None = None,
    position: int = 0,
    price_source: str = "manual",
) -> RepairItem:
    """A line item of the repair, written as a row; returns it."""
    price = Decimal(unit_price)
    async with transaction(sessionmaker) as session:
        item = RepairItem(
            repair_id=uuid.UUID(str(repair_id)),
            position=position,
            repair_type_id=repair_type.id if repair_type is not None else None,
            part_type_id=part_type.id if part_type is not None else None,
            part_quality=part_quality,
            description=description,
            quantity=quantity,
            unit_price=price,
            unit_cost=Decimal(unit_cost) if unit_cost is not None else None,
            discount=Decimal("0.00"),
            line_total=price * quantity,
            price_source=price_source,
            removed_serial=removed_serial,
            installed_serial=installed_serial,
        )
        session.add(item)
    return item


async def warranties_of(sessionmaker: async_sessionmaker[AsyncSession], repair_id: Any) -> list[Warranty]:
    """The repair's warranty rows as committed, in creation order."""
    async with sessionmaker() as session:
        statement = (
            select(Warranty)
            .where(Warranty.repair_id == uuid.UUID(str(repair_id)))
            .order_by(Warranty.created_at, Warranty.id)
        )
        return list((await session.execute(statement)).scalars())


async def claims_of(sessionmaker: async_sessionmaker[AsyncSession]) -> list[WarrantyClaim]:
    async with sessionmaker() as session:
        statement = select(WarrantyClaim).order_by(WarrantyClaim.created_at, WarrantyClaim.id)
        return list((await session.execute(statement)).scalars())


async def set_warranty_dates(
    sessionmaker: async_sessionmaker[AsyncSession], warranty_id: Any, *, starts_on: date, ends_on: date
) -> None:
    """Back-date a warranty (there is no API for it on purpose, so the test writes the row)."""
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Warranty)
            .where(Warranty.id == uuid.UUID(str(warranty_id)))
            .values(starts_on=starts_on, ends_on=ends_on)
        )


async def set_status(sessionmaker: async_sessionmaker[AsyncSession], repair_id: Any, status: str) -> None:
    """Put a repair in ``status`` directly (to reach states the lifecycle has no path back to)."""
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Repair).where(Repair.id == uuid.UUID(str(repair_id))).values(status=status)
        )


class Bench:
    """A shop with an admin, a customer, a repair type and a part type with a 6-month warranty."""

    def __init__(self, client: Any, app: Any, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.client = client
        self.app = app
        self.sessionmaker = sessionmaker
        self.admin: Actor
        self.customer: Actor
        self.repair_type: Any
        self.part_type: Any

    async def setup(self) -> Bench:
        self.admin = await make_user(self.app, self.sessionmaker, "admin")
        self.customer = await make_customer(self.app, self.sessionmaker)
        self.repair_type = await make_repair_type(self.sessionmaker, "Screen replacement")
        self.part_type = await make_part_type(
            self.sessionmaker, "OLED screen", quality="original", warranty_months=6
        )
        return self

    async def settle(self) -> int:
        """Let the worker do the follow-up work of the requests so far (:func:`tests.factories.settle`)."""
        return await settle(self.app)

    async def completed_repair(self, **item: Any) -> tuple[dict, Warranty]:
        """A repair with one screen line (serials F-OLD → F-NEW), completed and its follow-up work done;
        returns it and its warranty."""
        repair = await make_repair(self.client, self.admin, self.customer.id)
        values: dict[str, Any] = {
            "part_type": self.part_type,
            "repair_type": self.repair_type,
            "removed_serial": "F-OLD-1",
            "installed_serial": "F-NEW-1",
        }
        values.update(item)
        await add_item(self.sessionmaker, repair["id"], **values)
        completed = await walk(self.client, self.admin, repair["id"], *TO_COMPLETED)
        await self.settle()
        [warranty] = await warranties_of(self.sessionmaker, repair["id"])
        return completed, warranty


async def make_bench(client: Any, app: Any, sessionmaker: async_sessionmaker[AsyncSession]) -> Bench:
    return await Bench(client, app, sessionmaker).setup()
