"""Prices for repair lines and the estimator: :func:`find_price` (the current price a repair line takes)
and :func:`save_estimate` (the estimator's price stored in the price list, flagged as estimated)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.catalog import estimator
from fixdesk.catalog.models import PartType, PriceChangeSource, Pricing
from fixdesk.catalog.schemas import EstimateSave
from fixdesk.catalog.service.cache import invalidate_catalog_cache
from fixdesk.catalog.service.price_history import record_price_change
from fixdesk.catalog.service.pricing import check_new_price_keys, current_condition, get_pricing
from fixdesk.db import utcnow


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
    part_quality = await check_new_price_keys(session, data)
    result = await estimator.estimate_price(
        session, data.device_model_id, data.repair_type_id, part_quality, part_type_id=data.part_type_id
    )
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
