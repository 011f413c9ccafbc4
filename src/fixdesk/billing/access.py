"""How invoices and payments are read: the one rule of who may see what, and the locked lookup for a
change.

* Staff and API clients holding the endpoint's permission read every invoice and payment.
* A portal customer reads only their own, and never a draft (a draft is the shop's work in progress);
  the portal endpoints (a later item of issue 12) read through :func:`visible_invoices` too.
* A change takes the invoice row **locked** (``FOR UPDATE`` on PostgreSQL; SQLite's write transaction
  serialises writers), so concurrent payments, refunds, credit notes and voids of one invoice take turns
  and each checks the balance it really changes (:func:`get_for_change`).

What a principal may not read answers :class:`~fixdesk.platform.errors.NotFound` (404), the same as what
does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Select, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.billing import ledger
from fixdesk.billing.models import (
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
)
from fixdesk.billing.schemas import InvoiceCreate, LineCreate
from fixdesk.config import Settings
from fixdesk.platform.errors import NotFound
from fixdesk.platform.permissions import Principal


def visible_invoices(principal: Principal) -> Select[tuple[Invoice]]:
    """``SELECT invoices`` limited to what ``principal`` may read: a customer their own issued invoices,
    everyone else all. Every scoped read of invoices starts here."""
    statement = select(Invoice)
    if principal.is_customer:
        statement = statement.where(
            Invoice.customer_id == principal.id, Invoice.status != InvoiceStatus.draft.value
        )
    return statement


def visible_payments(principal: Principal) -> Select[tuple[Payment]]:
    """``SELECT payments`` limited to what ``principal`` may read: a customer their own, others all."""
    statement = select(Payment)
    if principal.is_customer:
        statement = statement.where(Payment.customer_id == principal.id)
    return statement


def _not_found(invoice_id: uuid.UUID) -> NotFound:
    return NotFound(f"Invoice {invoice_id} not found.")


async def get_visible(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    """The invoice row (nothing loaded with it, no lock) if ``principal`` may read it; else 404."""
    invoice = (
        await session.execute(visible_invoices(principal).where(Invoice.id == invoice_id))
    ).scalar_one_or_none()
    if invoice is None:
        raise _not_found(invoice_id)
    return invoice


async def get_for_change(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    """The invoice locked for a change (``FOR UPDATE`` on PostgreSQL) if ``principal`` may read it; else
    :class:`NotFound` (404). The row is refreshed from the database, so the caller checks the real
    current balance."""
    statement = (
        visible_invoices(principal)
        .where(Invoice.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    invoice = (await session.execute(statement)).scalar_one_or_none()
    if invoice is None:
        raise _not_found(invoice_id)
    return invoice


async def load_invoice(session: AsyncSession, invoice_id: uuid.UUID) -> Invoice | None:
    """The invoice by id without any principal's scope: for the system's own follow-up work only."""
    return await session.get(Invoice, invoice_id)


def invoice_purchases() -> Select[tuple[uuid.UUID, int, datetime]]:
    """``SELECT customer_id, amount_cents, purchased_at`` for every issued invoice (not a draft, not void)
    with money received: the amount paid net of refunds in integer cents, at the moment it was issued.
    Invoices are made from repairs, work orders or by hand, so this is what a customer paid for services;
    a subquery for other domains' aggregates per customer (marketing's spend and RFM)."""
    return select(
        Invoice.customer_id.label("customer_id"),
        type_coerce(Invoice.amount_paid, BigInteger).label("amount_cents"),
        func.coalesce(Invoice.finalized_at, Invoice.created_at).label("purchased_at"),
    ).where(
        Invoice.status.not_in((InvoiceStatus.draft.value, InvoiceStatus.void.value)),
        Invoice.amount_paid > 0,
    )


@dataclass(frozen=True)
class SaleLine:
    """A line of a sale as charged: ``quantity`` units × ``unit_price`` (shop currency, per unit)."""

    description: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Sale:
    """What another domain sells and bills: a sales order's number (``reference``), its customer, the tax
    rate it was charged at (percent) and its lines as charged."""

    reference: str
    customer_id: uuid.UUID
    tax_rate: Decimal
    lines: tuple[SaleLine, ...]
    paid: Decimal = Decimal("0.00")
    """What the customer already paid for the sale (at the counter, online): carried onto the invoice."""


async def invoice_sale(
    session: AsyncSession, principal: Principal, sale: Sale, *, settings: Settings
) -> Invoice:
    """A **draft** invoice (source ``order``) of a sale's lines at the prices and tax rate it was charged
    at, the way a repair or work order is invoiced (:func:`fixdesk.billing.invoices.service.create_invoice`):
    the customer's payment terms, the shop's rounding rule, ``invoice.created`` published in the caller's
    transaction. It stays a draft so the shop finalises or sends it like any other invoice; the notes name
    the sale (``Order ORD-…``). What the sale was already paid (``sale.paid``) is carried onto the draft
    the way a repair's deposit is (a payment, method ``other``, source ``deposit``, "Paid with ORD-…", at
    most the invoice's total), so a paid counter sale's invoice is paid once issued and is never chased.

    The caller keeps a sale from being invoiced twice (the sales order records the invoice's id under its
    row lock). Raises :class:`ValidationFailed` (400) for an unknown or archived customer and
    :class:`~fixdesk.platform.errors.Conflict` (409) for a sale without lines."""
    from fixdesk.billing.invoices import service  # the service imports this module

    lines = [
        LineCreate(
            description=line.description,
            quantity=Decimal(line.quantity),
            unit_price=line.unit_price,
            tax_rate=sale.tax_rate,
        )
        for line in sale.lines
    ]
    invoice = await service.create_invoice(
        session,
        principal,
        InvoiceCreate(customer_id=sale.customer_id, lines=lines, notes=f"Order {sale.reference}"),
        settings=settings,
        source=InvoiceSource.order,
    )
    paid = min(sale.paid, invoice.total)
    if paid > 0:
        await ledger.record_payment(
            session,
            principal,
            invoice,
            amount=paid,
            method=PaymentMethod.other.value,
            source=PaymentSource.deposit.value,
            reference=f"Paid with {sale.reference}",
            settings=settings,
        )
    return invoice
