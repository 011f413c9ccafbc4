"""Invoice rules: drafts made from a repair, a work order or free lines; editing and deleting drafts;
finalising (gap-free ``INV-YYYY-NNNNNN`` taken in the same transaction, issue and due dates, frozen);
sending; voiding; credit notes (``CN-YYYY-NNNNNN``); customers' payment terms; and the events of each
change, published in the same transaction.

Scoping: :mod:`fixdesk.billing.access`. Repairs and work orders are read only through their domains'
access functions (``get_billable``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.billing import ledger, lifecycle
from fixdesk.billing.access import get_for_change, visible_invoices
from fixdesk.billing.events import (
    CREDIT_NOTE_CREATED,
    INVOICE_CREATED,
    INVOICE_DELETED,
    INVOICE_FINALIZED,
    INVOICE_PAID,
    INVOICE_SENT,
    INVOICE_UPDATED,
    INVOICE_VOIDED,
    CreditNoteEventPayload,
)
from fixdesk.billing.models import (
    CreditNote,
    CreditNoteLine,
    CustomerPaymentTerms,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
)
from fixdesk.billing.schemas import CreditNoteCreate, InvoiceCreate, InvoiceUpdate, LineCreate
from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.fieldservice import access as fieldservice
from fixdesk.platform.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.numbering import next_number
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access as repairs

INVOICE_NUMBER_PREFIX = "INV"
CREDIT_NOTE_NUMBER_PREFIX = "CN"
_CUSTOMER_BRIEF = (Customer.first_name, Customer.last_name, Customer.email, Customer.phone)
_OWING = [status.value for status in lifecycle.OWING]


def _with_customer(statement: Select[tuple[Invoice]], *, full: bool = False) -> Select[tuple[Invoice]]:
    customer = (
        joinedload(Invoice.customer) if full else joinedload(Invoice.customer).load_only(*_CUSTOMER_BRIEF)
    )
    return statement.options(customer).execution_options(populate_existing=True)


def _with_detail(statement: Select[tuple[Invoice]], *, full: bool = False) -> Select[tuple[Invoice]]:
    return _with_customer(statement, full=full).options(
        selectinload(Invoice.lines),
        selectinload(Invoice.credit_notes).selectinload(CreditNote.lines),
        selectinload(Invoice.payments),
    )


async def get_invoice(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, *, for_print: bool = False
) -> Invoice:
    """One invoice with customer (the whole row ``for_print``: the address goes on the PDF), lines,
    credit notes and payments if ``principal`` may see it; else :class:`NotFound` (404)."""
    statement = _with_detail(visible_invoices(principal).where(Invoice.id == invoice_id), full=for_print)
    invoice = (await session.execute(statement)).unique().scalar_one_or_none()
    if invoice is None:
        raise NotFound(f"Invoice {invoice_id} not found.")
    return invoice


@dataclass(frozen=True)
class InvoiceFilters:
    """List filters: ``status`` as :func:`fixdesk.billing.ledger.current_status` reads it (``overdue``
    includes owing invoices past their due date), the customer, the repair or work order, the issue date
    range (inclusive, shop calendar; drafts have none) and ``overdue`` alone."""

    status: str | None = None
    customer_id: uuid.UUID | None = None
    repair_id: uuid.UUID | None = None
    work_order_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool | None = None


def _past_due(today: date) -> Any:
    return and_(Invoice.status.in_(_OWING), Invoice.due_date < today)


def list_statement(principal: Principal, filters: InvoiceFilters, today: date) -> Select[tuple[Invoice]]:
    statement = visible_invoices(principal)
    if filters.status == InvoiceStatus.overdue:
        statement = statement.where(_past_due(today))
    elif filters.status in (InvoiceStatus.sent, InvoiceStatus.partially_paid):
        statement = statement.where(
            Invoice.status == filters.status, or_(Invoice.due_date.is_(None), Invoice.due_date >= today)
        )
    elif filters.status is not None:
        statement = statement.where(Invoice.status == filters.status)
    if filters.overdue is True:
        statement = statement.where(_past_due(today))
    elif filters.overdue is False:
        statement = statement.where(~_past_due(today))
    if filters.customer_id is not None:
        statement = statement.where(Invoice.customer_id == filters.customer_id)
    if filters.repair_id is not None:
        statement = statement.where(Invoice.repair_id == filters.repair_id)
    if filters.work_order_id is not None:
        statement = statement.where(Invoice.work_order_id == filters.work_order_id)
    if filters.date_from is not None:
        statement = statement.where(Invoice.issue_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(Invoice.issue_date <= filters.date_to)
    return statement.order_by(Invoice.created_at.desc(), Invoice.id.desc())


async def list_invoices(
    session: AsyncSession, principal: Principal, filters: InvoiceFilters, params: PageParams, *, today: date
) -> tuple[list[Invoice], int]:
    """A page of invoices (newest first) with their customers; ``today`` is the shop's day."""
    rows, total = await paginate(session, _with_customer(list_statement(principal, filters, today)), params)
    return list(rows), total


