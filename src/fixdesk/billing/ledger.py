"""What moves an invoice's balance, written once: payments, refunds and credit notes, the balance and the
status that follows it, and the events of each (in the caller's transaction).

``balance_due = total − amount_credited − amount_paid`` (``amount_paid`` = payments − refunds), in the
invoice's currency; never negative. Callers hold the invoice row locked
(:func:`fixdesk.billing.access.get_for_change`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fixdesk.billing import lifecycle, totals
from fixdesk.billing.events import (
    INVOICE_PAID,
    PAYMENT_RECEIVED,
    PAYMENT_REFUNDED,
    InvoiceEventPayload,
    PaymentEventPayload,
)
from fixdesk.billing.models import (
    Invoice,
    InvoiceStatus,
    LineColumns,
    Payment,
    PaymentKind,
    PaymentSource,
)
from fixdesk.billing.schemas import LineCreate
from fixdesk.config import Settings
from fixdesk.db import round_money, utcnow
from fixdesk.platform.errors import Conflict, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.permissions import Principal

ZERO = Decimal("0.00")


def current_status(invoice: Invoice, today: date) -> str:
    """The invoice's status on ``today`` (the shop's day): the stored one, except that an owing invoice
    past its due date reads ``overdue`` even before the overdue job has stored it."""
    return lifecycle.status_for(
        draft=invoice.status == InvoiceStatus.draft,
        void=invoice.status == InvoiceStatus.void,
        balance_due=invoice.balance_due,
        amount_paid=invoice.amount_paid,
        due_date=invoice.due_date,
        today=today,
    ).value


def refresh(invoice: Invoice, today: date, now: datetime | None = None) -> tuple[str, str]:
    """Recompute ``balance_due`` and ``status`` from the amounts and the due date; stamp ``paid_at`` when
    the balance reaches zero (and clear it when a refund reopens it). Returns ``(before, after)``."""
    before = invoice.status
    invoice.balance_due = round_money(invoice.total - invoice.amount_credited - invoice.amount_paid)
    if invoice.balance_due < 0:
        # Guarded by every caller; the CHECK constraint would refuse the row anyway.
        raise Conflict("The invoice's balance cannot go below zero.")
    invoice.status = current_status(invoice, today)
    if invoice.status == InvoiceStatus.paid:
        invoice.paid_at = invoice.paid_at or (now or utcnow())
    elif invoice.status != InvoiceStatus.void:
        invoice.paid_at = None
    return before, invoice.status


def price_lines(
    lines: Sequence[LineCreate], rounding: str, default_tax_rate: Decimal, *, field: str = "lines"
) -> tuple[list[dict[str, Any]], totals.DocumentTotals]:
    """Column values of each line and the document's totals by :mod:`fixdesk.billing.totals`; a line
    without ``taxRate`` takes ``default_tax_rate``. Raises :class:`ValidationFailed` naming
    ``<field>.<n>.discount`` for a discount above its line's gross amount."""
    inputs = [
        totals.LineInput(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            tax_rate=Decimal("0")
            if line.tax_exempt
            else (line.tax_rate if line.tax_rate is not None else default_tax_rate),
            tax_exempt=line.tax_exempt,
        )
        for line in lines
    ]
    try:
        result = totals.compute(inputs, rounding)
    except totals.DiscountTooLarge as error:
        raise ValidationFailed.for_field(f"{field}.{error.position}.discount", str(error)) from None
    values = [
        {
            "position": position,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "tax_rate": priced.tax_rate,
            "tax_exempt": priced.tax_exempt,
            "net_amount": priced.net_amount,
            "tax_amount": priced.tax_amount,
        }
        for position, (line, priced) in enumerate(zip(lines, result.lines, strict=True))
    ]
    return values, result


def line_input(row: LineColumns) -> LineCreate:
    """A stored line as the input it was priced from (to price a document again)."""
    return LineCreate(
        description=row.description,
        quantity=row.quantity,
        unit_price=row.unit_price,
        discount=row.discount,
        tax_rate=None if row.tax_exempt else row.tax_rate,
        tax_exempt=row.tax_exempt,
    )


async def publish_invoice(
    session: Any, name: str, invoice: Invoice, principal: Principal | None, **change: Any
) -> None:
    actor = principal.staff_user_id if principal else None
    await publish(
        session,
        name,
        InvoiceEventPayload.of(invoice, changed_by_id=actor, **change),
        customer_id=invoice.customer_id,
        actor_id=actor,
    )


