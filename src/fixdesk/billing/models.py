"""Invoices, their lines, credit notes and payments (issue 12, seed 001).

Money columns are :class:`~fixdesk.db.Money` (``BIGINT`` cents, exact under ``SUM``) in the invoice's
``currency`` (the shop's ``FIXDESK_CURRENCY`` when it was created). Totals are computed by the server with
the rule of :mod:`fixdesk.billing.totals` and stored with each document, which keeps the rule it was made
with (``rounding``) when the shop's setting changes later.

What an invoice is owed is kept on its row, under the row lock of every change:
``balance_due = total − amount_credited − amount_paid`` where ``amount_paid`` is the payments less their
refunds. It is never negative (payments above the balance and credit notes above it are refused).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.customers.models import Customer
from fixdesk.db import Base, Hundredths, IdMixin, Money, Percent, TimestampMixin, utcnow


class InvoiceStatus(StrEnum):
    """Where an invoice stands. ``sent`` means issued (finalised, numbered and frozen), whether Fixdesk
    emailed it (``sentAt``) or it was handed over at the counter; the statuses after it follow the balance
    and the due date (:func:`fixdesk.billing.lifecycle.status_for`)."""

    draft = "draft"
    sent = "sent"
    partially_paid = "partially_paid"
    paid = "paid"
    overdue = "overdue"
    void = "void"


class RoundingRule(StrEnum):
    """Where tax is rounded to cents (``FIXDESK_INVOICE_ROUNDING``, see :mod:`fixdesk.billing.totals`)."""

    per_document = "per_document"
    per_line = "per_line"


class InvoiceSource(StrEnum):
    """What an invoice was made from."""

    repair = "repair"
    work_order = "work_order"
    order = "order"  # a sales order (counter or online), through :func:`fixdesk.billing.access.invoice_sale`
    manual = "manual"


class PaymentMethod(StrEnum):
    """Seed 001's payment methods; ``stripe`` is taken by online payments (Stripe Checkout)."""

    card = "card"
    cash = "cash"
    check = "check"
    bank_transfer = "bank_transfer"
    other = "other"
    stripe = "stripe"


class PaymentKind(StrEnum):
    payment = "payment"
    refund = "refund"


class PaymentSource(StrEnum):
    """Who recorded a payment: staff at the counter, a repair's deposit carried onto its invoice, or a
    payment provider's webhook (Stripe, later)."""

    manual = "manual"
    deposit = "deposit"
    stripe = "stripe"


class LineColumns:
    """The columns of a priced line, on an invoice and on a credit note alike:
    ``net_amount = quantity × unit_price − discount`` (cents, half-up), taxed at ``tax_rate`` percent
    (``0`` and ``tax_exempt`` for an exempt line). ``tax_amount`` is the line's own rounded tax under the
    per-line rule and the line's unrounded share rounded for display under the per-document rule."""

    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Hundredths())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    net_amount: Mapped[Decimal] = mapped_column(Money())
    tax_amount: Mapped[Decimal] = mapped_column(Money())


class Invoice(IdMixin, TimestampMixin, Base):
    """An invoice to one customer. A ``draft`` has no number and may be edited or deleted; finalising
    (or sending) gives it ``INV-YYYY-NNNNNN`` (gap-free in the shop's year), an ``issue_date`` and a
    ``due_date`` (issue date + ``payment_terms_days``, both on the shop's calendar), and freezes it."""

    __tablename__ = "invoices"

    invoice_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(20), default=InvoiceSource.manual.value)
    repair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repairs.id", ondelete="RESTRICT"))
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_orders.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=InvoiceStatus.draft.value)
    currency: Mapped[str] = mapped_column(String(3))
    rounding: Mapped[str] = mapped_column(String(20), default=RoundingRule.per_document.value)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # [{"rate": "8.25", "exempt": false, "taxableAmount": "100.00", "taxAmount": "8.25"}], by rate.
    tax_breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    amount_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    amount_credited: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    balance_due: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    finalized_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    voided_at: Mapped[datetime | None] = mapped_column()
    # When the overdue job announced the invoice overdue (``invoice.overdue``, once per invoice).
    overdue_at: Mapped[datetime | None] = mapped_column()
    void_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship(lazy="raise")
    lines: Mapped[list[InvoiceLine]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="(InvoiceLine.position, InvoiceLine.id)"
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        lazy="raise", order_by="(CreditNote.created_at, CreditNote.id)", viewonly=True
    )
    payments: Mapped[list[Payment]] = relationship(
        lazy="raise", order_by="(Payment.created_at, Payment.id)", viewonly=True
    )

    __table_args__ = (
        CheckConstraint("balance_due >= 0", name="balance_not_negative"),
        Index("ix_invoices_status_due_date", "status", "due_date"),
        Index("ix_invoices_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_invoices_issue_date", "issue_date"),
        Index("ix_invoices_due_date", "due_date"),
        Index("ix_invoices_repair_id", "repair_id"),
        Index("ix_invoices_work_order_id", "work_order_id"),
    )