# --- payment terms -------------------------------------------------------------------------------------


async def payment_terms_of(
    session: AsyncSession, customer_id: uuid.UUID, settings: Settings
) -> tuple[int, bool]:
    """The customer's net days and whether they are the shop's default (``FIXDESK_PAYMENT_TERMS_DAYS``)."""
    row = await session.get(CustomerPaymentTerms, customer_id)
    if row is None:
        return settings.payment_terms_days, True
    return row.payment_terms_days, False


async def get_payment_terms(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, settings: Settings
) -> tuple[int, bool]:
    """The customer's payment terms (404 for an unknown customer)."""
    await customers.get_visible(session, principal, customer_id)
    return await payment_terms_of(session, customer_id, settings)


async def set_payment_terms(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, days: int
) -> None:
    """Give the customer their own net days for new invoices (issued invoices keep theirs). 404 for an
    unknown customer."""
    await customers.get_visible(session, principal, customer_id)
    row = await session.get(CustomerPaymentTerms, customer_id, with_for_update=True)
    if row is None:
        session.add(CustomerPaymentTerms(customer_id=customer_id, payment_terms_days=days))
    else:
        row.payment_terms_days = days
    await session.flush()


# --- drafts -------------------------------------------------------------------------------------------------


def _apply_lines(invoice: Invoice, lines: list[LineCreate], settings: Settings) -> list[InvoiceLine]:
    values, result = ledger.price_lines(lines, invoice.rounding, settings.tax_rate)
    invoice.subtotal = result.subtotal
    invoice.tax_amount = result.tax_amount
    invoice.total = result.total
    invoice.tax_breakdown = [group.as_json() for group in result.breakdown]
    return [InvoiceLine(**value) for value in values]


async def _check_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await customers.find_customer(session, customer_id)
    if customer is None:
        raise ValidationFailed.for_field("customerId", "no customer with this id")
    if customers.is_archived(customer):
        raise ValidationFailed.for_field("customerId", "the customer is archived")
    return customer


async def _ensure_not_invoiced(session: AsyncSession, **source: uuid.UUID) -> None:
    """409 when the repair or work order already has an invoice that is not void (a second one would
    bill the customer twice; void the first or correct it with a credit note)."""
    ((column, value),) = source.items()
    existing = (
        await session.execute(
            select(Invoice.id, Invoice.invoice_number).where(
                getattr(Invoice, column) == value, Invoice.status != InvoiceStatus.void.value
            )
        )
    ).first()
    if existing is not None:
        name = existing.invoice_number or f"draft {existing.id}"
        raise Conflict(
            f"This {column.removesuffix('_id').replace('_', ' ')} is already invoiced ({name}).",
            invoiceId=str(existing.id),
        )


def _repair_line(line: Any, tax_rate: Decimal) -> LineCreate:
    return LineCreate(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount=line.discount,
        tax_rate=tax_rate,
    )


