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
from datetime import datetime

from sqlalchemy import BigInteger, Select, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.billing.models import Invoice, InvoiceStatus, Payment
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
