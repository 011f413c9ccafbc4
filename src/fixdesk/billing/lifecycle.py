"""The invoice lifecycle (issue 12, DESIGN.md "Billing"): ``draft → sent``; then the status follows the
balance and the due date; ``void`` from any issued state without net payments.

* ``draft``: editable, deletable, no number.
* issued (finalised) and owing: ``overdue`` when the due date (shop calendar) has passed, else
  ``partially_paid`` when something was paid, else ``sent``;
* ``paid`` when nothing is owed any more (payments and credit notes cover the total);
* ``void``: cancelled with a reason, kept for the record; final.

The actions an invoice in each status allows (a 409 for another names them): see :data:`ACTIONS`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fixdesk.billing.models import InvoiceStatus as S

ISSUED = (S.sent, S.partially_paid, S.paid, S.overdue)
OWING = (S.sent, S.partially_paid, S.overdue)

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.draft: (S.sent, S.void),
    S.sent: (S.partially_paid, S.paid, S.overdue, S.void),
    S.partially_paid: (S.sent, S.paid, S.overdue, S.void),
    S.overdue: (S.sent, S.partially_paid, S.paid, S.void),
    S.paid: (S.sent, S.partially_paid, S.overdue, S.void),
    S.void: (),
}


def status_for(
    *,
    draft: bool,
    void: bool,
    balance_due: Decimal,
    amount_paid: Decimal,
    due_date: date | None,
    today: date,
) -> S:
    """The status an invoice's facts give: ``today`` is the shop's calendar day. A balance of zero is
    ``paid`` (covered by payments or credit notes); the day after the due date an owing invoice is
    ``overdue`` (paid in part or not at all)."""
    if void:
        return S.void
    if draft:
        return S.draft
    if balance_due <= 0:
        return S.paid
    if due_date is not None and today > due_date:
        return S.overdue
    if amount_paid > 0:
        return S.partially_paid
    return S.sent


def allowed_next(current: str) -> list[str]:
    """The statuses an invoice in ``current`` may move to."""
    return [status.value for status in TRANSITIONS[S(current)]]
