"""Request and response models of orders (seed 002: ``customerId``, ``orderType`` online|offline,
``items`` of ``productId`` and ``quantity``, ``totalAmount``, ``status``, ``paymentStatus``).

Prices, tax and totals come from the server: an item's ``price`` is the product's price and
``totalAmount`` the order's total, computed with the rule of :mod:`fixdesk.repairs.items.totals` at the
shop's ``FIXDESK_TAX_RATE``. A client may send them (seed 002's clients do) to state what it showed the
customer; one that disagrees with the server's is refused with 400 and nothing is stored. Money is in the
shop's currency.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator

from fixdesk.customers.schemas import CustomerBrief
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut
from fixdesk.sales.models import OrderStatus, OrderType, PaymentStatus


class OrderItemCreate(InputModel):
    """A product and how many units (1..1000). ``price`` (per unit), if sent, must equal the product's."""

    product_id: uuid.UUID
    quantity: int = Field(ge=1, le=1000)
    price: MoneyIn | None = Field(
        default=None, description="Checked against the product's price, never stored"
    )


class OrderCreate(InputModel):
    """A new order for a customer; each product at most once. ``totalAmount``, if sent, must equal the
    total the server computes. ``paymentStatus`` is ``unpaid`` (default) or ``paid`` (paid at the counter)."""

    customer_id: uuid.UUID
    order_type: OrderType = OrderType.offline
    items: Annotated[list[OrderItemCreate], Field(min_length=1, max_length=100)]
    payment_status: PaymentStatus = PaymentStatus.unpaid
    total_amount: MoneyIn | None = Field(default=None, description="Checked against the computed total")
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _each_product_once(self) -> OrderCreate:
        seen: set[uuid.UUID] = set()
        for item in self.items:
            if item.product_id in seen:
                raise ValueError(f"product {item.product_id} is listed twice: give it once with its quantity")
            seen.add(item.product_id)
        if self.payment_status == PaymentStatus.refunded:
            raise ValueError("a new order is unpaid or paid")
        return self


class OrderStatusChange(InputModel):
    """Seed 002's ``PATCH /orders/{id}/status``: a new ``status``, a new ``paymentStatus``, or both."""

    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> OrderStatusChange:
        if self.status is None and self.payment_status is None:
            raise ValueError("give a status, a paymentStatus or both")
        return self


class OrderItemRead(CamelModel):
    product_id: uuid.UUID
    name: str
    sku: str
    quantity: int
    price: MoneyOut = Field(description="Per unit, as charged")
    line_total: MoneyOut


class OrderRead(CamelModel):
    id: uuid.UUID
    order_number: str
    customer_id: uuid.UUID
    customer: CustomerBrief
    order_type: str
    status: str
    payment_status: str
    items: list[OrderItemRead]
    subtotal: MoneyOut
    tax_rate: DecimalNumber = Field(description="Percent")
    tax_amount: MoneyOut
    total_amount: MoneyOut
    currency: str
    notes: str | None
    allowed_transitions: list[str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None
    invoice_id: uuid.UUID | None = Field(
        default=None, description="The invoice made from the order (POST /orders/{id}/invoice), if any"
    )
