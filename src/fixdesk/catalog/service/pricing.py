"""The price list: prices keyed on device model × repair type × part type × part quality, listed with
their references in one query, read, created, changed and deactivated. Every change of price or cost is
recorded in the price history (:mod:`fixdesk.catalog.service.price_history`)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.catalog.models import DeviceModel, PartType, PriceChangeSource, Pricing, RepairType
from fixdesk.catalog.schemas import EstimateSave, PricingCreate, PricingRead, PricingUpdate
from fixdesk.catalog.service.cache import CatalogCache, cache_key, invalidate_catalog_cache
from fixdesk.catalog.service.price_history import publish_price_changed, record_price_change
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.pagination import PageParams


@dataclass(frozen=True)
class PricingFilters:
    """What the price list is narrowed to (every field optional); ``current_only`` keeps the prices that
    apply now (:func:`current_condition`)."""

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

    key = cache_key("pricing:list", asdict(filters), params.model_dump(), minute)
    return await cache.read_page(session, key, lambda: pricing_statement(filters), params, PricingRead)


async def read_pricing(session: AsyncSession, cache: CatalogCache, pricing_id: uuid.UUID) -> dict[str, Any]:
    """One price (JSON-able ``PricingRead``), cached; raises :class:`NotFound` (404)."""
    key = f"pricing:get:{pricing_id}"
    return await cache.read_record(session, key, lambda reader: get_pricing(reader, pricing_id), PricingRead)


def _check_validity(valid_from: datetime, valid_until: datetime | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationFailed.for_field("validUntil", "must be after validFrom")


async def check_new_price_keys(session: AsyncSession, data: PricingCreate | EstimateSave) -> str:
    """The part quality of a new price for ``data``'s keys (its ``partQuality``, else the part type's own),
    once they are checked. Raises :class:`ValidationFailed` (400) naming each unknown referenced id and
    :class:`Conflict` (409) naming the four keys when a price exists for them."""
    part_type = await _check_references(session, data.device_model_id, data.repair_type_id, data.part_type_id)
    part_quality = data.part_quality.value if data.part_quality else part_type.quality
    await _ensure_price_keys_free(
        session, data.device_model_id, data.repair_type_id, data.part_type_id, part_quality
    )
    return part_quality


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


async def create_pricing(
    session: AsyncSession, data: PricingCreate, *, changed_by_id: uuid.UUID | None
) -> Pricing:
    """Add a price and its first history row. ``partQuality`` defaults to the part type's quality.
    Raises :class:`ValidationFailed` (400) naming each unknown referenced id, :class:`Conflict` (409) naming
    the four keys when a price exists for them."""
    part_quality = await check_new_price_keys(session, data)
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
    reject_nulls(values, "price", "valid_from", "is_active", "is_estimated")
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
