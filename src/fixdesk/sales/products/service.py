"""Product rules: the product list, creating and changing products, receipts and adjustments of stock.

Stock changes only through :mod:`fixdesk.sales.products.stock` (the ledger). A unique ``sku`` (and
``barcode``, where given) is checked before writing, so a duplicate is a 409 naming the field rather than
a constraint error. Deleting a product deactivates it: its ledger and the orders that name it stay.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.sales.models import MovementKind, Order, OrderItem, OrderStatus, Product, StockMovement
from fixdesk.sales.products import stock
from fixdesk.sales.products.schemas import ProductCreate, ProductUpdate, StockMovementCreate


@dataclass(frozen=True)
class ProductFilters:
    """``search`` matches name, SKU and barcode (case-insensitive substring); ``low_stock`` the products
    at or below their threshold."""

    search: str | None = None
    category: str | None = None
    is_active: bool | None = None
    low_stock: bool | None = None


def _not_found(product_id: uuid.UUID) -> NotFound:
    return NotFound(f"Product {product_id} not found.")


async def get_product(session: AsyncSession, product_id: uuid.UUID, *, lock: bool = False) -> Product:
    """The product, or :class:`NotFound` (404); ``lock`` takes its row ``FOR UPDATE``."""
    statement = select(Product).where(Product.id == product_id).execution_options(populate_existing=True)
    if lock:
        statement = statement.with_for_update()
    product = (await session.execute(statement)).scalar_one_or_none()
    if product is None:
        raise _not_found(product_id)
    return product


async def sales_counts(session: AsyncSession, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Units of each product ordered in orders that were not cancelled (seed 002's ``salesCount``): one
    grouped query for a page of products."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(OrderItem.product_id.in_(product_ids), Order.status != OrderStatus.cancelled.value)
        .group_by(OrderItem.product_id)
    )
    return {product_id: int(units) for product_id, units in rows}


def _filtered(filters: ProductFilters) -> Select[tuple[Product]]:
    statement = select(Product)
    if filters.search:
        term = f"%{filters.search.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(Product.name).like(term),
                func.lower(Product.sku).like(term),
                func.lower(func.coalesce(Product.barcode, "")).like(term),
            )
        )
    if filters.category is not None:
        statement = statement.where(Product.category == filters.category)
    if filters.is_active is not None:
        statement = statement.where(Product.is_active.is_(filters.is_active))
    if filters.low_stock is not None:
        statement = statement.where(Product.low_stock.is_(filters.low_stock))
    return statement


async def list_products(
    session: AsyncSession, filters: ProductFilters, params: PageParams
) -> tuple[Sequence[Product], int, dict[uuid.UUID, int]]:
    """One page of products by name (then id), its total and the page's sales counts."""
    statement = _filtered(filters).order_by(Product.name, Product.id)
    rows, total = await paginate(session, statement, params)
    return rows, total, await sales_counts(session, [row.id for row in rows])


async def _ensure_unique(
    session: AsyncSession, field: str, column: object, value: str | None, product_id: uuid.UUID | None
) -> None:
    if value is None:
        return
    statement = select(Product.id).where(column == value)  # type: ignore[arg-type]
    if product_id is not None:
        statement = statement.where(Product.id != product_id)
    if (await session.execute(statement.limit(1))).scalar_one_or_none() is not None:
        raise Conflict(
            f"{field}: another product has {field} {value!r}.",
            errors=[{"field": field, "message": "already used by another product"}],
        )


