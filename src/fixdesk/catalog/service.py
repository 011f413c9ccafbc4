"""Catalog rules: brands, device models, repair types, part types and the price list with its history.

Names of brands, repair types and part types are unique regardless of case (through ``slug``); device
model names are unique within their brand. Deleting is deactivating (``is_active`` false), because repairs
and the price history keep referring to the rows. Every price change (creation included) writes a
:class:`PriceHistory` row and a ``catalog.price_changed`` event in the change's transaction.

Reads are cached (:class:`CatalogCache`, ``fixdesk.platform.cache``) and every write invalidates the
cache for its transaction (:func:`invalidate_catalog_cache`), just before it commits and again after.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from sqlalchemy import Select, and_, case, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from fixdesk.catalog import estimator
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
from fixdesk.catalog.schemas import (
    BrandCreate,
    BrandRead,
    BrandUpdate,
    DeviceModelCreate,
    DeviceModelRead,
    DeviceModelUpdate,
    EstimateSave,
    PartTypeCreate,
    PartTypeRead,
    PartTypeUpdate,
    PriceHistoryRead,
    PricingCreate,
    PricingRead,
    PricingUpdate,
    RepairTypeCreate,
    RepairTypeRead,
    RepairTypeUpdate,
    UserBrief,
)
from fixdesk.db import utcnow
from fixdesk.identity.models import User
from fixdesk.platform.cache import Cache, cache_for, invalidate_on_commit, invalidation_pending, key_digest
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import Page, PageParams, paginate

T = TypeVar("T")

CACHE_NAMESPACE = "catalog"
"""The cache namespace of every catalog read (one invalidation retires them all)."""

SortOrder = Literal["asc", "desc"]


# --- the cache ---------------------------------------------------------------------------------------


def invalidate_catalog_cache(session: AsyncSession) -> None:
    """Invalidate the catalog cache for the change being made in ``session``: just before its transaction
    commits and again once it has committed, never on rollback (``fixdesk.platform.cache``). Until then,
    cached catalog reads through this session bypass the cache, so they see the session's own changes and
    never store them. Every catalog write calls this; so does the CSV import."""
    invalidate_on_commit(session, CACHE_NAMESPACE)


@dataclass
class CatalogCache:
    """Catalog reads through the app's :class:`~fixdesk.platform.cache.Cache`.

    A miss loads with a fresh session from ``sessionmaker`` (a read-only one), whose transaction begins
    after the cache's generation was read: that is what keeps data from before a concurrent write out of
    the generation after it. A session that changed the catalog reads through itself, uncached.
    """

    cache: Cache
    sessionmaker: async_sessionmaker[AsyncSession]

    async def read(self, session: AsyncSession, key: str, load: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """The cached value of ``key``, or ``await load(session)`` on a miss (stored as it is: JSON-able)."""
        if not self.cache.enabled or invalidation_pending(session, CACHE_NAMESPACE):
            return await load(session)

        async def load_fresh() -> T:
            async with self.sessionmaker() as reader:
                return await load(reader)

        return await self.cache.get_or_load(CACHE_NAMESPACE, key, load_fresh)


def catalog_cache_for(app: Any) -> CatalogCache:
    """The catalog cache of a running app (built on first use)."""
    return CatalogCache(cache_for(app), app.state.read_sessionmaker)


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _page_json(rows: Any, total: int, params: PageParams, read: type[BaseModel]) -> dict[str, Any]:
    return _json(Page[read].build([read.model_validate(row) for row in rows], total, params))  # type: ignore[valid-type]


def _cache_key(kind: str, *parts: Any) -> str:
    return f"{kind}:{key_digest(*parts)}"


# --- shared rules ------------------------------------------------------------------------------------


def slug_for(name: str) -> str:
    """The case-insensitive identity of a name: trimmed, inner runs of spaces made one, lower-cased."""
    return " ".join(name.split()).lower()


def _require(values: dict[str, Any], *fields: str) -> None:
    # These columns are NOT NULL: an explicit null must be a 400 naming the field, not a constraint error.
    for name in fields:
        if name in values and values[name] is None:
            raise ValidationFailed.for_field(to_camel(name), "cannot be null")


def _search_condition(column: Any, term: str | None) -> Any:
    """Rows whose ``column`` (lower-cased text) contains every word of ``term``, in any order and case."""
    words = slug_for(term or "").split()
    if not words:
        return None
    return and_(*(column.contains(word, autoescape=True) for word in words))


def _order(column: Any, order: SortOrder) -> Any:
    return column.desc() if order == "desc" else column.asc()


# --- brands ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrandFilters:
    search: str | None = None
    is_active: bool | None = None


async def _ensure_brand_name_free(session: AsyncSession, slug: str, exclude: uuid.UUID | None = None) -> None:
    statement = select(Brand.id).where(Brand.slug == slug)
    if exclude is not None:
        statement = statement.where(Brand.id != exclude)
    if (await session.execute(statement.limit(1))).first() is not None:
        raise Conflict(
            f"A brand named {slug!r} already exists (names are unique regardless of case).", field="name"
        )


def brands_statement(filters: BrandFilters) -> Select[Any]:
    statement = select(Brand)
    if (condition := _search_condition(Brand.slug, filters.search)) is not None:
        statement = statement.where(condition)
    if filters.is_active is not None:
        statement = statement.where(Brand.is_active == filters.is_active)
    # The slug is the lower-cased name: the same order on every database, whatever its collation.
    return statement.order_by(Brand.slug, Brand.id)


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

    async def load(reader: AsyncSession) -> dict[str, Any]:
        rows, total = await paginate(reader, brands_statement(filters), params)
        return _page_json(rows, total, params, BrandRead)

    return await cache.read(session, _cache_key("brands:list", asdict(filters), params.model_dump()), load)


async def read_brand(session: AsyncSession, cache: CatalogCache, brand_id: uuid.UUID) -> dict[str, Any]:
    """One brand (JSON-able ``BrandRead``), cached; raises :class:`NotFound` (404)."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return _json(BrandRead.model_validate(await get_brand(reader, brand_id)))

    return await cache.read(session, f"brands:get:{brand_id}", load)


