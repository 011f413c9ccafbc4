"""Sales events in the catalogue and their payloads: ``product.low_stock`` and seed 002's order events
(``order.created``, ``order.updated``, ``order.completed``), published through the outbox in the same
transaction as the change.

Seed 002's live events reach the staff dashboards over ``GET /api/v1/ws`` (:mod:`fixdesk.platform.realtime`)
and webhooks under the same catalogue names: its "new order" (``order:created`` on its socket,
``order.created`` on its webhooks) is ``order.created`` here, whose ``data`` carries the seed's ``orderId``,
``customerName`` and ``totalAmount`` (its ``amount``); its "new customer" (``customer:registered`` /
``customer.registered``) is the customers domain's ``customer.created``."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel, DecimalNumber, MoneyOut
from fixdesk.sales.models import Order, Product
from fixdesk.sales.permissions import ORDERS_READ, PRODUCTS_READ


class LowStockPayload(CamelModel):
    """A product whose stock fell to its low-stock threshold or below (units)."""

    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    name: str
    on_hand: int
    low_stock_threshold: int

    @classmethod
    def of(cls, product: Product) -> LowStockPayload:
        return cls(
            id=product.id,
            product_id=product.id,
            sku=product.sku,
            name=product.name,
            on_hand=product.on_hand,
            low_stock_threshold=product.low_stock_threshold,
        )


class OrderLinePayload(CamelModel):
    product_id: uuid.UUID
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class OrderEventPayload(CamelModel):
    """An order as events describe it (amounts in the shop's currency), plus the change that happened:
    ``fromStatus``/``toStatus`` of a status change, ``changedFields`` of an update."""

    id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    customer_id: uuid.UUID
    customer_name: str | None = Field(
        default=None, description="Seed 002's customerName (first and last name), for live dashboards"
    )
    order_type: str
    status: str
    payment_status: str
    subtotal: MoneyOut
    tax_rate: DecimalNumber = Field(description="Percent")
    tax_amount: MoneyOut
    total_amount: MoneyOut
    items: list[OrderLinePayload]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None
    from_status: str | None = None
    to_status: str | None = None
    changed_fields: list[str] | None = None
    changed_by_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None

    @classmethod
    def of(cls, order: Order, **change: object) -> OrderEventPayload:
        """``order`` must have its ``items`` and its ``customer`` (names) loaded."""
        customer = order.customer
        return cls(
            customer_name=f"{customer.first_name} {customer.last_name}".strip(),
            invoice_id=order.invoice_id,
            id=order.id,
            order_id=order.id,
            order_number=order.order_number,
            customer_id=order.customer_id,
            order_type=order.order_type,
            status=order.status,
            payment_status=order.payment_status,
            subtotal=order.subtotal,
            tax_rate=order.tax_rate,
            tax_amount=order.tax_amount,
            total_amount=order.total,
            items=[OrderLinePayload.model_validate(item) for item in order.items],
            created_at=order.created_at,
            updated_at=order.updated_at,
            completed_at=order.completed_at,
            cancelled_at=order.cancelled_at,
            **change,
        )


PRODUCT_LOW_STOCK = event_type(
    "product.low_stock",
    "A product's stock fell to its low-stock threshold or below (onHand, lowStockThreshold); published once "
    "per crossing, again only after the stock rose above the threshold.",
    LowStockPayload,
    permission=PRODUCTS_READ,
).name
ORDER_CREATED = event_type(
    "order.created",
    "An order was placed (status pending, stock reserved): seed 002's new order (its socket's order:created), "
    "with customerName for live dashboards.",
    OrderEventPayload,
    permission=ORDERS_READ,
).name
ORDER_UPDATED = event_type(
    "order.updated",
    "An order's status or payment status changed (fromStatus, toStatus, changedFields); a cancelled order's "
    "stock is back.",
    OrderEventPayload,
    permission=ORDERS_READ,
).name
ORDER_COMPLETED = event_type(
    "order.completed", "An order was completed (completedAt).", OrderEventPayload, permission=ORDERS_READ
).name
