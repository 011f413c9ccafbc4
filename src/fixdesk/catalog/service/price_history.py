"""The price history: every price change (creation included) writes a :class:`PriceHistory` row and
publishes ``catalog.price_changed`` in the change's transaction; the history is read newest first with
who made each change."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog.events import PRICE_CHANGED, PriceChangedPayload
from fixdesk.catalog.models import PriceChangeSource, PriceHistory, Pricing
from fixdesk.catalog.schemas import PriceHistoryRead, UserBrief
from fixdesk.catalog.service.cache import CatalogCache, cache_key, to_json
from fixdesk.db import utcnow
from fixdesk.identity.models import User
from fixdesk.platform.errors import NotFound
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import Page, PageParams


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


async def read_price_history(
    session: AsyncSession, cache: CatalogCache, pricing_id: uuid.UUID, params: PageParams
) -> dict[str, Any]:
    """A page of a price's history (JSON-able ``Page[PriceHistoryRead]``), cached; raises :class:`NotFound`."""

    async def load(reader: AsyncSession) -> dict[str, Any]:
        return to_json(await price_history(reader, pricing_id, params))

    return await cache.read(session, cache_key(f"pricing:history:{pricing_id}", params.model_dump()), load)


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
