"""Request and response models of invoices, credit notes and payments (seed 001: an invoice's
``customer_id``, ``work_order_id``, ``status``, ``subtotal``, ``tax``, ``total``, ``due_date``,
``paid_at``; a payment's ``invoice_id``, ``amount``, ``method``, ``reference``; snake_case accepted,
camelCase answered).

Amounts are JSON numbers with two decimals in the invoice's ``currency``; the server computes every total
(:mod:`fixdesk.billing.totals`). Dates are the shop's calendar days (``FIXDESK_SHOP_TIMEZONE``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from fixdesk.billing.models import PaymentMethod
from fixdesk.customers.schemas import CustomerBrief
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut

Quantity = Annotated[Decimal, Field(gt=0, le=100000, max_digits=8, decimal_places=2)]
TaxRate = Annotated[Decimal, Field(ge=0, le=100, max_digits=8, decimal_places=4)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
TermsDays = Annotated[int, Field(ge=0, le=365, description="Net days after the issue date")]
# What a staff member may record; "stripe" payments come from the provider's webhook only.
RecordedMethod = Literal["card", "cash", "check", "bank_transfer", "other"]


class LineCreate(InputModel):
    """A priced line: ``quantity × unitPrice − discount`` (``discount`` an amount, at most
    ``quantity × unitPrice``), taxed at ``taxRate`` percent (the shop's ``FIXDESK_TAX_RATE`` when
    omitted) or not at all when ``taxExempt``."""

    description: str = Field(min_length=1, max_length=300)
    quantity: Quantity = Decimal("1")
    unit_price: MoneyIn = Field(description="Per unit (or per hour), invoice currency")
    discount: MoneyIn = Decimal("0.00")
    tax_rate: TaxRate | None = Field(default=None, description="Percent, e.g. 8.25; default the shop's rate")
    tax_exempt: bool = False

    @model_validator(mode="after")
    def _exempt_has_no_rate(self) -> LineCreate:
        if self.tax_exempt and self.tax_rate not in (None, Decimal("0")):
            raise ValueError("an exempt line has no taxRate")
        return self


class InvoiceCreate(InputModel):
    """A draft invoice, from one of: a repair (``repairId``: its parts and labour, its deposit recorded
    as a payment), a work order (``workOrderId``: its parts and labour) or free ``lines`` (with a
    ``customerId``). Lines given with a repair or work order are added after theirs."""

    customer_id: uuid.UUID | None = Field(default=None, description="Required for an invoice of free lines")
    repair_id: uuid.UUID | None = None
    work_order_id: uuid.UUID | None = None
    lines: list[LineCreate] = Field(default_factory=list, max_length=200)
    payment_terms_days: TermsDays | None = Field(
        default=None, description="Default: the customer's terms, else FIXDESK_PAYMENT_TERMS_DAYS"
    )
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _one_source(self) -> InvoiceCreate:
        if self.repair_id is not None and self.work_order_id is not None:
            raise ValueError("give repairId or workOrderId, not both")
        if self.repair_id is None and self.work_order_id is None:
            if self.customer_id is None:
                raise ValueError("customerId is required for an invoice of free lines")
            if not self.lines:
                raise ValueError("an invoice of free lines needs at least one line")
        return self


class InvoiceUpdate(InputModel):
    """Changes to a draft: ``lines`` replaces every line; omitted fields are kept."""

    lines: list[LineCreate] | None = Field(default=None, max_length=200)
    payment_terms_days: TermsDays | None = None
    notes: str | None = Field(default=None, max_length=5000)


class InvoiceVoid(InputModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the invoice is void (kept)")


class CreditNoteCreate(InputModel):
    """A credit note on an issued invoice: its lines (priced like the invoice's) and why."""

    reason: str = Field(min_length=1, max_length=2000)
    lines: list[LineCreate] = Field(min_length=1, max_length=200)


class MarkPaid(InputModel):
    """Record the whole balance as one payment (seed 001's mark-paid)."""

    method: RecordedMethod = "cash"
    reference: str | None = Field(default=None, max_length=200)


class PaymentCreate(InputModel):
    """A payment received for an invoice (seed 001): at most its balance."""

    invoice_id: uuid.UUID
    amount: PositiveMoney
    method: RecordedMethod
    reference: str | None = Field(default=None, max_length=200, description="Cheque number, card slip…")
    notes: str | None = Field(default=None, max_length=2000)


class RefundCreate(InputModel):
    """Give back part or all of a payment: at most what is left of it after earlier refunds."""

    amount: PositiveMoney
    reference: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class PaymentTermsUpdate(InputModel):
    payment_terms_days: TermsDays


class PaymentTermsRead(CamelModel):
    customer_id: uuid.UUID
    payment_terms_days: int
    is_default: bool = Field(description="True when the customer has no terms of their own")


class LineRead(CamelModel):
    id: uuid.UUID
    position: int
    description: str
    quantity: DecimalNumber
    unit_price: MoneyOut
    discount: MoneyOut
    tax_rate: DecimalNumber
    tax_exempt: bool
    net_amount: MoneyOut
    tax_amount: MoneyOut


class TaxLine(CamelModel):
    rate: DecimalNumber
    exempt: bool
    taxable_amount: MoneyOut
    tax_amount: MoneyOut


class CreditNoteRead(CamelModel):
    id: uuid.UUID
    credit_note_number: str
    invoice_id: uuid.UUID
    currency: str
    issue_date: date
    reason: str
    subtotal: MoneyOut
    tax: MoneyOut = Field(validation_alias="tax_amount")
    total: MoneyOut
    tax_breakdown: list[TaxLine]
    lines: list[LineRead]
    created_at: datetime


class PaymentRead(CamelModel):
    id: uuid.UUID
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    method: PaymentMethod
    source: str
    amount: MoneyOut
    currency: str
    refunded_amount: MoneyOut
    refund_of_id: uuid.UUID | None
    reference: str | None
    notes: str | None
    provider: str | None
    provider_reference: str | None
    received_at: datetime
    recorded_by_id: uuid.UUID | None
    created_at: datetime


class InvoiceRead(CamelModel):
    """An invoice in a list (seed 001's fields, camelCase, plus the balance). ``status`` is current:
    an owing invoice past its due date reads ``overdue``."""

    id: uuid.UUID
    invoice_number: str | None
    customer_id: uuid.UUID
    customer: CustomerBrief
    source: str
    repair_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    status: str
    currency: str
    rounding: str
    subtotal: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    amount_paid: MoneyOut
    amount_credited: MoneyOut
    balance_due: MoneyOut
    payment_terms_days: int
    issue_date: date | None
    due_date: date | None
    finalized_at: datetime | None
    sent_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    void_reason: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


class InvoiceDetail(InvoiceRead):
    """One invoice with its lines, tax breakdown, credit notes, payments and what may happen next."""

    lines: list[LineRead]
    tax_breakdown: list[TaxLine]
    credit_notes: list[CreditNoteRead]
    payments: list[PaymentRead]
    allowed_transitions: list[str]
    pdf_url: str
    portal_url: str


class CheckoutSessionRead(CamelModel):
    """A Stripe Checkout Session for an invoice's balance: send the customer to ``checkoutUrl``.
    ``amount`` is the balance it charges, in ``currency``."""

    session_id: str
    checkout_url: str
    invoice_id: uuid.UUID
    amount: MoneyOut
    currency: str
    created_at: datetime


class StripeWebhookAnswer(CamelModel):
    """What Fixdesk did with a Stripe event: ``outcome`` ``payment_recorded``, ``refund_recorded``,
    ``already_recorded`` (a retry, or the payment came with another event), ``unknown_invoice``,
    ``not_payable``, ``exceeds_balance``, ``currency_mismatch``, ``not_paid`` or ``ignored``."""

    received: bool = True
    event_id: str
    outcome: str | None


class PortalInvoiceDetail(InvoiceDetail):
    """One of the customer's invoices as the portal shows it: the staff's notes on payments and who
    recorded them left out, no lifecycle actions; ``canPayOnline`` says whether ``POST checkoutPath`` opens
    a Stripe Checkout for the balance (Stripe configured and something owed)."""

    can_pay_online: bool
    checkout_path: str
