"""The stock ledger: the one writer of :class:`~fixdesk.sales.models.StockMovement` rows and of
``products.on_hand``.

Each movement adds its signed quantity to the product's cached ``on_hand`` with one conditional
``UPDATE … SET on_hand = on_hand + :quantity … RETURNING`` and writes its ledger row in the same
transaction, so ``on_hand`` always equals the sum of the product's movements. The ``UPDATE`` takes the
product's row lock (PostgreSQL) until the transaction ends, so concurrent movements of one product take
turns; SQLite's write transaction serialises them anyway.

A movement that must not take more than is in stock (an order's reservation) adds
``WHERE on_hand >= :needed`` to the same statement: of concurrent orders for the last units, exactly as
many succeed as there are units, and the rest get :class:`~fixdesk.platform.errors.Conflict` (409), with
nothing written. A part fitted in a repair is taken out whatever the count says (it is physically gone),
so that stock may go negative, which shows a miscount to correct with an adjustment.

Low stock (the rule of WooCommerce's "low stock threshold"): a product is low when ``on_hand`` ≤
``low_stock_threshold``. Entering that state publishes ``product.low_stock`` once and sets
``products.low_stock``; leaving it (``on_hand`` above the threshold) clears the flag, so the next dip
publishes again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.platform.errors import Conflict, NotFound
from fixdesk.platform.events import publish
from fixdesk.sales.events import PRODUCT_LOW_STOCK, LowStockPayload
from fixdesk.sales.models import MovementKind, Product, StockMovement

INCOMING = frozenset({MovementKind.received, MovementKind.returned})
OUTGOING = frozenset({MovementKind.sold, MovementKind.used_in_repair})


@dataclass(frozen=True)
class Reference:
    """What caused a movement: an order, a repair's line item, the person who recorded it, a note."""

    order_id: uuid.UUID | None = None
    repair_id: uuid.UUID | None = None
    repair_item_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    note: str | None = None
    unit_cost: Decimal | None = None


def signed(kind: MovementKind, quantity: int) -> int:
    """The ledger quantity of a movement of ``quantity`` units (positive) of ``kind``; an adjustment keeps
    its own sign."""
    if kind in INCOMING:
        return abs(quantity)
    if kind in OUTGOING:
        return -abs(quantity)
    return quantity


class OutOfStock(Conflict):
    """409: fewer units in stock than a movement needs."""


async def move(
    session: AsyncSession,
    product_id: uuid.UUID,
    kind: MovementKind,
    quantity: int,
    reference: Reference = Reference(),
    *,
    only_if_available: bool = False,
) -> StockMovement:
    """Record a movement of ``quantity`` units (signed as :func:`signed` says) of product ``product_id``
    and update its ``on_hand``; publish ``product.low_stock`` on a crossing. Returns the ledger row.

    With ``only_if_available`` a movement out of stock happens only if the stock covers it, atomically.
    Raises :class:`NotFound` (404) for an unknown product, :class:`OutOfStock` (409, with ``available``)
    when the stock does not cover the movement, and ``ValueError`` for a zero quantity."""
    delta = signed(kind, quantity)
    if delta == 0:
        raise ValueError("a stock movement moves at least one unit")
    statement = update(Product).where(Product.id == product_id)
    if only_if_available and delta < 0:
        statement = statement.where(Product.on_hand >= -delta)
    statement = (
        statement.values(on_hand=Product.on_hand + delta)
        .returning(Product.on_hand)
        .execution_options(synchronize_session=False)
    )
    on_hand = (await session.execute(statement)).scalar_one_or_none()
    if on_hand is None:
        available = (
            await session.execute(select(Product.on_hand).where(Product.id == product_id))
        ).scalar_one_or_none()
        if available is None:
            raise NotFound(f"Product {product_id} not found.")
        raise OutOfStock(
            f"Only {available} in stock of product {product_id}; {-delta} needed.",
            productId=str(product_id),
            available=available,
        )
    movement = StockMovement(
        product_id=product_id,
        kind=kind.value,
        quantity=delta,
        on_hand_after=on_hand,
        unit_cost=reference.unit_cost,
        note=reference.note,
        order_id=reference.order_id,
        repair_id=reference.repair_id,
        repair_item_id=reference.repair_item_id,
        created_by_id=reference.actor_id,
    )
    session.add(movement)
    await session.flush()
    await check_low_stock(session, product_id)
    return movement


async def check_low_stock(session: AsyncSession, product_id: uuid.UUID) -> None:
    """Publish ``product.low_stock`` if the product has just become low (see the module docstring), or
    clear its flag if it is no longer low. The conditional updates flip the flag once whatever the
    concurrency: only the transaction that flips it publishes."""
    entered = (
        await session.execute(
            update(Product)
            .where(
                Product.id == product_id,
                Product.low_stock.is_(False),
                Product.is_active.is_(True),
                Product.on_hand <= Product.low_stock_threshold,
            )
            .values(low_stock=True)
            .returning(Product.id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if entered is not None:
        product = (
            await session.execute(
                select(Product).where(Product.id == product_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        await publish(session, PRODUCT_LOW_STOCK, LowStockPayload.of(product))
        return
    await session.execute(
        update(Product)
        .where(
            Product.id == product_id,
            Product.low_stock.is_(True),
            Product.on_hand > Product.low_stock_threshold,
        )
        .values(low_stock=False)
        .execution_options(synchronize_session=False)
    )
