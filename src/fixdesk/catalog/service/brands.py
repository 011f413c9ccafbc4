"""Brands: list, read, create, change and deactivate. Names are unique regardless of case (``slug``); a
renamed brand's new name is written into its device models' search text."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog.models import Brand
from fixdesk.catalog.names import clean_name, slug_for
from fixdesk.catalog.schemas import BrandCreate, BrandRead, BrandUpdate
from fixdesk.catalog.service.cache import CatalogCache, cache_key, invalidate_catalog_cache
from fixdesk.catalog.service.common import (
    add_named,
    deactivate,
    ensure_slug_free,
    named_rows_statement,
)
from fixdesk.catalog.service.device_models import refresh_search_text_of_brand
from fixdesk.db import utcnow
from fixdesk.platform.errors import NotFound, reject_nulls
from fixdesk.platform.pagination import PageParams


@dataclass(frozen=True)
class BrandFilters:
    """What the brand list is narrowed to (both optional)."""

    search: str | None = None
    is_active: bool | None = None


def brands_statement(filters: BrandFilters) -> Select[Any]:
    """The brands matching ``filters``, by name."""
    return named_rows_statement(Brand, filters.search, filters.is_active)


async def get_brand(session: AsyncSession, brand_id: uuid.UUID) -> Brand:
    """One brand; raises :class:`NotFound` (404)."""
    brand = await session.get(Brand, brand_id)
    if brand is None:
        raise NotFound(f"Brand {brand_id} not found.")
    return brand


async def read_brands(
    session: AsyncSession, cache: CatalogCache, filters: BrandFilters, params: PageParams
) -> dict[str, Any]:
    """A page of brands by name (JSON-able ``Page[BrandRead]``), cached."""
    key = cache_key("brands:list", asdict(filters), params.model_dump())
    return await cache.read_page(session, key, lambda: brands_statement(filters), params, BrandRead)


async def read_brand(session: AsyncSession, cache: CatalogCache, brand_id: uuid.UUID) -> dict[str, Any]:
    """One brand (JSON-able ``BrandRead``), cached; raises :class:`NotFound` (404)."""
    key = f"brands:get:{brand_id}"
    return await cache.read_record(session, key, lambda reader: get_brand(reader, brand_id), BrandRead)


async def create_brand(session: AsyncSession, data: BrandCreate) -> Brand:
    """Add a brand. Raises :class:`Conflict` (409) when the name exists regardless of case."""
    return await add_named(session, Brand, data, "brand")


async def update_brand(session: AsyncSession, brand_id: uuid.UUID, data: BrandUpdate) -> Brand:
    """Change a brand; a new name is also written into its device models' search text. Raises
    :class:`NotFound` (404), :class:`Conflict` (409) for a taken name, :class:`ValidationFailed` (400)."""
    brand = await get_brand(session, brand_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "name", "is_active")
    if "name" in values:
        slug = slug_for(values["name"])
        await ensure_slug_free(session, Brand, slug, "brand", exclude=brand.id)
        brand.name = clean_name(values["name"])
        brand.slug = slug
        await refresh_search_text_of_brand(session, brand)
    if "is_active" in values:
        brand.is_active = values["is_active"]
    brand.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return brand


async def delete_brand(session: AsyncSession, brand_id: uuid.UUID) -> Brand:
    """Deactivate a brand (``isActive`` false); its device models and prices stay. Raises :class:`NotFound`."""
    return await deactivate(session, await get_brand(session, brand_id))
