"""Billing events in the catalogue and the payloads they carry (seed 001's webhook events
``invoice.created``, ``invoice.sent``, ``invoice.paid``, ``payment.received``, and the rest of an invoice's
life). Amounts are in the payload's ``currency``; dates on the shop's calendar, moments in UTC."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fixdesk.billing.models import CreditNote, Invoice, Payment
from fixdesk.billing.permissions import INVOICES_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel, MoneyOut


class InvoiceEventPayload(CamelModel):
    """An invoice as events describe it (``invoiceNumber`` is ``null`` on a draft), plus the change."""

    id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str | None
    customer_id: uuid.UUID
    repair_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    status: str
    currency: str
    subtotal: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    amount_paid: MoneyOut
    amount_credited: MoneyOut
    balance_due: MoneyOut
    issue_date: date | None
    due_date: date | None
    sent_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    created_at: datetime
    void_reason: str | None = None
    changed_by_id: uuid.UUID | None = None
    changed_fields: list[str] | None = None

    @classmethod
    def of(cls, invoice: Invoice, **change: object) -> InvoiceEventPayload:
        return cls(
            id=invoice.id,
            invoice_id=invoice.id,
            invoice_number=invoice.invoice_number,
            customer_id=invoice.customer_id,
            repair_id=invoice.repair_id,
            work_order_id=invoice.work_order_id,
            status=invoice.status,
            currency=invoice.currency,
            subtotal=invoice.subtotal,
            tax=invoice.tax_amount,
            total=invoice.total,
            amount_paid=invoice.amount_paid,
            amount_credited=invoice.amount_credited,
            balance_due=invoice.balance_due,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            sent_at=invoice.sent_at,
            paid_at=invoice.paid_at,
            voided_at=invoice.voided_at,
            created_at=invoice.created_at,
            void_reason=invoice.void_reason,
            **change,
        )


class PaymentEventPayload(CamelModel):
    """A payment or refund (``kind``) with the invoice's balance after it."""

    id: uuid.UUID
    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str | None
    customer_id: uuid.UUID
    repair_id: uuid.UUID | None
    kind: str
    method: str
    source: str
    amount: MoneyOut
    currency: str
    reference: str | None
    refund_of_id: uuid.UUID | None
    received_at: datetime
    invoice_status: str
    balance_due: MoneyOut
    recorded_by_id: uuid.UUID | None

    @classmethod
    def of(cls, payment: Payment, invoice: Invoice) -> PaymentEventPayload:
        return cls(
            id=payment.id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            invoice_number=invoice.invoice_number,
            customer_id=invoice.customer_id,
            repair_id=invoice.repair_id,
            kind=payment.kind,
            method=payment.method,
            source=payment.source,
            amount=payment.amount,
            currency=payment.currency,
            reference=payment.reference,
            refund_of_id=payment.refund_of_id,
            received_at=payment.received_at,
            invoice_status=invoice.status,
            balance_due=invoice.balance_due,
            recorded_by_id=payment.recorded_by_id,
        )


class CreditNoteEventPayload(CamelModel):
    """A credit note and the invoice's balance after it."""

    id: uuid.UUID
    credit_note_number: str
    invoice_id: uuid.UUID
    invoice_number: str | None
    customer_id: uuid.UUID
    currency: str
    subtotal: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    reason: str
    issue_date: date
    invoice_status: str
    balance_due: MoneyOut
    created_at: datetime

    @classmethod
    def of(cls, credit_note: CreditNote, invoice: Invoice) -> CreditNoteEventPayload:
        return cls(
            id=credit_note.id,
            credit_note_number=credit_note.credit_note_number,
            invoice_id=invoice.id,
            invoice_number=invoice.invoice_number,
            customer_id=invoice.customer_id,
            currency=credit_note.currency,
            subtotal=credit_note.subtotal,
            tax=credit_note.tax_amount,
            total=credit_note.total,
            reason=credit_note.reason,
            issue_date=credit_note.issue_date,
            invoice_status=invoice.status,
            balance_due=invoice.balance_due,
            created_at=credit_note.created_at,
        )


def _invoice_event(name: str, description: str) -> str:
    return event_type(name, description, InvoiceEventPayload, permission=INVOICES_READ).name


INVOICE_CREATED = _invoice_event("invoice.created", "An invoice was generated (a draft, without a number).")
INVOICE_UPDATED = _invoice_event("invoice.updated", "A draft invoice's lines or details changed.")
INVOICE_DELETED = _invoice_event("invoice.deleted", "A draft invoice was deleted.")
INVOICE_FINALIZED = _invoice_event(
    "invoice.finalized", "An invoice was finalised: numbered INV-YYYY-NNNNNN, dated, due date set, frozen."
)
INVOICE_SENT = _invoice_event("invoice.sent", "An invoice was sent to the customer (email with the PDF).")
INVOICE_PAID = _invoice_event("invoice.paid", "An invoice was paid in full (balance zero).")
INVOICE_OVERDUE = _invoice_event(
    "invoice.overdue",
    "An issued invoice is still owing the day after its due date (announced once per invoice).",
)
INVOICE_VOIDED = _invoice_event("invoice.voided", "An issued invoice was voided (voidReason).")
PAYMENT_RECEIVED = event_type(
    "payment.received",
    "A payment was recorded against an invoice (amount, method, the invoice's balance after it).",
    PaymentEventPayload,
    permission=INVOICES_READ,
).name
PAYMENT_REFUNDED = event_type(
    "payment.refunded",
    "Money of a payment was given back (a refund: amount, refundOfId, the invoice's balance after it).",
    PaymentEventPayload,
    permission=INVOICES_READ,
).name
CREDIT_NOTE_CREATED = event_type(
    "credit_note.created",
    "A credit note (CN-YYYY-NNNNNN) corrected an issued invoice and reduced its balance.",
    CreditNoteEventPayload,
    permission=INVOICES_READ,
).name
