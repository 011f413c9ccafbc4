"""Order rules: placing an order with server-computed prices and totals, gap-free ``ORD-YYYY-NNNNNN``
numbers, stock reserved atomically, the status and payment lifecycle, and the events of each change.

Placing an order takes each product's units out of stock with a conditional update
(:func:`fixdesk.sales.products.stock.move` with ``only_if_available``), products in id order so two
orders never wait on each other's rows in opposite orders; if any product lacks stock the order is
refused with 409 and the whole transaction (earlier products' reservations, the number) rolls back.
Cancelling puts every unit back (``returned`` movements naming the order).

Invoicing (:func:`invoice_order`) makes a draft invoice in billing from the order's lines as charged,
through :func:`fixdesk.billing.access.invoice_sale`, once per order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.billing import access as billing
from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer
from fixdesk.db import new_id, utcnow
from fixdesk.platform.errors import Conflict, IllegalTransition, ValidationFailed
from fixdesk.platform.errors import NotFound as NotFoundError
from fixdesk.platform.events import publish
from fixdesk.platform.numbering import next_number
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.repairs.items import totals as money
from fixdesk.sales.events import ORDER_COMPLETED, ORDER_CREATED, ORDER_UPDATED, OrderEventPayload
from fixdesk.sales.models import MovementKind, Order, OrderItem, OrderStatus, PaymentStatus, Product
from fixdesk.sales.orders import lifecycle
from fixdesk.sales.orders.schemas import OrderCreate, OrderStatusChange
from fixdesk.sales.products import stock

ORDER_NUMBER_PREFIX = "ORD"
_CUSTOMER_BRIEF = (Customer.first_name, Customer.last_name, Customer.email, Customer.phone)


@dataclass(frozen=True)
class OrderFilters:
    """``start``/``end`` are instants (UTC) bounding ``createdAt`` (``end`` exclusive)."""

    status: str | None = None
    order_type: str | None = None
    customer_id: uuid.UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


def _loaded(statement: Select[tuple[Order]]) -> Select[tuple[Order]]:
    return statement.options(
        joinedload(Order.customer).load_only(*_CUSTOMER_BRIEF), selectinload(Order.items)
    ).execution_options(populate_existing=True)


def _not_found(order_id: uuid.UUID) -> NotFoundError:
    return NotFoundError(f"Order {order_id} not found.")


async def get_order(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> Order:
    """The order with its customer and items, or :class:`NotFound` (404); ``lock`` takes the order's row
    ``FOR UPDATE`` first (a change)."""
    if lock:
        locked = (
            await session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
        ).scalar_one_or_none()
        if locked is None:
            raise _not_found(order_id)
    order = (await session.execute(_loaded(select(Order).where(Order.id == order_id)))).scalar_one_or_none()
    if order is None:
        raise _not_found(order_id)
    return order


async def list_orders(
    session: AsyncSession, filters: OrderFilters, params: PageParams
) -> tuple[Sequence[Order], int]:
    """One page of orders, newest first, and the list's total."""
    statement = select(Order)
    if filters.status is not None:
        statement = statement.where(Order.status == filters.status)
    if filters.order_type is not None:
        statement = statement.where(Order.order_type == filters.order_type)
    if filters.customer_id is not None:
        statement = statement.where(Order.customer_id == filters.customer_id)
    if filters.start is not None:
        statement = statement.where(Order.created_at >= filters.start)
    if filters.end is not None:
        statement = statement.where(Order.created_at < filters.end)
    statement = _loaded(statement.order_by(Order.created_at.desc(), Order.id.desc()))
    return await paginate(session, statement, params)


async def _publish(
    session: AsyncSession, name: str, order: Order, principal: Principal, **change: Any
) -> None:
    payload = OrderEventPayload.of(order, changed_by_id=principal.staff_user_id, **change)
    await publish(session, name, payload, customer_id=order.customer_id, actor_id=principal.staff_user_id)


