"""Loading what an import refers to: the brands, repair types, part types, device models and prices the
file names, with a few chunked queries (never one per row)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fixdesk.catalog.models import Brand, DeviceModel, PartType, Pricing, RepairType
from fixdesk.catalog.names import slug_for
from fixdesk.catalog.transfer.parsing import ParsedFile
from fixdesk.catalog.transfer.planning import DEVICE_COMPARED, PRICE_COMPARED, ExistingRecords

SELECT_CHUNK_KEYS = 500


def chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def select_in(
    connection: AsyncConnection, build: Callable[[Sequence[Any]], Select[Any]], keys: Sequence[Any]
) -> list[dict[str, Any]]:
    """The rows (as dicts) of ``build(chunk)`` for every chunk of ``keys``, so an ``IN`` list stays short."""
    rows: list[dict[str, Any]] = []
    for chunk in chunks(keys, SELECT_CHUNK_KEYS):
        rows.extend(dict(row) for row in (await connection.execute(build(chunk))).mappings())
    return rows


async def load_existing(connection: AsyncConnection, parsed: ParsedFile) -> ExistingRecords:
    """The stored brands, repair types, part types, device models and prices that ``parsed`` names."""
    # File cells are cleaned (clean_name), so their lower-cased form is their slug.
    brand_slugs = sorted({row.brand.lower() for row in parsed.rows})
    repair_slugs = sorted({row.price.repair_type.lower() for row in parsed.rows if row.price})
    part_slugs = sorted({row.price.part_type.lower() for row in parsed.rows if row.price})
    brands = Brand.__table__.c
    repair_types = RepairType.__table__.c
    part_types = PartType.__table__.c
    devices = DeviceModel.__table__.c
    prices = Pricing.__table__.c

    brand_rows = await select_in(
        connection,
        lambda chunk: select(brands.id, brands.name, brands.slug).where(brands.slug.in_(chunk)),
        brand_slugs,
    )
    repair_rows = await select_in(
        connection,
        lambda chunk: select(repair_types.id, repair_types.name, repair_types.slug).where(
            repair_types.slug.in_(chunk)
        ),
        repair_slugs,
    )
    part_rows = await select_in(
        connection,
        lambda chunk: select(part_types.id, part_types.name, part_types.slug, part_types.quality).where(
            part_types.slug.in_(chunk)
        ),
        part_slugs,
    )
    wanted_models: dict[str, set[str]] = {}
    for row in parsed.rows:
        wanted_models.setdefault(row.brand.lower(), set()).add(row.model.lower())
    device_map: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    brand_ids = [row["id"] for row in brand_rows]
    device_rows = await select_in(
        connection,
        lambda chunk: select(
            devices.id, devices.brand_id, devices.name, *(devices[name] for name in DEVICE_COMPARED)
        ).where(devices.brand_id.in_(chunk)),
        brand_ids,
    )
    slug_of_brand = {row["id"]: row["slug"] for row in brand_rows}
    for row in device_rows:
        lowered = slug_for(row["name"])
        if lowered not in wanted_models.get(slug_of_brand[row["brand_id"]], ()):
            continue
        key = (row["brand_id"], lowered)
        held = device_map.get(key)
        # The catalog service keeps names unique regardless of case within a brand; should two such rows
        # exist anyway (written before that rule), the older one is used, consistently.
        if held is None or row["id"] < held["id"]:
            device_map[key] = row
    price_rows: list[dict[str, Any]] = []
    if repair_rows and part_rows and device_map:
        device_ids = sorted(row["id"] for row in device_map.values())
        repair_ids = [row["id"] for row in repair_rows]
        part_ids = [row["id"] for row in part_rows]
        price_rows = await select_in(
            connection,
            lambda chunk: select(
                prices.id,
                prices.device_model_id,
                prices.repair_type_id,
                prices.part_type_id,
                prices.part_quality,
                prices.is_estimated,
                prices.confidence_score,
                *(prices[name] for name in PRICE_COMPARED),
            ).where(
                prices.device_model_id.in_(chunk),
                prices.repair_type_id.in_(repair_ids),
                prices.part_type_id.in_(part_ids),
            ),
            device_ids,
        )
    return ExistingRecords(
        brands={row["slug"]: row for row in brand_rows},
        repair_types={row["slug"]: row for row in repair_rows},
        part_types={row["slug"]: row for row in part_rows},
        devices=device_map,
        prices={
            (row["device_model_id"], row["repair_type_id"], row["part_type_id"], row["part_quality"]): row
            for row in price_rows
        },
    )
