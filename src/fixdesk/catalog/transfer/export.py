"""The export: the price list (optionally with the device models that have no price) as CSV in the import
format, streamed a chunk of rows at a time, so an export imported again reports everything unchanged.
Cells that a spreadsheet would run as a formula are escaped (:func:`~.csv_format.escape_cell`)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.catalog.models import Brand, DeviceModel, PartType, Pricing, RepairType
from fixdesk.catalog.transfer.csv_format import COLUMNS, escape_cell

EXPORT_CHUNK_ROWS = 1_000


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """Which part of the price list to export. ``include_devices_without_prices`` adds one device-only row
    for every matching device model that has no (matching) price, making the file a whole-catalog backup."""

    brand_id: uuid.UUID | None = None
    device_type: str | None = None
    repair_type_id: uuid.UUID | None = None
    include_devices_without_prices: bool = False


def _export_statement(filters: ExportFilters) -> Select[Any]:
    brand = Brand.__table__.c
    device = DeviceModel.__table__.c
    repair = RepairType.__table__.c
    part = PartType.__table__.c
    price = Pricing.__table__.c
    price_condition = price.device_model_id == device.id
    if filters.repair_type_id is not None:
        price_condition = and_(price_condition, price.repair_type_id == filters.repair_type_id)
    joined = DeviceModel.__table__.join(Brand.__table__, brand.id == device.brand_id)
    outer = filters.include_devices_without_prices
    joined = joined.join(Pricing.__table__, price_condition, isouter=outer)
    joined = joined.join(RepairType.__table__, repair.id == price.repair_type_id, isouter=outer)
    joined = joined.join(PartType.__table__, part.id == price.part_type_id, isouter=outer)
    statement = select(
        brand.name.label("brand"),
        device.name.label("model"),
        device.model_number,
        device.release_year,
        device.device_type,
        device.screen_size,
        device.tier_level,
        repair.name.label("repair_type"),
        part.name.label("part_type"),
        price.part_quality,
        price.price,
        price.cost,
        price.valid_from,
        price.valid_until,
        price.notes,
    ).select_from(joined)
    if filters.brand_id is not None:
        statement = statement.where(device.brand_id == filters.brand_id)
    if filters.device_type is not None:
        statement = statement.where(device.device_type == filters.device_type)
    # Brand and model by name, so the file reads like a catalog; ids break ties between equal names.
    return statement.order_by(
        brand.name, brand.id, device.name, device.id, repair.name, part.name, price.part_quality
    )


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _size(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _export_moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A date when the moment is midnight in the shop's zone (how dates are imported), else the exact
    UTC time, so an import of the export reproduces the stored value."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    if local.time() == time():
        return local.date().isoformat()
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _export_record(row: Any, zone: ZoneInfo) -> list[str]:
    return [escape_cell(cell) for cell in _export_cells(row, zone)]


def _export_cells(row: Any, zone: ZoneInfo) -> list[str]:
    return [
        row.brand,
        row.model,
        row.model_number or "",
        "" if row.release_year is None else str(row.release_year),
        row.device_type,
        _size(row.screen_size),
        str(row.tier_level),
        row.repair_type or "",
        row.part_type or "",
        row.part_quality or "",
        _amount(row.price),
        _amount(row.cost),
        _export_moment(row.valid_from, zone),
        _export_moment(row.valid_until, zone),
        row.notes or "",
    ]


async def export_catalog_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: ExportFilters | None = None,
    *,
    timezone: str = "UTC",
) -> AsyncIterator[str]:
    """Yield the price list as CSV text in the import format (header first), a chunk of rows at a time.

    Reads through a server-side cursor (``yield_per``) in a session of its own from ``sessionmaker``, so it
    can run after the request's session has closed (a streaming response) and memory stays flat however
    large the catalog. Rows are ordered by brand, model, repair type, part type and quality; amounts have
    two decimals in the shop currency, dates are ``YYYY-MM-DD`` when they fall on midnight shop time
    (``timezone``) and UTC ISO 8601 times otherwise.
    """
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    async with sessionmaker() as session:
        statement = _export_statement(filters or ExportFilters()).execution_options(
            yield_per=EXPORT_CHUNK_ROWS
        )
        result = await session.stream(statement)
        async for partition in result.partitions():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(_export_record(row, zone) for row in partition)
            yield buffer.getvalue()
