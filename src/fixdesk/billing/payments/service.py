"""Payment rules: recording a payment against an invoice (at most its balance), refunds (at most what is
left of a payment), and the payment list. The balance arithmetic and events are
:mod:`fixdesk.billing.ledger`'s; the invoice row is locked for every change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.billing import ledger
from fixdesk.billing.access import get_for_change, visible_payments
from fixdesk.billing.models import Payment
from fixdesk.billing.schemas import PaymentCreate, RefundCreate
from fixdesk.config import Settings
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal


async def create_payment(
    session: AsyncSession, principal: Principal, data: PaymentCreate, *, settings: Settings
) -> Payment:
    """Record a payment received for an invoice (seed 001): partial payments leave the rest owing; the
    invoice's status follows its balance. Publishes ``payment.received`` (and ``invoice.paid``).

    Raises :class:`ValidationFailed` (400 naming ``invoiceId``) for an invoice the principal cannot read,
    and :class:`~fixdesk.platform.errors.Conflict` (409) for a draft or void invoice or an amount above the
    balance due."""
    try:
        invoice = await get_for_change(session, principal, data.invoice_id)
    except NotFound:
        raise ValidationFailed.for_field("invoiceId", "no invoice with this id") from None
    return await ledger.record_payment(
        session,
        principal,
        invoice,
        amount=data.amount,
        method=data.method,
        reference=data.reference,
        notes=data.notes,
        settings=settings,
    )


async def get_payment(session: AsyncSession, principal: Principal, payment_id: uuid.UUID) -> Payment:
    """One payment or refund if ``principal`` may see it; else :class:`NotFound` (404)."""
    payment = (
        await session.execute(visible_payments(principal).where(Payment.id == payment_id))
    ).scalar_one_or_none()
    if payment is None:
        raise NotFound(f"Payment {payment_id} not found.")
    return payment


async def refund_payment(
    session: AsyncSession,
    principal: Principal,
    payment_id: uuid.UUID,
    data: RefundCreate,
    *,
    settings: Settings,
) -> Payment:
    """Give back ``amount`` of a payment: a refund row (``kind`` refund, ``refundOfId``), the invoice's
    balance up by it and its status following. Publishes ``payment.refunded``.

    Raises :class:`NotFound` (404) for an unknown payment and :class:`~fixdesk.platform.errors.Conflict`
    (409) for a refund of a refund or more than is left of the payment."""
    payment = await get_payment(session, principal, payment_id)
    # The invoice first, then the payment: every change of an invoice's money locks in that order.
    invoice = await get_for_change(session, principal, payment.invoice_id)
    payment = (
        await session.execute(
            select(Payment)
            .where(Payment.id == payment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return await ledger.record_refund(
        session,
        principal,
        invoice,
        payment,
        amount=data.amount,
        reference=data.reference,
        notes=data.notes,
        settings=settings,
    )


@dataclass(frozen=True)
class PaymentFilters:
    """List filters: the invoice, the customer, the method, the kind (payment or refund) and the days
    received (inclusive, shop calendar)."""

    invoice_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    method: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def list_statement(principal: Principal, filters: PaymentFilters, zone: str) -> Select[tuple[Payment]]:
    statement = visible_payments(principal)
    if filters.invoice_id is not None:
        statement = statement.where(Payment.invoice_id == filters.invoice_id)
    if filters.customer_id is not None:
        statement = statement.where(Payment.customer_id == filters.customer_id)
    if filters.method is not None:
        statement = statement.where(Payment.method == filters.method)
    if filters.kind is not None:
        statement = statement.where(Payment.kind == filters.kind)
    if filters.date_from is not None:
        statement = statement.where(Payment.received_at >= _start_of(filters.date_from, zone))
    if filters.date_to is not None:
        statement = statement.where(
            Payment.received_at < _start_of(filters.date_to + timedelta(days=1), zone)
        )
    return statement.order_by(Payment.received_at.desc(), Payment.id.desc())


async def list_payments(
    session: AsyncSession,
    principal: Principal,
    filters: PaymentFilters,
    params: PageParams,
    *,
    settings: Settings,
) -> tuple[list[Payment], int]:
    """A page of payments and refunds, newest first."""
    rows, total = await paginate(session, list_statement(principal, filters, settings.shop_timezone), params)
    return list(rows), total
