"""Writing an import's plan: chunked multi-row ``INSERT … ON CONFLICT`` statements for brands, repair
types, part types, device models and prices, with the price-history rows and ``catalog.price_changed``
events of the created and changed prices, in batches that each commit on their own
(:func:`write_batches`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fixdesk.catalog.events import PRICE_CHANGED, PriceChangedPayload
from fixdesk.catalog.models import (
    Brand,
    DeviceModel,
    PartType,
    PriceChangeSource,
    PriceHistory,
    Pricing,
    RepairType,
)
from fixdesk.catalog.names import device_search_text
from fixdesk.catalog.transfer.csv_format import DEFAULT_WARRANTY_MONTHS
from fixdesk.catalog.transfer.loading import chunks, select_in
from fixdesk.catalog.transfer.planning import (
    DEVICE_COMPARED,
    PRICE_COMPARED,
    DevicePlan,
    NamedPlan,
    Planner,
    PricePlan,
)
from fixdesk.catalog.transfer.report import ImportCounts, ImportProgress, ImportReport
from fixdesk.db import new_id
from fixdesk.platform.events import publish_many

WRITE_CHUNK_ROWS = 1_000


def _insert(connection: AsyncConnection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def _write_named(
    connection: AsyncConnection,
    table: Table,
    created: list[NamedPlan],
    counts: ImportCounts,
    now: datetime,
    columns: Callable[[NamedPlan], dict[str, Any]],
    progress: ImportProgress,
) -> None:
    """Insert new brands / repair types / part types (``created``, in slug order; ``columns``: the values
    of the table's own columns besides id, name, slug, active flag and times); one created meanwhile by
    someone else is used as is (and counted unchanged)."""
    if not created:
        return
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_nothing(index_elements=["slug"]).returning(table.c.id, table.c.slug)
    inserted: dict[str, uuid.UUID] = {}
    for chunk in chunks(created, WRITE_CHUNK_ROWS):
        rows = [
            {
                "id": plan.id,
                "name": plan.name,
                "slug": plan.slug,
                **columns(plan),
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for plan in chunk
        ]
        result = await connection.execute(statement, rows)
        inserted.update({row.slug: row.id for row in result})
        progress.advance(len(chunk))
    raced = [plan.slug for plan in created if plan.slug not in inserted]
    if raced:
        found = await select_in(
            connection, lambda chunk: select(table.c.id, table.c.slug).where(table.c.slug.in_(chunk)), raced
        )
        inserted.update({row["slug"]: row["id"] for row in found})
    for plan in created:
        plan.id = inserted[plan.slug]
    counts.created += len(created) - len(raced)
    counts.unchanged += len(raced)


WriteBatch = Callable[[AsyncSession], Awaitable[None]]
"""One batch of an import's writes, run in a transaction of its own (see :func:`write_batches`)."""


def write_batches(
    planner: Planner,
    report: ImportReport,
    *,
    changed_by_id: uuid.UUID | None,
    reason: str,
    progress: ImportProgress,
    batch_rows: int,
) -> list[WriteBatch]:
    """What ``planner`` decided, as batches of at most ``batch_rows`` records to write in order, each in
    its own transaction: new brands, repair types and part types, then device models, then prices with
    their price-history rows and events (a price and its history always share a transaction). Fills in
    ``report``'s counts now, from the plan, so they are exact however the batches are committed. Each
    batch is idempotent (``INSERT … ON CONFLICT``): after an interruption, importing the file again
    writes only what is missing."""
    now = planner.now
    brand_plans = list(planner.brands.values())
    device_plans = list(planner.devices.values())
    price_plans = list(planner.prices.values())

    # In key order, so concurrent imports lock rows in the same order (no deadlock between them).
    device_writes = sorted(
        (plan for plan in device_plans if plan.current is None or plan.values != plan.current),
        key=lambda plan: (str(plan.brand.id), plan.name),
    )
    price_writes = sorted(
        (plan for plan in price_plans if plan.current is None or _price_changed(plan)),
        key=lambda plan: (
            str(plan.device.id),
            str(plan.repair_type.id),
            str(plan.part_type.id),
            plan.quality,
        ),
    )
    history_count = sum(1 for plan in price_writes if _money_changed(plan))
    new_named = sum(
        1
        for plans in (planner.brands, planner.repair_types, planner.part_types)
        for plan in plans.values()
        if not plan.exists
    )
    progress.stage("writing", new_named + len(device_writes) + len(price_writes) + history_count)

    report.device_models.created = sum(1 for plan in device_plans if plan.current is None)
    report.device_models.updated = len(device_writes) - report.device_models.created
    report.device_models.unchanged = len(device_plans) - len(device_writes)
    report.prices.created = sum(1 for plan in price_plans if plan.current is None)
    report.prices.updated = len(price_writes) - report.prices.created
    report.prices.unchanged = len(price_plans) - len(price_writes)
    report.price_history = history_count

    named: tuple[tuple[Table, list[NamedPlan], ImportCounts, Callable[[NamedPlan], dict[str, Any]]], ...] = (
        (Brand.__table__, brand_plans, report.brands, lambda plan: {}),
        (
            RepairType.__table__,
            list(planner.repair_types.values()),
            report.repair_types,
            lambda plan: {"description": None, "default_minutes": None},
        ),
        (
            PartType.__table__,
            list(planner.part_types.values()),
            report.part_types,
            lambda plan: {
                "quality": plan.quality,
                "warranty_months": DEFAULT_WARRANTY_MONTHS,
                "description": None,
            },
        ),
    )
    batches: list[WriteBatch] = []
    for table, plans, counts, columns in named:
        counts.unchanged += sum(1 for plan in plans if plan.exists)
        created = sorted((plan for plan in plans if not plan.exists), key=lambda plan: plan.slug)
        for chunk in chunks(created, batch_rows):
            batches.append(_named_batch(table, list(chunk), counts, now, columns, progress))
    for chunk in chunks(device_writes, batch_rows):
        batches.append(_devices_batch(list(chunk), now, progress))
    for chunk in chunks(price_writes, batch_rows):
        batches.append(
            _prices_batch(list(chunk), now, changed_by_id=changed_by_id, reason=reason, progress=progress)
        )
    return batches


def _named_batch(
    table: Table,
    created: list[NamedPlan],
    counts: ImportCounts,
    now: datetime,
    columns: Callable[[NamedPlan], dict[str, Any]],
    progress: ImportProgress,
) -> WriteBatch:
    async def write(session: AsyncSession) -> None:
        await _write_named(await session.connection(), table, created, counts, now, columns, progress)

    return write


def _devices_batch(device_writes: list[DevicePlan], now: datetime, progress: ImportProgress) -> WriteBatch:
    async def write(session: AsyncSession) -> None:
        await _write_devices(await session.connection(), device_writes, now, progress)

    return write


def _prices_batch(
    price_writes: list[PricePlan],
    now: datetime,
    *,
    changed_by_id: uuid.UUID | None,
    reason: str,
    progress: ImportProgress,
) -> WriteBatch:
    async def write(session: AsyncSession) -> None:
        await _write_prices(await session.connection(), price_writes, now, progress)
        history_plans = [plan for plan in price_writes if _money_changed(plan)]
        await _write_history(
            session, history_plans, now, changed_by_id=changed_by_id, reason=reason, progress=progress
        )

    return write


async def _write_devices(
    connection: AsyncConnection, device_writes: list[DevicePlan], now: datetime, progress: ImportProgress
) -> None:
    """Upsert new and changed device models in chunks; RETURNING gives the ids that hold (a model created
    meanwhile by someone else keeps its id and takes these values)."""
    if not device_writes:
        return
    table = DeviceModel.__table__
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=["brand_id", "name"],
        set_={
            **{name: statement.excluded[name] for name in DEVICE_COMPARED},
            "search_text": statement.excluded.search_text,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(table.c.id, table.c.brand_id, table.c.name)
    for chunk in chunks(device_writes, WRITE_CHUNK_ROWS):
        rows = []
        for plan in chunk:
            values = plan.values
            rows.append(
                {
                    "id": plan.id,
                    "brand_id": plan.brand.id,
                    "name": plan.name,
                    "model_number": values.get("model_number"),
                    "release_year": values.get("release_year"),
                    "device_type": values["device_type"],
                    "screen_size": values.get("screen_size"),
                    "tier_level": values["tier_level"],
                    "is_active": True,
                    "search_text": device_search_text(plan.brand.name, plan.name, values.get("model_number")),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        result = await connection.execute(statement, rows)
        ids = {(row.brand_id, row.name): row.id for row in result}
        for plan in chunk:
            plan.id = ids[(plan.brand.id, plan.name)]
        progress.advance(len(chunk))


async def _write_prices(
    connection: AsyncConnection, price_writes: list[PricePlan], now: datetime, progress: ImportProgress
) -> None:
    """Upsert new and changed prices in chunks (a changed price keeps its id) and note each one's id."""
    if not price_writes:
        return
    table = Pricing.__table__
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=["device_model_id", "repair_type_id", "part_type_id", "part_quality"],
        set_={
            **{name: statement.excluded[name] for name in PRICE_COMPARED},
            "is_estimated": statement.excluded.is_estimated,
            "confidence_score": statement.excluded.confidence_score,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(
        table.c.id,
        table.c.device_model_id,
        table.c.repair_type_id,
        table.c.part_type_id,
        table.c.part_quality,
    )
    for chunk in chunks(price_writes, WRITE_CHUNK_ROWS):
        rows = [_price_row(plan, now) for plan in chunk]
        result = await connection.execute(statement, rows)
        ids = {
            (row.device_model_id, row.repair_type_id, row.part_type_id, row.part_quality): row.id
            for row in result
        }
        for plan in chunk:
            plan.id = ids[(plan.device.id, plan.repair_type.id, plan.part_type.id, plan.quality)]
        progress.advance(len(chunk))


async def _write_history(
    session: AsyncSession,
    history_plans: list[PricePlan],
    now: datetime,
    *,
    changed_by_id: uuid.UUID | None,
    reason: str,
    progress: ImportProgress,
) -> None:
    """A price-history row (source ``import``) and a ``catalog.price_changed`` event for every created
    price and every price whose amount or cost changed."""
    if not history_plans:
        return
    connection = await session.connection()
    history = PriceHistory.__table__
    for chunk in chunks(history_plans, WRITE_CHUNK_ROWS):
        await connection.execute(
            history.insert(),
            [
                {
                    "id": new_id(),
                    "pricing_id": plan.id,
                    "old_price": plan.current["price"] if plan.current is not None else None,
                    "new_price": plan.values["price"],
                    "old_cost": plan.current["cost"] if plan.current is not None else None,
                    "new_cost": plan.values["cost"],
                    "source": PriceChangeSource.import_.value,
                    "changed_by_id": changed_by_id,
                    "reason": f"{reason}, line {plan.line}"[:500],
                    "created_at": now,
                }
                for plan in chunk
            ],
        )
        progress.advance(len(chunk))
    # One catalog.price_changed event per history row, as for a change through the API.
    await publish_many(
        session,
        PRICE_CHANGED,
        [
            PriceChangedPayload(
                pricing_id=plan.id,
                device_model_id=plan.device.id,
                repair_type_id=plan.repair_type.id,
                part_type_id=plan.part_type.id,
                part_quality=plan.quality,
                old_price=plan.current["price"] if plan.current is not None else None,
                new_price=plan.values["price"],
                source=PriceChangeSource.import_.value,
                is_estimated=False,
                reason=f"{reason}, line {plan.line}"[:500],
            )
            for plan in history_plans
        ],
        actor_id=changed_by_id,
    )


def _price_changed(plan: PricePlan) -> bool:
    assert plan.current is not None
    return any(plan.values[name] != plan.current[name] for name in PRICE_COMPARED)


def _money_changed(plan: PricePlan) -> bool:
    """Whether the plan creates the price or changes its amount or cost (what the price history records)."""
    current = plan.current
    return current is None or any(plan.values[name] != current[name] for name in ("price", "cost"))


def _price_row(plan: PricePlan, now: datetime) -> dict[str, Any]:
    values = plan.values
    current = plan.current
    # A price the shop sets itself replaces an estimate saved earlier; a change of dates or notes does not.
    estimated = False if _money_changed(plan) else bool(current and current["is_estimated"])
    return {
        "id": current["id"] if current is not None else new_id(),
        "device_model_id": plan.device.id,
        "repair_type_id": plan.repair_type.id,
        "part_type_id": plan.part_type.id,
        "part_quality": plan.quality,
        "price": values["price"],
        "cost": values["cost"],
        "is_active": True,
        "is_estimated": estimated,
        "confidence_score": current["confidence_score"] if estimated and current is not None else None,
        "valid_from": values["valid_from"],
        "valid_until": values["valid_until"],
        "notes": values["notes"],
        "created_at": now,
        "updated_at": now,
    }