async def create_product(session: AsyncSession, principal: Principal, data: ProductCreate) -> Product:
    """Add a product; a ``stockQuantity`` above 0 is recorded as a ``received`` movement ("opening stock"),
    which may publish ``product.low_stock`` like any movement. A product created at or below its threshold
    is low from the start (published once, when it is created with stock or reaches it later).

    Raises :class:`Conflict` (409) for a SKU or barcode another product has."""
    await _ensure_unique(session, "sku", Product.sku, data.sku, None)
    await _ensure_unique(session, "barcode", Product.barcode, data.barcode, None)
    values = data.model_dump(exclude={"stock_quantity"}, by_alias=False)
    product = Product(**values, on_hand=0, low_stock=False)
    session.add(product)
    await session.flush()
    if data.stock_quantity:
        await stock.move(
            session,
            product.id,
            MovementKind.received,
            data.stock_quantity,
            stock.Reference(actor_id=principal.staff_user_id, note="Opening stock", unit_cost=data.cost),
        )
    else:
        await stock.check_low_stock(session, product.id)
    return await get_product(session, product.id)


async def update_product(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, data: ProductUpdate
) -> Product:
    """Change a product's fields; a ``stockQuantity`` different from ``onHand`` records an ``adjusted``
    movement of the difference ("stock count"). A changed threshold may start or end a low-stock dip.

    Raises :class:`NotFound` (404), :class:`Conflict` (409) for a SKU or barcode in use, and
    :class:`ValidationFailed` (400) for a null where a value is required."""
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "name", "sku", "price", "low_stock_threshold", "stock_quantity", "is_active")
    product = await get_product(session, product_id, lock=True)
    await _ensure_unique(session, "sku", Product.sku, values.get("sku"), product.id)
    await _ensure_unique(session, "barcode", Product.barcode, values.get("barcode"), product.id)
    counted = values.pop("stock_quantity", None)
    for name, value in values.items():
        setattr(product, name, value)
    product.updated_at = utcnow()
    await session.flush()
    if counted is not None and counted != product.on_hand:
        await stock.move(
            session,
            product.id,
            MovementKind.adjusted,
            counted - product.on_hand,
            stock.Reference(actor_id=principal.staff_user_id, note="Stock count"),
        )
    else:
        await stock.check_low_stock(session, product.id)
    return await get_product(session, product.id)


async def deactivate_product(session: AsyncSession, product_id: uuid.UUID) -> None:
    """``DELETE /products/{id}``: the product is deactivated (no longer sold, ``isActive`` false); its
    ledger and the orders naming it stay. Raises :class:`NotFound` (404)."""
    product = await get_product(session, product_id, lock=True)
    product.is_active = False
    product.updated_at = utcnow()
    await session.flush()


async def record_movement(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, data: StockMovementCreate
) -> StockMovement:
    """Record a receipt (``received``, quantity above 0) or an adjustment (``adjusted``, not 0; a negative
    one may not take the stock below 0). Raises :class:`NotFound` (404), :class:`ValidationFailed` (400)
    for a quantity the kind does not allow, :class:`~fixdesk.sales.products.stock.OutOfStock` (409) for an
    adjustment larger than the stock."""
    if data.kind == MovementKind.received.value and data.quantity <= 0:
        raise ValidationFailed.for_field("quantity", "a receipt adds stock: give a positive quantity")
    if data.quantity == 0:
        raise ValidationFailed.for_field("quantity", "an adjustment moves at least one unit")
    await get_product(session, product_id)
    return await stock.move(
        session,
        product_id,
        MovementKind(data.kind),
        data.quantity,
        stock.Reference(actor_id=principal.staff_user_id, note=data.note, unit_cost=data.unit_cost),
        only_if_available=True,
    )


async def list_movements(
    session: AsyncSession, product_id: uuid.UUID, params: PageParams
) -> tuple[Sequence[StockMovement], int]:
    """A product's ledger, newest first. Raises :class:`NotFound` (404)."""
    await get_product(session, product_id)
    statement = (
        select(StockMovement)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
    )
    return await paginate(session, statement, params)


async def ledger_sum(session: AsyncSession, product_id: uuid.UUID) -> int:
    """The sum of a product's movements (what ``onHand`` must equal)."""
    total = (
        await session.execute(
            select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.product_id == product_id
            )
        )
    ).scalar_one()
    return int(total)