async def create_invoice(
    session: AsyncSession,
    principal: Principal,
    data: InvoiceCreate,
    *,
    settings: Settings,
    source: InvoiceSource = InvoiceSource.manual,
) -> Invoice:
    """A draft invoice (no number) from a repair, a work order or free lines, priced by the shop's
    rounding rule (``FIXDESK_INVOICE_ROUNDING``, kept by the invoice), lines without a rate taxed at
    ``FIXDESK_TAX_RATE`` (a repair's or work order's lines at the rate it was priced with), net days from
    the body, else the customer's terms, else ``FIXDESK_PAYMENT_TERMS_DAYS``. A repair's deposit is
    recorded as a payment (method ``other``, source ``deposit``). Publishes ``invoice.created`` (and the
    deposit's ``payment.received``).

    Raises :class:`ValidationFailed` (400 naming the field) for a repair or work order the principal cannot
    read, an unknown or archived customer, a ``customerId`` that is not the
    repair's or work order's, or a discount above its line; :class:`Conflict` (409) when the repair or work
    order is already invoiced, has nothing to bill, or its deposit is more than the total. ``source`` names
    what free lines came from (``order``: :func:`fixdesk.billing.access.invoice_sale`)."""
    lines: list[LineCreate] = []
    repair_number: str | None = None
    deposit = Decimal("0.00")
    if data.repair_id is not None:
        try:
            billable = await repairs.get_billable(session, principal, data.repair_id)
        except NotFound:
            raise ValidationFailed.for_field("repairId", "no repair with this id") from None
        customer_id = billable.customer_id
        repair_number = billable.repair_number
        deposit = billable.deposit
        lines = [_repair_line(line, billable.tax_rate) for line in billable.lines]
        await _ensure_not_invoiced(session, repair_id=billable.id)
        source = InvoiceSource.repair
    elif data.work_order_id is not None:
        try:
            order = await fieldservice.get_billable(session, principal, data.work_order_id)
        except NotFound:
            raise ValidationFailed.for_field("workOrderId", "no work order with this id") from None
        customer_id = order.customer_id
        lines = [_repair_line(line, order.tax_rate) for line in order.lines]
        await _ensure_not_invoiced(session, work_order_id=order.id)
        source = InvoiceSource.work_order
    else:
        assert data.customer_id is not None  # the schema requires it for free lines
        customer_id = data.customer_id
    if data.customer_id is not None and data.customer_id != customer_id:
        raise ValidationFailed.for_field(
            "customerId", f"the {source.value.replace('_', ' ')} is another customer's"
        )
    await _check_customer(session, customer_id)
    lines = [*lines, *data.lines]
    if not lines:
        raise Conflict(
            f"The {source.value.replace('_', ' ')} has no lines to invoice: add its parts or labour first."
        )
    if data.payment_terms_days is not None:
        terms = data.payment_terms_days
    else:
        terms, _ = await payment_terms_of(session, customer_id, settings)
    now = utcnow()
    invoice = Invoice(
        customer_id=customer_id,
        source=source.value,
        repair_id=data.repair_id,
        work_order_id=data.work_order_id,
        status=InvoiceStatus.draft.value,
        currency=settings.currency,
        rounding=settings.invoice_rounding,
        payment_terms_days=terms,
        notes=data.notes,
        amount_paid=Decimal("0.00"),
        amount_credited=Decimal("0.00"),
        created_by_id=principal.staff_user_id,
        created_at=now,
        updated_at=now,
    )
    invoice.lines = _apply_lines(invoice, lines, settings)
    invoice.balance_due = invoice.total
    if deposit > invoice.total:
        raise Conflict(
            f"The repair's deposit ({deposit}) is more than its invoice total ({invoice.total}): add the "
            "repair's lines first, or refund the difference.",
        )
    session.add(invoice)
    await session.flush()
    await ledger.publish_invoice(session, INVOICE_CREATED, invoice, principal)
    if deposit > 0:
        await ledger.record_payment(
            session,
            principal,
            invoice,
            amount=deposit,
            method=PaymentMethod.other.value,
            source=PaymentSource.deposit.value,
            reference=f"Deposit on {repair_number}",
            settings=settings,
        )
    return invoice


def _ensure_draft(invoice: Invoice, action: str) -> None:
    if invoice.status != InvoiceStatus.draft:
        raise Conflict(
            f"Only a draft invoice can be {action}; this one is {invoice.status}. Correct an issued invoice "
            "with a credit note or void it.",
            status=invoice.status,
            allowed=lifecycle.allowed_next(invoice.status),
        )


