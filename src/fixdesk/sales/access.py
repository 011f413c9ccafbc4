"""How other domains read sales orders (the marketing domain's segmentation, spend and RFM).

A **purchase** here is an order that was not cancelled and whose payment was not refunded; its amount
is the order's total (tax included) in integer cents, its moment when it was completed, or placed while
it is still open. Cents keep SQL sums exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Select, func, select, type_coerce

from fixdesk.sales.models import Order, OrderStatus, PaymentStatus


def order_purchases() -> Select[tuple[uuid.UUID, int, datetime]]:
    """``SELECT customer_id, amount_cents, purchased_at`` for every order that counts as a purchase (see
    the module docstring): a subquery for aggregates per customer."""
    return select(
        Order.customer_id.label("customer_id"),
        type_coerce(Order.total, BigInteger).label("amount_cents"),
        func.coalesce(Order.completed_at, Order.created_at).label("purchased_at"),
    ).where(
        Order.status != OrderStatus.cancelled.value,
        Order.payment_status != PaymentStatus.refunded.value,
    )


def order_totals_by_customer() -> Select[tuple[uuid.UUID, int, int]]:
    """``SELECT customer_id, order_count, revenue_cents`` per customer with at least one purchase order
    (see the module docstring), grouped through ``ix_orders_customer_id_created_at``."""
    purchases = order_purchases().subquery()
    return select(
        purchases.c.customer_id,
        func.count().label("order_count"),
        func.sum(purchases.c.amount_cents).label("revenue_cents"),
    ).group_by(purchases.c.customer_id)
