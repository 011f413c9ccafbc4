"""Device models: list (filtered, searched, sorted), read, create, change (moving to another brand
included) and deactivate. Names are unique within their brand regardless of case; ``search_text`` (brand,
name, model number) is kept up to date with every change."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.catalog.models import Brand, DeviceModel
from fixdesk.catalog.names import clean_name, device_search_text, slug_for
from fixdesk.catalog.schemas import DeviceModelCreate, DeviceModelRead, DeviceModelUpdate
from fixdesk.catalog.service.cache import CatalogCache, cache_key, invalidate_catalog_cache
from fixdesk.catalog.service.common import SortOrder, deactivate, ordered, search_condition
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.pagination import PageParams


@dataclass(frozen=True)
class DeviceModelFilters:
    """What the device-model list is narrowed to (every field optional) and how it is sorted."""

    brand_id: uuid.UUID | None = None
    device_type: str | None = None
    tier_level: int | None = None
    is_active: bool | None = None
    release_year: int | None = None
    release_year_from: int | None = None
    release_year_to: int | None = None
    search: str | None = None
    sort_by: Literal["name", "releaseYear"] = "name"
    sort_order: SortOrder = "asc"


async def refresh_search_text_of_brand(session: AsyncSession, brand: Brand) -> None:
    """Rewrite the search text of every device model of ``brand`` (after the brand was renamed)."""
    rows = (
        await session.execute(
            select(DeviceModel.id, DeviceModel.name, DeviceModel.model_number).where(
                DeviceModel.brand_id == brand.id
            )
        )
    ).all()
    if rows:
        await session.execute(
            update(DeviceModel),
            [
                {"id": row.id, "search_text": device_search_text(brand.name, row.name, row.model_number)}
                for row in rows
            ],
        )


def device_models_statement(filters: DeviceModelFilters) -> Select[Any]:
    """The device models matching ``filters`` with their brands (one query), in the asked order.

    Every filter is backed by an index: brand (the unique brand+name index), device type and release
    year, tier, active flag, release year, and the search through the trigram index on ``search_text``."""
    statement = select(DeviceModel).options(joinedload(DeviceModel.brand, innerjoin=True))
    conditions = []
    if filters.brand_id is not None:
        conditions.append(DeviceModel.brand_id == filters.brand_id)
    if filters.device_type is not None:
        conditions.append(DeviceModel.device_type == filters.device_type)
    if filters.tier_level is not None:
        conditions.append(DeviceModel.tier_level == filters.tier_level)
    if filters.is_active is not None:
        conditions.append(DeviceModel.is_active == filters.is_active)
    if filters.release_year is not None:
        conditions.append(DeviceModel.release_year == filters.release_year)
    if filters.release_year_from is not None:
        conditions.append(DeviceModel.release_year >= filters.release_year_from)
    if filters.release_year_to is not None:
        conditions.append(DeviceModel.release_year <= filters.release_year_to)
    if (condition := search_condition(DeviceModel.search_text, filters.search)) is not None:
        conditions.append(condition)
    if conditions:
        statement = statement.where(*conditions)
    # Names sort regardless of case, so SQLite and PostgreSQL (whatever its collation) agree.
    name = func.lower(DeviceModel.name)
    column = DeviceModel.release_year if filters.sort_by == "releaseYear" else name
    return statement.order_by(ordered(column, filters.sort_order), name, DeviceModel.id)


async def get_device_model(session: AsyncSession, device_model_id: uuid.UUID) -> DeviceModel:
    """One device model with its brand; raises :class:`NotFound` (404)."""
    device = (
        await session.execute(
            select(DeviceModel)
            .options(joinedload(DeviceModel.brand))
            .where(DeviceModel.id == device_model_id)
        )
    ).scalar_one_or_none()
    if device is None:
        raise NotFound(f"Device model {device_model_id} not found.")
    return device


async def read_device_models(
    session: AsyncSession, cache: CatalogCache, filters: DeviceModelFilters, params: PageParams
) -> dict[str, Any]:
    """A page of device models with their brands (JSON-able ``Page[DeviceModelRead]``), cached."""
    key = cache_key("device-models:list", asdict(filters), params.model_dump())
    return await cache.read_page(
        session, key, lambda: device_models_statement(filters), params, DeviceModelRead
    )


async def read_device_model(
    session: AsyncSession, cache: CatalogCache, device_model_id: uuid.UUID
) -> dict[str, Any]:
    """One device model (JSON-able ``DeviceModelRead``), cached; raises :class:`NotFound` (404)."""
    key = f"device-models:get:{device_model_id}"
    return await cache.read_record(
        session, key, lambda reader: get_device_model(reader, device_model_id), DeviceModelRead
    )


async def _brand_for_reference(session: AsyncSession, brand_id: uuid.UUID) -> Brand:
    brand = await session.get(Brand, brand_id)
    if brand is None:
        raise ValidationFailed.for_field("brandId", f"no brand {brand_id}")
    return brand


async def _ensure_device_name_free(
    session: AsyncSession, brand: Brand, name: str, exclude: uuid.UUID | None = None
) -> None:
    rows = (
        await session.execute(
            select(DeviceModel.id, DeviceModel.name).where(DeviceModel.brand_id == brand.id)
        )
    ).all()
    wanted = slug_for(name)
    if any(slug_for(row.name) == wanted and row.id != exclude for row in rows):
        raise Conflict(f"{brand.name} already has a device model named {name!r}.", field="name")


async def create_device_model(session: AsyncSession, data: DeviceModelCreate) -> DeviceModel:
    """Add a device model. Raises :class:`ValidationFailed` (400) for an unknown brand and
    :class:`Conflict` (409) when the brand has a model of that name (regardless of case)."""
    brand = await _brand_for_reference(session, data.brand_id)
    name = clean_name(data.name)
    await _ensure_device_name_free(session, brand, name)
    values = data.model_dump(by_alias=False)
    values["name"] = name
    values["device_type"] = data.device_type.value
    values["tier_level"] = int(data.tier_level)
    device = DeviceModel(**values, search_text=device_search_text(brand.name, name, data.model_number))
    session.add(device)
    await session.flush()
    invalidate_catalog_cache(session)
    return await get_device_model(session, device.id)


async def update_device_model(
    session: AsyncSession, device_model_id: uuid.UUID, data: DeviceModelUpdate
) -> DeviceModel:
    """Change a device model (moving it to another brand included). Raises :class:`NotFound` (404),
    :class:`ValidationFailed` (400) for an unknown brand or a null required field, :class:`Conflict` (409)
    for a name the brand already has."""
    device = await get_device_model(session, device_model_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "brand_id", "name", "device_type", "tier_level", "is_active")
    brand = device.brand
    if "brand_id" in values and values["brand_id"] != device.brand_id:
        brand = await _brand_for_reference(session, values["brand_id"])
    if "name" in values:
        values["name"] = clean_name(values["name"])
    if "name" in values or brand is not device.brand:
        await _ensure_device_name_free(session, brand, values.get("name", device.name), exclude=device.id)
    if "device_type" in values:
        values["device_type"] = values["device_type"].value
    if "tier_level" in values:
        values["tier_level"] = int(values["tier_level"])
    for key, value in values.items():
        setattr(device, key, value)
    device.brand = brand
    device.search_text = device_search_text(brand.name, device.name, device.model_number)
    device.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return device


async def delete_device_model(session: AsyncSession, device_model_id: uuid.UUID) -> DeviceModel:
    """Deactivate a device model (``isActive`` false); repairs and prices keep referring to it."""
    return await deactivate(session, await get_device_model(session, device_model_id))
