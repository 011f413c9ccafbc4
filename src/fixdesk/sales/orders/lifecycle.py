"""The order lifecycle (DESIGN.md, "Lifecycles"; seed 002's statuses).

``pending → processing → completed``; ``cancelled`` from ``pending`` or ``processing`` (a completed order
is not cancelled: its money goes back through the payment status, ``refunded``). An order may be
completed straight from ``pending`` (a counter sale handed over at once). Payment status:
``unpaid → paid → refunded``.
"""

from __future__ import annotations

from fixdesk.sales.models import OrderStatus as S
from fixdesk.sales.models import PaymentStatus as P

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.pending: (S.processing, S.completed, S.cancelled),
    S.processing: (S.completed, S.cancelled),
    S.completed: (),
    S.cancelled: (),
}

PAYMENT_TRANSITIONS: dict[P, tuple[P, ...]] = {
    P.unpaid: (P.paid,),
    P.paid: (P.refunded,),
    P.refunded: (),
}


def allowed_next(current: str) -> list[str]:
    """The statuses an order in ``current`` may move to, in lifecycle order."""
    return [status.value for status in TRANSITIONS[S(current)]]


def allowed_payment_next(current: str) -> list[str]:
    """The payment statuses an order paid ``current`` may move to."""
    return [status.value for status in PAYMENT_TRANSITIONS[P(current)]]
