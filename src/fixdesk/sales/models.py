"""Sales tables: products with their stock ledger, counter and online orders, and website visits
(seed 002's products, orders and visitor insights).

Stock is a **ledger**: every change of a product's stock is a :class:`StockMovement` row with a signed
quantity, and ``products.on_hand`` is a cached copy of the sum of its movements, updated in the same
transaction as each movement is written (:mod:`fixdesk.sales.products.stock` is the only writer), so the
figure a list shows always equals the ledger's sum.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.customers.models import Customer
from fixdesk.db import Base, IdMixin, Money, Percent, TimestampMixin, utcnow


class MovementKind(StrEnum):
    """Why a product's stock changed. The sign of a movement's quantity follows its kind: ``received``
    and ``returned`` add stock, ``sold`` and ``used_in_repair`` take it out, ``adjusted`` (a stock count,
    breakage, loss) goes either way."""

    received = "received"
    sold = "sold"
    used_in_repair = "used_in_repair"
    adjusted = "adjusted"
    returned = "returned"


class Product(IdMixin, TimestampMixin, Base):
    """A product the shop sells or fits (seed 002's product plus a unique ``sku``, the ``cost`` to the
    shop, a ``low_stock_threshold`` and an optional ``barcode``). Prices and costs are in the shop's
    currency; ``on_hand`` is units in stock (the ledger's sum, see the module docstring).

    ``low_stock`` records that ``product.low_stock`` was published for the current dip: it is set when the
    stock falls to the threshold or below and cleared when it rises above again, so the event is published
    once per crossing."""

    __tablename__ = "products"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    image_url: Mapped[str | None] = mapped_column(String(500))
    price: Mapped[Decimal] = mapped_column(Money())
    cost: Mapped[Decimal | None] = mapped_column(Money())
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    low_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("low_stock_threshold >= 0", name="low_stock_threshold"),
        Index("ix_products_is_active_name", "is_active", "name"),
        Index("ix_products_low_stock", "low_stock"),
    )


class StockMovement(IdMixin, Base):
    """One change of a product's stock: ``quantity`` units (signed), the stock after it
    (``on_hand_after``), why (``kind``) and what caused it (an order, a repair's line item, a person)."""

    __tablename__ = "stock_movements"

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[Decimal | None] = mapped_column(Money())
    note: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    repair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repairs.id", ondelete="SET NULL"))
    # The repair's line item the part was fitted on; no foreign key, so the ledger keeps its rows when a
    # line is deleted.
    repair_item_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity"),
        Index("ix_stock_movements_product_id_created_at", "product_id", "created_at"),
        Index("ix_stock_movements_order_id", "order_id"),
        Index("ix_stock_movements_repair_id", "repair_id"),
        Index("ix_stock_movements_repair_item_id", "repair_item_id"),
    )


class OrderStatus(StrEnum):
    """DESIGN.md, "Lifecycles": ``pending → processing → completed``, ``cancelled``."""

    pending = "pending"
    processing = "processing"
    completed = "completed"
    cancelled = "cancelled"


class PaymentStatus(StrEnum):
    unpaid = "unpaid"
    paid = "paid"
    refunded = "refunded"


class OrderType(StrEnum):
    """Seed 002: an ``online`` order (the shop's website) or an ``offline`` one (at the counter)."""

    online = "online"
    offline = "offline"


class Order(IdMixin, TimestampMixin, Base):
    """A customer's order of products (seed 002): ``ORD-YYYY-NNNNNN``, lines priced by the server,
    ``subtotal + tax_amount = total`` (shop currency, the rule of :mod:`fixdesk.repairs.items.totals`)."""

    __tablename__ = "orders"

    order_number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    order_type: Mapped[str] = mapped_column(String(10), default=OrderType.offline.value)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.pending.value)
    payment_status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.unpaid.value)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    notes: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The invoice made from the order through billing (``POST /orders/{id}/invoice``); cleared when that
    # draft is deleted. A void invoice stays named here until the order is invoiced again.
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship(lazy="raise")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderItem.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_orders_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_order_type_created_at", "order_type", "created_at"),
        Index("ix_orders_invoice_id", "invoice_id"),
    )


class OrderItem(IdMixin, Base):
    """A line of an order: ``quantity × unit_price = line_total``, with the product's name and SKU as they
    were when ordered."""

    __tablename__ = "order_items"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money())
    line_total: Mapped[Decimal] = mapped_column(Money())

    order: Mapped[Order] = relationship(back_populates="items", lazy="raise")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_order_items_order_id_position", "order_id", "position"),
        Index("ix_order_items_product_id", "product_id"),
    )


class VisitSource(StrEnum):
    """Where a visit was seen: the customer portal, a repair's public tracking page, or the shop's own
    website (through the beacon ``POST /api/v1/visits``)."""

    portal = "portal"
    tracking = "tracking"
    website = "website"


class Visit(IdMixin, Base):
    """One visitor seen on one day of the shop's calendar (the first source that day). ``visitor_hash`` is
    a keyed hash (HMAC-SHA256 under the shop's secret key) of the visitor id the page sent; neither that
    id nor any IP address is stored."""

    __tablename__ = "visits"

    visitor_hash: Mapped[str] = mapped_column(String(64))
    visited_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("uq_visits_visited_on_visitor_hash", "visited_on", "visitor_hash", unique=True),
        Index("ix_visits_visitor_hash_visited_on", "visitor_hash", "visited_on"),
    )