class InvoiceLine(LineColumns, IdMixin, Base):
    """A line of an invoice (see :class:`LineColumns`)."""

    __tablename__ = "invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_invoice_lines_invoice_id_position", "invoice_id", "position"),
    )


class CreditNote(IdMixin, Base):
    """A correction of an issued invoice, numbered ``CN-YYYY-NNNNNN`` (gap-free in the shop's year): its
    lines are priced and taxed like the invoice's and its ``total`` reduces the invoice's balance."""

    __tablename__ = "credit_notes"

    credit_note_number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(Money())
    tax_amount: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    tax_breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[CreditNoteLine]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="(CreditNoteLine.position, CreditNoteLine.id)"
    )

    __table_args__ = (Index("ix_credit_notes_invoice_id", "invoice_id"),)


class CreditNoteLine(LineColumns, IdMixin, Base):
    """A line of a credit note (see :class:`LineColumns`)."""

    __tablename__ = "credit_note_lines"

    credit_note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_credit_note_lines_credit_note_id_position", "credit_note_id", "position"),
    )


class Payment(IdMixin, Base):
    """Money received for an invoice (``kind`` payment) or given back (``kind`` refund, of the payment
    ``refund_of_id``). ``amount`` is positive in both; ``refunded_amount`` is how much of a payment its
    refunds gave back. ``provider``/``provider_reference`` name the provider's record (a Stripe payment
    intent), unique together so a provider's event is applied once."""

    __tablename__ = "payments"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10), default=PaymentKind.payment.value)
    method: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default=PaymentSource.manual.value)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    refund_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunded_within_amount"),
        Index("ix_payments_invoice_id_created_at", "invoice_id", "created_at"),
        Index("ix_payments_customer_id_received_at", "customer_id", "received_at"),
        Index("ix_payments_received_at", "received_at"),
        Index("ix_payments_method_received_at", "method", "received_at"),
        Index("ix_payments_refund_of_id", "refund_of_id"),
        Index("ix_payments_provider_reference", "provider", "provider_reference", unique=True),
    )


class CustomerPaymentTerms(Base):
    """A customer's own payment terms (net days), overriding ``FIXDESK_PAYMENT_TERMS_DAYS`` for their new
    invoices. Kept by billing rather than on the customer so the customers domain knows nothing of money."""

    __tablename__ = "customer_payment_terms"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="terms_days"),)


class StripeEvent(Base):
    """A Stripe webhook event (``evt_…``), recorded once by its id in the transaction that applies it, so
    a retried or concurrent delivery of the same event finds it and changes nothing. ``outcome`` says what
    it did: ``payment_recorded``, ``refund_recorded``, ``already_recorded``, ``unknown_invoice``,
    ``not_payable`` (void or draft), ``exceeds_balance``, ``currency_mismatch``, ``not_paid``, ``ignored``
    (a type Fixdesk does not act on)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_stripe_events_received_at", "received_at"),
        Index("ix_stripe_events_invoice_id", "invoice_id"),
    )


class StripeCheckoutSession(Base):
    """A Stripe Checkout Session opened for an invoice's balance (``amount`` in the invoice's currency).
    Remembered so the same balance reuses the same session while it is open (Stripe's sessions expire
    after 24 hours); the idempotency key sent to Stripe is ``idempotency_key``."""

    __tablename__ = "stripe_checkout_sessions"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    url: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_stripe_checkout_sessions_invoice_id_created_at", "invoice_id", "created_at"),)


class InvoiceReminder(IdMixin, Base):
    """A ``payment_reminder`` sent for an invoice ``days_offset`` days from its due date (negative:
    before it), one per invoice and offset (``FIXDESK_PAYMENT_REMINDER_DAYS``)."""

    __tablename__ = "invoice_reminders"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    days_offset: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_invoice_reminders_invoice_id_days_offset", "invoice_id", "days_offset", unique=True),
    )