async def record_payment(
    session: Any,
    principal: Principal | None,
    invoice: Invoice,
    *,
    amount: Decimal,
    method: str,
    settings: Settings,
    reference: str | None = None,
    notes: str | None = None,
    source: str = PaymentSource.manual.value,
    provider: str | None = None,
    provider_reference: str | None = None,
    received_at: datetime | None = None,
) -> Payment:
    """Record ``amount`` received for ``invoice`` (locked by the caller) and publish ``payment.received``
    (and ``invoice.paid`` when it settles the balance).

    Raises :class:`Conflict` (409) for a void invoice, for a draft (finalise it first; a repair's deposit,
    ``source`` deposit, is the one payment a draft takes) and for an amount above the balance due."""
    if invoice.status == InvoiceStatus.void:
        raise Conflict("A void invoice takes no payments.", status=invoice.status)
    if invoice.status == InvoiceStatus.draft and source != PaymentSource.deposit:
        raise Conflict(
            "Finalise or send the invoice before recording a payment: a draft has no number yet.",
            status=invoice.status,
            allowed=lifecycle.allowed_next(invoice.status),
        )
    if amount > invoice.balance_due:
        raise Conflict(
            f"The payment ({amount}) is more than the balance due ({invoice.balance_due}).",
            balanceDue=float(invoice.balance_due),
        )
    now = utcnow()
    payment = Payment(
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        kind=PaymentKind.payment.value,
        method=method,
        source=source,
        amount=amount,
        currency=invoice.currency,
        refunded_amount=ZERO,
        reference=reference,
        notes=notes,
        provider=provider,
        provider_reference=provider_reference,
        received_at=received_at or now,
        recorded_by_id=principal.staff_user_id if principal else None,
        created_at=now,
    )
    session.add(payment)
    invoice.amount_paid = round_money(invoice.amount_paid + amount)
    _, after = refresh(invoice, settings.shop_today(now), now)
    invoice.updated_at = now
    await session.flush()
    await publish(
        session,
        PAYMENT_RECEIVED,
        PaymentEventPayload.of(payment, invoice),
        customer_id=invoice.customer_id,
        actor_id=payment.recorded_by_id,
    )
    if after == InvoiceStatus.paid:
        await publish_invoice(session, INVOICE_PAID, invoice, principal)
    return payment


async def record_refund(
    session: Any,
    principal: Principal | None,
    invoice: Invoice,
    payment: Payment,
    *,
    amount: Decimal,
    settings: Settings,
    reference: str | None = None,
    notes: str | None = None,
    provider_reference: str | None = None,
) -> Payment:
    """Give back ``amount`` of ``payment`` (its invoice locked by the caller): the invoice's balance grows
    by it and its status follows. Publishes ``payment.refunded``.

    Raises :class:`Conflict` (409) for a refund of a refund and for an amount above what is left of the
    payment after its earlier refunds."""
    if payment.kind != PaymentKind.payment:
        raise Conflict("A refund cannot be refunded.")
    refundable = round_money(payment.amount - payment.refunded_amount)
    if amount > refundable:
        raise Conflict(
            f"The refund ({amount}) is more than what is left of the payment ({refundable}).",
            refundable=float(refundable),
        )
    now = utcnow()
    refund = Payment(
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        kind=PaymentKind.refund.value,
        method=payment.method,
        source=payment.source if provider_reference else PaymentSource.manual.value,
        amount=amount,
        currency=payment.currency,
        refunded_amount=ZERO,
        refund_of_id=payment.id,
        reference=reference,
        notes=notes,
        provider=payment.provider if provider_reference else None,
        provider_reference=provider_reference,
        received_at=now,
        recorded_by_id=principal.staff_user_id if principal else None,
        created_at=now,
    )
    session.add(refund)
    payment.refunded_amount = round_money(payment.refunded_amount + amount)
    invoice.amount_paid = round_money(invoice.amount_paid - amount)
    if invoice.status != InvoiceStatus.void:
        refresh(invoice, settings.shop_today(now), now)
    invoice.updated_at = now
    await session.flush()
    await publish(
        session,
        PAYMENT_REFUNDED,
        PaymentEventPayload.of(refund, invoice),
        customer_id=invoice.customer_id,
        actor_id=refund.recorded_by_id,
    )
    return refund