async def create_brand(session: AsyncSession, data: BrandCreate) -> Brand:
    """Add a brand. Raises :class:`Conflict` (409) when the name exists regardless of case."""
    slug = slug_for(data.name)
    await _ensure_brand_name_free(session, slug)
    brand = Brand(name=" ".join(data.name.split()), slug=slug, is_active=data.is_active)
    session.add(brand)
    await session.flush()
    invalidate_catalog_cache(session)
    return brand


async def update_brand(session: AsyncSession, brand_id: uuid.UUID, data: BrandUpdate) -> Brand:
    """Change a brand; a new name is also written into its device models' search text. Raises
    :class:`NotFound` (404), :class:`Conflict` (409) for a taken name, :class:`ValidationFailed` (400)."""
    brand = await get_brand(session, brand_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    _require(values, "name", "is_active")
    if "name" in values:
        slug = slug_for(values["name"])
        await _ensure_brand_name_free(session, slug, exclude=brand.id)
        brand.name = " ".join(values["name"].split())
        brand.slug = slug
        await _refresh_search_text_of_brand(session, brand)
    if "is_active" in values:
        brand.is_active = values["is_active"]
    brand.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return brand


async def delete_brand(session: AsyncSession, brand_id: uuid.UUID) -> Brand:
    """Deactivate a brand (``isActive`` false); its device models and prices stay. Raises :class:`NotFound`."""
    brand = await get_brand(session, brand_id)
    brand.is_active = False
    brand.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return brand


# --- device models -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceModelFilters:
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


def device_search_text(brand_name: str, name: str, model_number: str | None) -> str:
    """What the device-model search looks in: brand, name and model number, lower-cased."""
    return slug_for(" ".join(part for part in (brand_name, name, model_number or "") if part))[:400]


async def _refresh_search_text_of_brand(session: AsyncSession, brand: Brand) -> None:
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
    if (condition := _search_condition(DeviceModel.search_text, filters.search)) is not None:
        conditions.append(condition)
    if conditions:
        statement = statement.where(*conditions)
    # Names sort regardless of case, so SQLite and PostgreSQL (whatever its collation) agree.
    name = func.lower(DeviceModel.name)
    column = DeviceModel.release_year if filters.sort_by == "releaseYear" else name
    return statement.order_by(_order(column, filters.sort_order), name, DeviceModel.id)


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

    async def load(reader: AsyncSession) -> dict[str, Any]:
        rows, total = await paginate(reader, device_models_statement(filters), params)
        return _page_json(rows, total, params, DeviceModelRead)

    key = _cache_key("device-models:list", asdict(filters), params.model_dump())
    return await cache.read(session, key, load)


async def read_device_model(
    session: AsyncSession, cache: CatalogCache, device_model_id: uuid.UUID
) -> dict[str, Any]:
    """One device model (JSON-able ``DeviceModelRead``), cached; raises :class:`NotFound` (404)."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return _json(DeviceModelRead.model_validate(await get_device_model(reader, device_model_id)))

    return await cache.read(session, f"device-models:get:{device_model_id}", load)


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
    name = " ".join(data.name.split())
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
    _require(values, "brand_id", "name", "device_type", "tier_level", "is_active")
    brand = device.brand
    if "brand_id" in values and values["brand_id"] != device.brand_id:
        brand = await _brand_for_reference(session, values["brand_id"])
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
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
    device = await get_device_model(session, device_model_id)
    device.is_active = False
    device.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return device


# --- repair types and part types ---------------------------------------------------------------------


@dataclass(frozen=True)
class TypeFilters:
    search: str | None = None
    is_active: bool | None = None
    quality: str | None = None


def repair_types_statement(filters: TypeFilters) -> Select[Any]:
    statement = select(RepairType)
    if (condition := _search_condition(RepairType.slug, filters.search)) is not None:
        statement = statement.where(condition)
    if filters.is_active is not None:
        statement = statement.where(RepairType.is_active == filters.is_active)
    return statement.order_by(RepairType.slug, RepairType.id)


def part_types_statement(filters: TypeFilters) -> Select[Any]:
    statement = select(PartType)
    if (condition := _search_condition(PartType.slug, filters.search)) is not None:
        statement = statement.where(condition)
    if filters.is_active is not None:
        statement = statement.where(PartType.is_active == filters.is_active)
    if filters.quality is not None:
        statement = statement.where(PartType.quality == filters.quality)
    return statement.order_by(PartType.slug, PartType.id)


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

    async def load(reader: AsyncSession) -> dict[str, Any]:
        rows, total = await paginate(reader, repair_types_statement(filters), params)
        return _page_json(rows, total, params, RepairTypeRead)

    key = _cache_key("repair-types:list", asdict(filters), params.model_dump())
    return await cache.read(session, key, load)


async def read_repair_type(
    session: AsyncSession, cache: CatalogCache, repair_type_id: uuid.UUID
) -> dict[str, Any]:
    """One repair type (JSON-able ``RepairTypeRead``), cached; raises :class:`NotFound` (404)."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return _json(RepairTypeRead.model_validate(await get_repair_type(reader, repair_type_id)))

    return await cache.read(session, f"repair-types:get:{repair_type_id}", load)


async def read_part_types(
    session: AsyncSession, cache: CatalogCache, filters: TypeFilters, params: PageParams
) -> dict[str, Any]:
    """A page of part types by name (JSON-able ``Page[PartTypeRead]``), cached."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        rows, total = await paginate(reader, part_types_statement(filters), params)
        return _page_json(rows, total, params, PartTypeRead)

    key = _cache_key("part-types:list", asdict(filters), params.model_dump())
    return await cache.read(session, key, load)


async def read_part_type(
    session: AsyncSession, cache: CatalogCache, part_type_id: uuid.UUID
) -> dict[str, Any]:
    """One part type (JSON-able ``PartTypeRead``), cached; raises :class:`NotFound` (404)."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return _json(PartTypeRead.model_validate(await get_part_type(reader, part_type_id)))

    return await cache.read(session, f"part-types:get:{part_type_id}", load)


async def _ensure_slug_free(
    session: AsyncSession, model: Any, slug: str, label: str, exclude: uuid.UUID | None = None
) -> None:
    statement = select(model.id).where(model.slug == slug)
    if exclude is not None:
        statement = statement.where(model.id != exclude)
    if (await session.execute(statement.limit(1))).first() is not None:
        raise Conflict(
            f"A {label} named {slug!r} already exists (names are unique regardless of case).", field="name"
        )


async def create_repair_type(session: AsyncSession, data: RepairTypeCreate) -> RepairType:
    """Add a repair type. Raises :class:`Conflict` (409) when the name exists regardless of case."""
    slug = slug_for(data.name)
    await _ensure_slug_free(session, RepairType, slug, "repair type")
    values = data.model_dump(by_alias=False)
    values["name"] = " ".join(data.name.split())
    row = RepairType(**values, slug=slug)
    session.add(row)
    await session.flush()
    invalidate_catalog_cache(session)
    return row


async def update_repair_type(
    session: AsyncSession, repair_type_id: uuid.UUID, data: RepairTypeUpdate
) -> RepairType:
    """Change a repair type. Raises :class:`NotFound` (404), :class:`Conflict` (409) for a taken name,
    :class:`ValidationFailed` (400) for a null name or flag."""
    row = await get_repair_type(session, repair_type_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    _require(values, "name", "is_active")
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
        row.slug = slug_for(values["name"])
        await _ensure_slug_free(session, RepairType, row.slug, "repair type", exclude=row.id)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return row


async def create_part_type(session: AsyncSession, data: PartTypeCreate) -> PartType:
    """Add a part type. Raises :class:`Conflict` (409) when the name exists regardless of case."""
    slug = slug_for(data.name)
    await _ensure_slug_free(session, PartType, slug, "part type")
    values = data.model_dump(by_alias=False)
    values["name"] = " ".join(data.name.split())
    values["quality"] = data.quality.value
    row = PartType(**values, slug=slug)
    session.add(row)
    await session.flush()
    invalidate_catalog_cache(session)
    return row


async def update_part_type(session: AsyncSession, part_type_id: uuid.UUID, data: PartTypeUpdate) -> PartType:
    """Change a part type. Raises :class:`NotFound` (404), :class:`Conflict` (409) for a taken name,
    :class:`ValidationFailed` (400) for a null required field."""
    row = await get_part_type(session, part_type_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    _require(values, "name", "quality", "warranty_months", "is_active")
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
        row.slug = slug_for(values["name"])
        await _ensure_slug_free(session, PartType, row.slug, "part type", exclude=row.id)
    if "quality" in values:
        values["quality"] = values["quality"].value
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return row


async def deactivate(session: AsyncSession, row: RepairType | PartType) -> RepairType | PartType:
    """Deactivate a repair type or part type (``isActive`` false); prices and repairs keep referring to it."""
    row.is_active = False
    row.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return row


# --- the price list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PricingFilters:
    device_model_id: uuid.UUID | None = None
    brand_id: uuid.UUID | None = None
    repair_type_id: uuid.UUID | None = None
    part_type_id: uuid.UUID | None = None
    part_quality: str | None = None
    is_active: bool | None = None
    is_estimated: bool | None = None
    current_only: bool = False


def _pricing_options() -> list[Any]:
    # Inner joins: each reference is a non-null foreign key.
    return [
        joinedload(Pricing.device_model, innerjoin=True).joinedload(DeviceModel.brand, innerjoin=True),
        joinedload(Pricing.repair_type, innerjoin=True),
        joinedload(Pricing.part_type, innerjoin=True),
    ]


def current_condition(at: datetime) -> Any:
    """Prices that apply at ``at``: active, ``validFrom ≤ at`` and ``validUntil`` unset or after ``at``."""
    return and_(
        Pricing.is_active == true(),
        Pricing.valid_from <= at,
        or_(Pricing.valid_until.is_(None), Pricing.valid_until > at),
    )


def pricing_statement(filters: PricingFilters, *, at: datetime | None = None) -> Select[Any]:
    """The prices matching ``filters``, newest first, with device model (and brand), repair type and part
    type in the same query. Filters are backed by indexes: device model (the unique four-key index),
    brand (the device models' brand index, then the same), repair type with or without part quality,
    part type, and the active and estimated flags. ``currentOnly`` narrows what those find."""
    statement = select(Pricing).options(*_pricing_options())
    conditions = []
    if filters.device_model_id is not None:
        conditions.append(Pricing.device_model_id == filters.device_model_id)
    if filters.brand_id is not None:
        conditions.append(
            Pricing.device_model_id.in_(
                select(DeviceModel.id).where(DeviceModel.brand_id == filters.brand_id)
            )
        )
    if filters.repair_type_id is not None:
        conditions.append(Pricing.repair_type_id == filters.repair_type_id)
    if filters.part_type_id is not None:
        conditions.append(Pricing.part_type_id == filters.part_type_id)
    if filters.part_quality is not None:
        conditions.append(Pricing.part_quality == filters.part_quality)
    if filters.is_active is not None:
        conditions.append(Pricing.is_active == filters.is_active)
    if filters.is_estimated is not None:
        conditions.append(Pricing.is_estimated == filters.is_estimated)
    if filters.current_only:
        conditions.append(current_condition(at or utcnow()))
    if conditions:
        statement = statement.where(*conditions)
    return statement.order_by(Pricing.created_at.desc(), Pricing.id.desc())


async def get_pricing(session: AsyncSession, pricing_id: uuid.UUID) -> Pricing:
    """One price with its device model (and brand), repair type and part type; raises :class:`NotFound`."""
    row = (
        await session.execute(select(Pricing).options(*_pricing_options()).where(Pricing.id == pricing_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Price {pricing_id} not found.")
    return row


async def read_pricing_page(
    session: AsyncSession, cache: CatalogCache, filters: PricingFilters, params: PageParams
) -> dict[str, Any]:
    """A page of prices (JSON-able ``Page[PricingRead]``), cached. ``currentOnly`` pages are cached per
    minute, so a price that starts or ends by the clock (not by a write, which invalidates at once) shows
    up as current or not within a minute."""
    minute = utcnow().replace(second=0, microsecond=0) if filters.current_only else None

    async def load(reader: AsyncSession) -> dict[str, Any]:
        rows, total = await paginate(reader, pricing_statement(filters), params)
        return _page_json(rows, total, params, PricingRead)

    key = _cache_key("pricing:list", asdict(filters), params.model_dump(), minute)
    return await cache.read(session, key, load)


async def read_pricing(session: AsyncSession, cache: CatalogCache, pricing_id: uuid.UUID) -> dict[str, Any]:
    """One price (JSON-able ``PricingRead``), cached; raises :class:`NotFound` (404)."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return _json(PricingRead.model_validate(await get_pricing(reader, pricing_id)))

    return await cache.read(session, f"pricing:get:{pricing_id}", load)


def _check_validity(valid_from: datetime, valid_until: datetime | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationFailed.for_field("validUntil", "must be after validFrom")


async def _check_references(
    session: AsyncSession, device_model_id: uuid.UUID, repair_type_id: uuid.UUID, part_type_id: uuid.UUID
) -> PartType:
    errors = []
    for field, model, row_id, label in (
        ("deviceModelId", DeviceModel, device_model_id, "device model"),
        ("repairTypeId", RepairType, repair_type_id, "repair type"),
        ("partTypeId", PartType, part_type_id, "part type"),
    ):
        if await session.get(model, row_id) is None:
            errors.append({"field": field, "message": f"no {label} {row_id}"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    # Already in the session's identity map: no second query.
    part_type = await session.get(PartType, part_type_id)
    assert part_type is not None
    return part_type


async def _ensure_price_keys_free(
    session: AsyncSession,
    device_model_id: uuid.UUID,
    repair_type_id: uuid.UUID,
    part_type_id: uuid.UUID,
    part_quality: str,
) -> None:
    existing = (
        await session.execute(
            select(Pricing.id).where(
                Pricing.device_model_id == device_model_id,
                Pricing.repair_type_id == repair_type_id,
                Pricing.part_type_id == part_type_id,
                Pricing.part_quality == part_quality,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            "A price for this device model, repair type, part type and part quality already exists.",
            fields=["deviceModelId", "repairTypeId", "partTypeId", "partQuality"],
            existingId=str(existing),
        )


async def publish_price_changed(
    session: AsyncSession,
    pricing: Pricing,
    *,
    old_price: Decimal | None,
    source: PriceChangeSource,
    changed_by_id: uuid.UUID | None,
    reason: str | None = None,
) -> None:
    """Publish ``catalog.price_changed`` for ``pricing`` as it now is, in the caller's transaction."""
    payload = PriceChangedPayload(
        pricing_id=pricing.id,
        device_model_id=pricing.device_model_id,
        repair_type_id=pricing.repair_type_id,
        part_type_id=pricing.part_type_id,
        part_quality=pricing.part_quality,
        old_price=old_price,
        new_price=pricing.price,
        source=source.value,
        is_estimated=pricing.is_estimated,
        is_active=pricing.is_active,
        reason=reason,
    )
    await publish(session, PRICE_CHANGED, payload, actor_id=changed_by_id)


async def record_price_change(
    session: AsyncSession,
    pricing: Pricing,
    *,
    old_price: Decimal | None,
    old_cost: Decimal | None,
    source: PriceChangeSource,
    changed_by_id: uuid.UUID | None,
    reason: str | None = None,
    publish_event: bool = True,
) -> PriceHistory:
    """Write the price-history row of a change of ``pricing`` (creation: old values ``None``) and, unless
    ``publish_event`` is false, its ``catalog.price_changed`` event, in the caller's transaction."""
    entry = PriceHistory(
        pricing_id=pricing.id,
        old_price=old_price,
        new_price=pricing.price,
        old_cost=old_cost,
        new_cost=pricing.cost,
        source=source.value,
        changed_by_id=changed_by_id,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(entry)
    await session.flush()
    if publish_event:
        await publish_price_changed(
            session, pricing, old_price=old_price, source=source, changed_by_id=changed_by_id, reason=reason
        )
    return entry


async def create_pricing(
    session: AsyncSession, data: PricingCreate, *, changed_by_id: uuid.UUID | None
) -> Pricing:
    """Add a price and its first history row. ``partQuality`` defaults to the part type's quality.
    Raises :class:`ValidationFailed` (400) naming each unknown referenced id, :class:`Conflict` (409) naming
    the four keys when a price exists for them."""
    part_type = await _check_references(session, data.device_model_id, data.repair_type_id, data.part_type_id)
    part_quality = data.part_quality.value if data.part_quality else part_type.quality
    await _ensure_price_keys_free(
        session, data.device_model_id, data.repair_type_id, data.part_type_id, part_quality
    )
    values = data.model_dump(exclude_none=True, by_alias=False)
    values["part_quality"] = part_quality
    values.setdefault("valid_from", utcnow())
    _check_validity(values["valid_from"], values.get("valid_until"))
    row = Pricing(**values)
    session.add(row)
    await session.flush()
    await record_price_change(
        session, row, old_price=None, old_cost=None, source=PriceChangeSource.api, changed_by_id=changed_by_id
    )
    invalidate_catalog_cache(session)
    return await get_pricing(session, row.id)


async def update_pricing(
    session: AsyncSession, pricing_id: uuid.UUID, data: PricingUpdate, *, changed_by_id: uuid.UUID | None
) -> Pricing:
    """Change a price. A change of price or cost writes a history row (source api, with ``reason``); a new
    price by hand on an estimated row makes it the shop's own (``isEstimated`` false, no confidence).
    Raises :class:`NotFound` (404) and :class:`ValidationFailed` (400) for a null price or flag, or a
    ``validUntil`` not after ``validFrom``."""
    row = await get_pricing(session, pricing_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    _require(values, "price", "valid_from", "is_active", "is_estimated")
    reason = values.pop("reason", None)
    _check_validity(values.get("valid_from", row.valid_from), values.get("valid_until", row.valid_until))
    old_price, old_cost, was_active = row.price, row.cost, row.is_active
    for key, value in values.items():
        setattr(row, key, value)
    price_changed = row.price != old_price
    if price_changed or "is_estimated" in values:
        row.is_estimated = False
        row.confidence_score = None
    row.updated_at = utcnow()
    await session.flush()
    if price_changed or row.cost != old_cost:
        await record_price_change(
            session,
            row,
            old_price=old_price,
            old_cost=old_cost,
            source=PriceChangeSource.api,
            changed_by_id=changed_by_id,
            reason=reason,
        )
    elif row.is_active != was_active:
        # Not a price change (no history row), but integrators keeping a copy must drop or restore it.
        await publish_price_changed(
            session, row, old_price=old_price, source=PriceChangeSource.api, changed_by_id=changed_by_id
        )
    invalidate_catalog_cache(session)
    return row


async def delete_pricing(
    session: AsyncSession, pricing_id: uuid.UUID, *, changed_by_id: uuid.UUID | None = None
) -> Pricing:
    """Deactivate a price (``isActive`` false): it stops being current; its history stays. Publishes
    ``catalog.price_changed`` (``isActive`` false) when it was active."""
    row = await get_pricing(session, pricing_id)
    if row.is_active:
        row.is_active = False
        row.updated_at = utcnow()
        await session.flush()
        await publish_price_changed(
            session, row, old_price=row.price, source=PriceChangeSource.api, changed_by_id=changed_by_id
        )
    invalidate_catalog_cache(session)
    return row


async def read_price_history(
    session: AsyncSession, cache: CatalogCache, pricing_id: uuid.UUID, params: PageParams
) -> dict[str, Any]:
    """A page of a price's history (JSON-able ``Page[PriceHistoryRead]``), cached; raises :class:`NotFound`."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return _json(await price_history(reader, pricing_id, params))

    return await cache.read(session, _cache_key(f"pricing:history:{pricing_id}", params.model_dump()), load)


async def price_history(
    session: AsyncSession, pricing_id: uuid.UUID, params: PageParams
) -> Page[PriceHistoryRead]:
    """A price's history, newest first, with who made each change. Raises :class:`NotFound` (404)."""
    if await session.get(Pricing, pricing_id) is None:
        raise NotFound(f"Price {pricing_id} not found.")
    statement = (
        select(PriceHistory, User)
        .outerjoin(User, User.id == PriceHistory.changed_by_id)
        .where(PriceHistory.pricing_id == pricing_id)
        .order_by(PriceHistory.created_at.desc(), PriceHistory.id.desc())
    )
    total = (
        await session.execute(
            select(func.count()).select_from(PriceHistory).where(PriceHistory.pricing_id == pricing_id)
        )
    ).scalar_one()
    rows = (await session.execute(statement.limit(params.page_size).offset(params.offset))).all()
    items = [
        PriceHistoryRead(
            id=entry.id,
            pricing_id=entry.pricing_id,
            old_price=entry.old_price,
            new_price=entry.new_price,
            old_cost=entry.old_cost,
            new_cost=entry.new_cost,
            source=entry.source,
            changed_by=UserBrief.model_validate(user) if user is not None else None,
            reason=entry.reason,
            created_at=entry.created_at,
        )
        for entry, user in rows
    ]
    return Page[PriceHistoryRead].build(items, total, params)


# --- prices for repair lines and the estimator -------------------------------------------------------


async def find_price(
    session: AsyncSession,
    device_model_id: uuid.UUID,
    repair_type_id: uuid.UUID,
    part_type_id: uuid.UUID | None,
    part_quality: str | None,
) -> Pricing | None:
    """The current active price for a repair line, with its repair type and part type loaded (one query):

    * with ``part_type_id``: that part type's price (of ``part_quality`` when given, else preferring the
      price of the part type's own quality, then the cheapest);
    * else with ``part_quality``: the cheapest price of that quality;
    * else the repair type's cheapest current price for the device.

    Ties go to the lowest pricing id. Saved estimates count (they are the shop's saved prices). ``None``
    when the price list has nothing for the line.
    """
    now = utcnow()
    statement = (
        select(Pricing)
        .options(joinedload(Pricing.repair_type), joinedload(Pricing.part_type))
        .where(
            Pricing.device_model_id == device_model_id,
            Pricing.repair_type_id == repair_type_id,
            current_condition(now),
        )
    )
    order: list[Any] = []
    if part_type_id is not None:
        statement = statement.where(Pricing.part_type_id == part_type_id)
        if part_quality is None:
            own_quality = select(PartType.quality).where(PartType.id == part_type_id).scalar_subquery()
            order.append(case((Pricing.part_quality == own_quality, 0), else_=1))
    if part_quality is not None:
        statement = statement.where(Pricing.part_quality == part_quality)
    statement = statement.order_by(*order, Pricing.price, Pricing.id).limit(1)
    return (await session.execute(statement)).scalar_one_or_none()


async def save_estimate(
    session: AsyncSession, data: EstimateSave, *, changed_by_id: uuid.UUID | None
) -> Pricing:
    """Store the estimator's price for these keys as a pricing row flagged ``isEstimated`` with its
    ``confidenceScore``, and its history row (source estimate). Raises :class:`ValidationFailed` (400) for
    unknown ids, :class:`Conflict` (409) when a price exists for the keys, :class:`NotFound` (404) when
    nothing can be estimated."""
    part_type = await _check_references(session, data.device_model_id, data.repair_type_id, data.part_type_id)
    part_quality = data.part_quality.value if data.part_quality else part_type.quality
    await _ensure_price_keys_free(
        session, data.device_model_id, data.repair_type_id, data.part_type_id, part_quality
    )
    result = await estimator.estimate_price(session, data.device_model_id, data.repair_type_id, part_quality)
    row = Pricing(
        device_model_id=data.device_model_id,
        repair_type_id=data.repair_type_id,
        part_type_id=data.part_type_id,
        part_quality=part_quality,
        price=result.price,
        is_estimated=True,
        confidence_score=result.confidence,
        valid_from=utcnow(),
        notes=data.notes or f"Estimated ({result.method}) from {len(result.basis)} price(s)",
    )
    session.add(row)
    await session.flush()
    await record_price_change(
        session,
        row,
        old_price=None,
        old_cost=None,
        source=PriceChangeSource.estimate,
        changed_by_id=changed_by_id,
        reason=f"estimate: {result.method}, confidence {result.confidence}",
    )
    invalidate_catalog_cache(session)
    return await get_pricing(session, row.id)