async def create_order(
    session: AsyncSession, principal: Principal, data: OrderCreate, *, settings: Settings
) -> Order:
    """Place an order: price each line from its product, compute the totals at the shop's tax rate,
    reserve the stock, number it ``ORD-YYYY-NNNNNN`` (the shop's year) and publish ``order.created``.

    Raises :class:`ValidationFailed` (400) for an unknown customer or product, an inactive product, or an
    ``items.<i>.price`` / ``totalAmount`` that disagrees with the server's (nothing is stored), and
    :class:`~fixdesk.sales.products.stock.OutOfStock` (409, with ``productId`` and ``available``) when a
    product has fewer units in stock than ordered."""
    if await customers.find_customer(session, data.customer_id) is None:
        raise ValidationFailed.for_field("customerId", "no customer with this id")
    product_ids = [item.product_id for item in data.items]
    rows = await session.execute(select(Product).where(Product.id.in_(product_ids)))
    products = {product.id: product for product in rows.scalars()}
    lines: list[dict[str, Any]] = []
    for index, item in enumerate(data.items):
        product = products.get(item.product_id)
        if product is None:
            raise ValidationFailed.for_field(f"items.{index}.productId", "no product with this id")
        if not product.is_active:
            raise ValidationFailed.for_field(f"items.{index}.productId", "this product is no longer sold")
        if item.price is not None and item.price != product.price:
            raise ValidationFailed.for_field(
                f"items.{index}.price",
                f"the price of {product.sku} is {product.price}, not {item.price}; prices come from the server",
            )
        line_total = money.item_total(item.quantity, product.price)
        lines.append(
            {
                "product_id": product.id,
                "position": index,
                "name": product.name,
                "sku": product.sku,
                "quantity": item.quantity,
                "unit_price": product.price,
                "line_total": line_total,
            }
        )
    totals = money.compute_totals([line["line_total"] for line in lines], settings.tax_rate)
    if data.total_amount is not None and data.total_amount != totals.total:
        raise ValidationFailed.for_field(
            "totalAmount",
            f"the order's total is {totals.total}, not {data.total_amount}; totals come from the server",
        )
    now = utcnow()
    order = Order(
        id=new_id(),
        order_number=await next_number(session, ORDER_NUMBER_PREFIX, at=now, zone=settings.shop_timezone),
        customer_id=data.customer_id,
        order_type=data.order_type.value,
        status=OrderStatus.pending.value,
        payment_status=data.payment_status.value,
        subtotal=totals.subtotal,
        tax_rate=totals.tax_rate,
        tax_amount=totals.tax_amount,
        total=totals.total,
        notes=data.notes,
        created_by_id=principal.staff_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    for line in lines:
        session.add(OrderItem(order_id=order.id, **line))
    await session.flush()
    # Reserve in product id order: concurrent orders lock product rows in the same order.
    for line in sorted(lines, key=lambda line: line["product_id"]):
        await stock.move(
            session,
            line["product_id"],
            MovementKind.sold,
            line["quantity"],
            stock.Reference(order_id=order.id, actor_id=principal.staff_user_id, note=order.order_number),
            only_if_available=True,
        )
    order = await get_order(session, order.id)
    await _publish(session, ORDER_CREATED, order, principal)
    return order


async def change_status(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, data: OrderStatusChange
) -> Order:
    """Move an order along its lifecycle and/or its payment status (:mod:`fixdesk.sales.orders.lifecycle`).
    Cancelling puts the order's units back in stock; completing stamps ``completedAt``. Publishes
    ``order.updated`` (and ``order.completed`` on completion). The same status again is no change.

    Raises :class:`NotFound` (404) and :class:`IllegalTransition` (409, naming the allowed next states)."""
    order = await get_order(session, order_id, lock=True)
    changed: list[str] = []
    from_status = order.status
    now = utcnow()
    if data.status is not None and data.status.value != order.status:
        allowed = lifecycle.allowed_next(order.status)
        if data.status.value not in allowed:
            raise IllegalTransition(order.status, data.status.value, allowed)
        order.status = data.status.value
        changed.append("status")
        if data.status == OrderStatus.completed:
            order.completed_at = now
        if data.status == OrderStatus.cancelled:
            order.cancelled_at = now
            for item in sorted(order.items, key=lambda item: item.product_id):
                await stock.move(
                    session,
                    item.product_id,
                    MovementKind.returned,
                    item.quantity,
                    stock.Reference(
                        order_id=order.id,
                        actor_id=principal.staff_user_id,
                        note=f"{order.order_number} cancelled",
                    ),
                )
    if data.payment_status is not None and data.payment_status.value != order.payment_status:
        allowed = lifecycle.allowed_payment_next(order.payment_status)
        if data.payment_status.value not in allowed:
            raise IllegalTransition(order.payment_status, data.payment_status.value, allowed)
        order.payment_status = data.payment_status.value
        changed.append("paymentStatus")
    if not changed:
        return order
    order.updated_at = now
    await session.flush()
    order = await get_order(session, order.id)
    change: dict[str, Any] = {"changed_fields": changed}
    if "status" in changed:
        change.update(from_status=from_status, to_status=order.status)
    await _publish(session, ORDER_UPDATED, order, principal, **change)
    if "status" in changed and order.status == OrderStatus.completed.value:
        await _publish(session, ORDER_COMPLETED, order, principal, **change)
    return order


async def invoice_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, settings: Settings
) -> tuple[Order, bool]:
    """Invoice an order through billing (issue 13, item 2): a **draft** invoice of the order's lines at the
    unit prices and tax rate the order was charged (:func:`fixdesk.billing.access.invoice_sale`), which
    the shop then finalises or sends like any invoice; the order records its id (``invoiceId``). A paid
    order's payment is carried onto the invoice (so issuing it leaves nothing owed).

    Idempotent under the order's row lock: while the order's invoice exists and is not void, a second call
    changes nothing and answers the same order (``created`` False). A deleted draft or a voided invoice
    lets the order be invoiced again. The invoice's tax follows the shop's invoice rounding rule
    (``FIXDESK_INVOICE_ROUNDING``); with the default per-document rule it equals the order's to the cent.

    Raises :class:`NotFound` (404) and :class:`Conflict` (409) for a cancelled order."""
    # The order and its items only: billing reads the whole customer row itself, which a partly loaded
    # customer (the order's brief) in the session would stand in for.
    order = (
        await session.execute(
            select(Order)
            .where(Order.id == order_id)
            .options(selectinload(Order.items))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if order is None:
        raise _not_found(order_id)
    if order.invoice_id is not None:
        existing = await billing.load_invoice(session, order.invoice_id)
        if existing is not None and existing.status != "void":
            return await get_order(session, order.id), False
    if order.status == OrderStatus.cancelled.value:
        raise Conflict(
            f"Order {order.order_number} is cancelled: there is nothing to invoice.", status=order.status
        )
    sale = billing.Sale(
        paid=order.total if order.payment_status == PaymentStatus.paid.value else Decimal("0.00"),
        reference=order.order_number,
        customer_id=order.customer_id,
        tax_rate=order.tax_rate,
        lines=tuple(
            billing.SaleLine(f"{item.name} ({item.sku})", item.quantity, item.unit_price)
            for item in order.items
        ),
    )
    invoice = await billing.invoice_sale(session, principal, sale, settings=settings)
    order.invoice_id = invoice.id
    order.updated_at = utcnow()
    await session.flush()
    order = await get_order(session, order.id)
    await _publish(session, ORDER_UPDATED, order, principal, changed_fields=["invoiceId"])
    return order, True


def period_bounds(start: date | datetime | None, end: date | datetime | None, zone: Any) -> tuple[Any, Any]:
    """``startDate``/``endDate`` of a list as UTC instants: a day means that day in the shop's time zone
    (``endDate`` inclusive, so its end is the next day's start)."""

    def instant(value: date | datetime | None, *, is_end: bool) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone)
        day = value + timedelta(days=1) if is_end else value
        return datetime.combine(day, time(), tzinfo=zone)

    return instant(start, is_end=False), instant(end, is_end=True)
