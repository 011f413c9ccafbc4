"""Repair types and part types: list, read, create, change and deactivate. Names are unique regardless of
case (``slug``); a part type has a quality grade and a warranty in months."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog.models import PartType, RepairType
from fixdesk.catalog.names import clean_name, slug_for
from fixdesk.catalog.schemas import (
    PartTypeCreate,
    PartTypeRead,
    PartTypeUpdate,
    RepairTypeCreate,
    RepairTypeRead,
    RepairTypeUpdate,
)
from fixdesk.catalog.service.cache import CatalogCache, cache_key, invalidate_catalog_cache
from fixdesk.catalog.service.common import add_named, deactivate, ensure_slug_free, named_rows_statement
from fixdesk.db import utcnow
from fixdesk.platform.errors import NotFound, reject_nulls
from fixdesk.platform.pagination import PageParams


@dataclass(frozen=True)
class TypeFilters:
    """What the repair-type or part-type list is narrowed to; ``quality`` applies to part types only."""

    search: str | None = None
    is_active: bool | None = None
    quality: str | None = None


def repair_types_statement(filters: TypeFilters) -> Select[Any]:
    """The repair types matching ``filters``, by name."""
    return named_rows_statement(RepairType, filters.search, filters.is_active)


def part_types_statement(filters: TypeFilters) -> Select[Any]:
    """The part types matching ``filters``, by name."""
    statement = named_rows_statement(PartType, filters.search, filters.is_active)
    if filters.quality is not None:
        statement = statement.where(PartType.quality == filters.quality)
    return statement


async def _get_named(session: AsyncSession, model: Any, row_id: uuid.UUID, label: str) -> Any:
    row = await session.get(model, row_id)
    if row is None:
        raise NotFound(f"{label} {row_id} not found.")
    return row


async def get_repair_type(session: AsyncSession, repair_type_id: uuid.UUID) -> RepairType:
    """One repair type; raises :class:`NotFound` (404)."""
    return await _get_named(session, RepairType, repair_type_id, "Repair type")


async def get_part_type(session: AsyncSession, part_type_id: uuid.UUID) -> PartType:
    """One part type; raises :class:`NotFound` (404)."""
    return await _get_named(session, PartType, part_type_id, "Part type")


async def read_repair_types(
    session: AsyncSession, cache: CatalogCache, filters: TypeFilters, params: PageParams
) -> dict[str, Any]:
    """A page of repair types by name (JSON-able ``Page[RepairTypeRead]``), cached."""
    key = cache_key("repair-types:list", asdict(filters), params.model_dump())
    return await cache.read_page(
        session, key, lambda: repair_types_statement(filters), params, RepairTypeRead
    )


async def read_repair_type(
    session: AsyncSession, cache: CatalogCache, repair_type_id: uuid.UUID
) -> dict[str, Any]:
    """One repair type (JSON-able ``RepairTypeRead``), cached; raises :class:`NotFound` (404)."""
    key = f"repair-types:get:{repair_type_id}"
    return await cache.read_record(
        session, key, lambda reader: get_repair_type(reader, repair_type_id), RepairTypeRead
    )


async def read_part_types(
    session: AsyncSession, cache: CatalogCache, filters: TypeFilters, params: PageParams
) -> dict[str, Any]:
    """A page of part types by name (JSON-able ``Page[PartTypeRead]``), cached."""
    key = cache_key("part-types:list", asdict(filters), params.model_dump())
    return await cache.read_page(session, key, lambda: part_types_statement(filters), params, PartTypeRead)


async def read_part_type(
    session: AsyncSession, cache: CatalogCache, part_type_id: uuid.UUID
) -> dict[str, Any]:
    """One part type (JSON-able ``PartTypeRead``), cached; raises :class:`NotFound` (404)."""
    key = f"part-types:get:{part_type_id}"
    return await cache.read_record(
        session, key, lambda reader: get_part_type(reader, part_type_id), PartTypeRead
    )


async def _apply_changes(session: AsyncSession, row: Any, values: dict[str, Any], label: str) -> Any:
    # A new name takes its slug, which must be free; then every given field is set.
    if "name" in values:
        values["name"] = clean_name(values["name"])
        row.slug = slug_for(values["name"])
        await ensure_slug_free(session, type(row), row.slug, label, exclude=row.id)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return row


async def create_repair_type(session: AsyncSession, data: RepairTypeCreate) -> RepairType:
    """Add a repair type. Raises :class:`Conflict` (409) when the name exists regardless of case."""
    return await add_named(session, RepairType, data, "repair type")


async def update_repair_type(
    session: AsyncSession, repair_type_id: uuid.UUID, data: RepairTypeUpdate
) -> RepairType:
    """Change a repair type. Raises :class:`NotFound` (404), :class:`Conflict` (409) for a taken name,
    :class:`ValidationFailed` (400) for a null name or flag."""
    row = await get_repair_type(session, repair_type_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "name", "is_active")
    return await _apply_changes(session, row, values, "repair type")


async def delete_repair_type(session: AsyncSession, repair_type_id: uuid.UUID) -> RepairType:
    """Deactivate a repair type (``isActive`` false); prices and repairs keep referring to it. Raises
    :class:`NotFound` (404)."""
    return await deactivate(session, await get_repair_type(session, repair_type_id))


async def create_part_type(session: AsyncSession, data: PartTypeCreate) -> PartType:
    """Add a part type. Raises :class:`Conflict` (409) when the name exists regardless of case."""
    return await add_named(session, PartType, data, "part type", quality=data.quality.value)


async def update_part_type(session: AsyncSession, part_type_id: uuid.UUID, data: PartTypeUpdate) -> PartType:
    """Change a part type. Raises :class:`NotFound` (404), :class:`Conflict` (409) for a taken name,
    :class:`ValidationFailed` (400) for a null required field."""
    row = await get_part_type(session, part_type_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "name", "quality", "warranty_months", "is_active")
    if "quality" in values:
        values["quality"] = values["quality"].value
    return await _apply_changes(session, row, values, "part type")


async def delete_part_type(session: AsyncSession, part_type_id: uuid.UUID) -> PartType:
    """Deactivate a part type (``isActive`` false); prices, repair lines and warranties keep referring to
    it. Raises :class:`NotFound` (404)."""
    return await deactivate(session, await get_part_type(session, part_type_id))