async def update_invoice(
    session: AsyncSession,
    principal: Principal,
    invoice_id: uuid.UUID,
    data: InvoiceUpdate,
    *,
    settings: Settings,
) -> Invoice:
    """Change a draft's lines (all replaced), notes or net days, and re-price it. Publishes
    ``invoice.updated``. :class:`Conflict` (409) for an issued invoice (frozen) or when the new total is
    below what was already paid (a repair's deposit)."""
    invoice = await get_for_change(session, principal, invoice_id)
    _ensure_draft(invoice, "edited")
    changes = data.model_fields_set
    if "lines" in changes and data.lines is not None:
        if not data.lines:
            raise ValidationFailed.for_field("lines", "an invoice needs at least one line")
        await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        for row in _apply_lines(invoice, list(data.lines), settings):
            row.invoice_id = invoice.id
            session.add(row)
        if invoice.total < invoice.amount_paid:
            raise Conflict(
                f"The new total ({invoice.total}) is below what was already paid ({invoice.amount_paid})."
            )
    if "payment_terms_days" in changes and data.payment_terms_days is not None:
        invoice.payment_terms_days = data.payment_terms_days
    if "notes" in changes:
        invoice.notes = data.notes
    ledger.refresh(invoice, settings.shop_today(utcnow()))
    invoice.updated_at = utcnow()
    await session.flush()
    await ledger.publish_invoice(
        session, INVOICE_UPDATED, invoice, principal, changed_fields=sorted(_camel(name) for name in changes)
    )
    return invoice


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def delete_invoice(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> None:
    """Delete a draft with its lines and its deposit payment (the deposit stays on the repair, and comes
    back with the next invoice of it). Publishes ``invoice.deleted``. 409 for an issued invoice."""
    invoice = await get_for_change(session, principal, invoice_id)
    _ensure_draft(invoice, "deleted")
    await ledger.publish_invoice(session, INVOICE_DELETED, invoice, principal)
    await session.execute(
        delete(Payment).where(Payment.invoice_id == invoice.id, Payment.refund_of_id.is_not(None))
    )
    await session.execute(delete(Payment).where(Payment.invoice_id == invoice.id))
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    await session.delete(invoice)
    await session.flush()


async def _finalize(
    session: AsyncSession, principal: Principal, invoice: Invoice, settings: Settings
) -> None:
    """Number, date and freeze a locked draft. The number is taken from the counter row in this same
    transaction (:func:`fixdesk.platform.numbering.next_number`), so a rolled-back finalisation gives its
    number back and committed numbers have no gaps."""
    now = utcnow()
    invoice.invoice_number = await next_number(
        session, INVOICE_NUMBER_PREFIX, at=now, zone=settings.shop_timezone
    )
    invoice.issue_date = settings.shop_today(now)
    invoice.due_date = invoice.issue_date + timedelta(days=invoice.payment_terms_days)
    invoice.finalized_at = now
    invoice.status = InvoiceStatus.sent.value  # issued; refresh() moves it on by the balance
    ledger.refresh(invoice, invoice.issue_date, now)
    invoice.updated_at = now
    await session.flush()
    await ledger.publish_invoice(session, INVOICE_FINALIZED, invoice, principal)
    if invoice.status == InvoiceStatus.paid:
        # A deposit that covered the whole total: paid the moment it is issued.
        await ledger.publish_invoice(session, INVOICE_PAID, invoice, principal)


async def finalize_invoice(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, *, settings: Settings
) -> Invoice:
    """Issue a draft: the next ``INV-YYYY-NNNNNN`` (the shop's year), ``issueDate`` today and ``dueDate``
    issue date + net days (shop calendar); frozen from now on. Publishes ``invoice.finalized``.
    :class:`IllegalTransition` (409, naming the allowed next states) unless it is a draft."""
    invoice = await get_for_change(session, principal, invoice_id)
    if invoice.status != InvoiceStatus.draft:
        raise IllegalTransition(
            invoice.status, InvoiceStatus.sent.value, lifecycle.allowed_next(invoice.status)
        )
    await _finalize(session, principal, invoice, settings)
    return invoice


async def send_invoice(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, *, settings: Settings
) -> Invoice:
    """Email the invoice to its customer with the PDF attached and a link to pay (the ``invoice_sent``
    message, queued by :mod:`fixdesk.billing.jobs` from ``invoice.sent``); a draft is finalised first.
    Sending an issued invoice again sends it again.

    Raises :class:`IllegalTransition` (409) for a void invoice and :class:`Conflict` (409) when the
    customer has no email address or does not take email."""
    invoice = await get_for_change(session, principal, invoice_id)
    if invoice.status == InvoiceStatus.void:
        raise IllegalTransition(
            invoice.status, InvoiceStatus.sent.value, lifecycle.allowed_next(invoice.status)
        )
    customer = await customers.find_customer(session, invoice.customer_id)
    if customer is None or not customer.email or not customer.notify_email:
        raise Conflict(
            "The customer has no email address or does not take email: finalise the invoice and hand it "
            "over instead."
        )
    if invoice.status == InvoiceStatus.draft:
        await _finalize(session, principal, invoice, settings)
    now = utcnow()
    invoice.sent_at = now
    invoice.updated_at = now
    await session.flush()
    await ledger.publish_invoice(session, INVOICE_SENT, invoice, principal)
    return invoice


async def void_invoice(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, reason: str, *, settings: Settings
) -> Invoice:
    """Void an issued invoice, keeping it (and its number) with the reason. Publishes ``invoice.voided``.

    Raises :class:`IllegalTransition` (409) for a draft (delete it instead) or a void invoice, and
    :class:`Conflict` (409) while payments stand on it (refund them first, or correct the invoice with a
    credit note)."""
    invoice = await get_for_change(session, principal, invoice_id)
    if invoice.status in (InvoiceStatus.draft, InvoiceStatus.void):
        allowed = [] if invoice.status == InvoiceStatus.void else ["delete"]
        raise IllegalTransition(invoice.status, InvoiceStatus.void.value, allowed)
    if invoice.amount_paid > 0:
        raise Conflict(
            f"{invoice.amount_paid} has been paid on this invoice: refund the payments first, or correct the "
            "invoice with a credit note.",
            amountPaid=float(invoice.amount_paid),
        )
    now = utcnow()
    invoice.status = InvoiceStatus.void.value
    invoice.voided_at = now
    invoice.void_reason = reason
    invoice.balance_due = Decimal("0.00")
    invoice.updated_at = now
    await session.flush()
    await ledger.publish_invoice(session, INVOICE_VOIDED, invoice, principal)
    return invoice


async def create_credit_note(
    session: AsyncSession,
    principal: Principal,
    invoice_id: uuid.UUID,
    data: CreditNoteCreate,
    *,
    settings: Settings,
) -> CreditNote:
    """A credit note on an issued invoice: the next ``CN-YYYY-NNNNNN``, its lines priced by the invoice's
    rounding rule, its total taken off the balance (the status follows). Publishes
    ``credit_note.created`` (and ``invoice.paid`` when it settles the balance).

    Raises :class:`Conflict` (409) for a draft (edit it instead) or a void invoice, and for a total above
    the balance due (refund a payment first)."""
    invoice = await get_for_change(session, principal, invoice_id)
    if invoice.status in (InvoiceStatus.draft, InvoiceStatus.void):
        raise Conflict(
            f"A credit note corrects an issued invoice; this one is {invoice.status}.",
            status=invoice.status,
            allowed=lifecycle.allowed_next(invoice.status),
        )
    values, result = ledger.price_lines(data.lines, invoice.rounding, settings.tax_rate)
    if result.total > invoice.balance_due:
        raise Conflict(
            f"The credit note ({result.total}) is more than the balance due ({invoice.balance_due}): refund "
            "a payment first.",
            balanceDue=float(invoice.balance_due),
        )
    now = utcnow()
    credit_note = CreditNote(
        credit_note_number=await next_number(
            session, CREDIT_NOTE_NUMBER_PREFIX, at=now, zone=settings.shop_timezone
        ),
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        issue_date=settings.shop_today(now),
        reason=data.reason,
        subtotal=result.subtotal,
        tax_amount=result.tax_amount,
        total=result.total,
        tax_breakdown=[group.as_json() for group in result.breakdown],
        created_by_id=principal.staff_user_id,
        created_at=now,
        lines=[CreditNoteLine(**value) for value in values],
    )
    session.add(credit_note)
    invoice.amount_credited = invoice.amount_credited + result.total
    _, after = ledger.refresh(invoice, settings.shop_today(now), now)
    invoice.updated_at = now
    await session.flush()
    await publish(
        session,
        CREDIT_NOTE_CREATED,
        CreditNoteEventPayload.of(credit_note, invoice),
        customer_id=invoice.customer_id,
        actor_id=principal.staff_user_id,
    )
    if after == InvoiceStatus.paid:
        await ledger.publish_invoice(session, INVOICE_PAID, invoice, principal)
    return credit_note


async def mark_paid(
    session: AsyncSession,
    principal: Principal,
    invoice_id: uuid.UUID,
    *,
    method: str,
    reference: str | None,
    settings: Settings,
) -> Invoice:
    """Record the whole balance due as one payment (seed 001's mark-paid). 409 for a draft, a void
    invoice, or one with nothing owed."""
    invoice = await get_for_change(session, principal, invoice_id)
    if invoice.status == InvoiceStatus.paid or (
        invoice.status not in (InvoiceStatus.draft, InvoiceStatus.void) and invoice.balance_due <= 0
    ):
        raise IllegalTransition(
            invoice.status, InvoiceStatus.paid.value, lifecycle.allowed_next(invoice.status)
        )
    if invoice.status == InvoiceStatus.void:
        raise IllegalTransition(invoice.status, InvoiceStatus.paid.value, [])
    await ledger.record_payment(
        session,
        principal,
        invoice,
        amount=invoice.balance_due,
        method=method,
        reference=reference,
        settings=settings,
    )
    return invoice
