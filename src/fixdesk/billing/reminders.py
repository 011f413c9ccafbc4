"""Overdue invoices and payment reminders (issue 12, item 6), run by the periodic job
``billing.overdue_and_reminders`` (hourly; it acts on the shop's calendar day, so the first run after the
shop's midnight does the day's work).

* **Overdue.** The day after its due date (shop calendar) an issued invoice still owing is stored
  ``overdue`` and ``invoice.overdue`` is published, once per invoice: ``overdue_at`` is stamped by a
  conditional update in the same transaction, so a second run, or a racing worker, announces nothing
  again. Reads already show ``overdue`` from that day on (:func:`fixdesk.billing.ledger.current_status`,
  the same rule), so the stored status and the read one agree once the job has run; a payment or refund
  recomputes the stored status with the same rule.
* **Reminders.** ``FIXDESK_PAYMENT_REMINDER_DAYS`` (``-3,0,7,14`` by default) are days relative to the due
  date. An owing invoice is sent the ``payment_reminder`` message (messaging's template) for the latest of
  those days that has come, once per invoice and day (a row in ``invoice_reminders``, unique on both,
  claimed by ``INSERT … ON CONFLICT DO NOTHING``). Days that passed while the job was not running are not
  caught up (one reminder, the latest, not a burst), nor are days on or before the issue date (an invoice
  issued on its due date is not reminded the moment it is handed over). Paid and void invoices (and
  drafts) are never reminded: only owing invoices are read.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.billing import ledger, lifecycle
from fixdesk.billing.events import INVOICE_OVERDUE
from fixdesk.billing.links import portal_url
from fixdesk.billing.models import Invoice, InvoiceReminder, InvoiceStatus
from fixdesk.config import Settings
from fixdesk.db import new_id, utcnow
from fixdesk.messaging import service as messaging
from fixdesk.platform.jobs.queue import insert_ignoring_conflicts
from fixdesk.repairs import access as repairs

PAYMENT_REMINDER_TEMPLATE = "payment_reminder"
_OWING = [status.value for status in lifecycle.OWING]


async def mark_overdue(session: AsyncSession, settings: Settings, today: date | None = None) -> int:
    """Store ``overdue`` on owing invoices past their due date (``today``: the shop's day) not yet
    announced, and publish ``invoice.overdue`` for each, once. Returns how many were announced."""
    today = today or settings.shop_today()
    candidates = (
        await session.execute(
            select(Invoice.id)
            .where(
                Invoice.status.in_(_OWING),
                Invoice.due_date < today,
                Invoice.overdue_at.is_(None),
            )
            .order_by(Invoice.due_date, Invoice.id)
        )
    ).scalars()
    announced = 0
    for invoice_id in list(candidates):
        now = utcnow()
        # Claimed by a conditional update (which also locks the row): a racing run waits, then finds
        # overdue_at set and changes nothing.
        claimed = await session.execute(
            update(Invoice)
            .where(
                Invoice.id == invoice_id,
                Invoice.overdue_at.is_(None),
                Invoice.status.in_(_OWING),
            )
            .values(overdue_at=now)
        )
        if claimed.rowcount != 1:
            continue
        invoice = (
            await session.execute(
                select(Invoice).where(Invoice.id == invoice_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        ledger.refresh(invoice, today, now)
        if invoice.status != InvoiceStatus.overdue:
            continue
        invoice.updated_at = now
        await session.flush()
        await ledger.publish_invoice(session, INVOICE_OVERDUE, invoice, None)
        announced += 1
    return announced


def reminder_day_due(invoice: Invoice, offsets: tuple[int, ...], today: date) -> int | None:
    """The latest reminder day (an offset from the due date) that has come for ``invoice`` by ``today``
    and falls after its issue date; ``None`` if none has."""
    if invoice.due_date is None:
        return None
    reached = [
        offset
        for offset in offsets
        if invoice.due_date + timedelta(days=offset) <= today
        and (invoice.issue_date is None or invoice.due_date + timedelta(days=offset) > invoice.issue_date)
    ]
    return max(reached) if reached else None


async def send_reminders(session: AsyncSession, settings: Settings, today: date | None = None) -> int:
    """Send the ``payment_reminder`` each owing invoice is due on ``today`` (the shop's day) by
    ``FIXDESK_PAYMENT_REMINDER_DAYS``, once per invoice and day. Returns how many were sent."""
    offsets = settings.payment_reminder_offsets
    if not offsets:
        return 0
    today = today or settings.shop_today()
    # An invoice is in reach once its earliest reminder day has come.
    latest_due_date = today - timedelta(days=min(offsets))
    invoices = (
        (
            await session.execute(
                select(Invoice)
                .where(Invoice.status.in_(_OWING), Invoice.due_date <= latest_due_date)
                .options(joinedload(Invoice.customer, innerjoin=True))
                .order_by(Invoice.due_date, Invoice.id)
            )
        )
        .scalars()
        .all()
    )
    if not invoices:
        return 0
    sent_already = {
        (invoice_id, offset)
        for invoice_id, offset in (
            await session.execute(
                select(InvoiceReminder.invoice_id, InvoiceReminder.days_offset).where(
                    InvoiceReminder.invoice_id.in_([invoice.id for invoice in invoices])
                )
            )
        ).all()
    }
    sent = 0
    for invoice in invoices:
        offset = reminder_day_due(invoice, offsets, today)
        if offset is None or (invoice.id, offset) in sent_already or invoice.balance_due <= 0:
            continue
        reminder_id = new_id()
        claimed = await session.execute(
            insert_ignoring_conflicts(session, InvoiceReminder)
            .values(id=reminder_id, invoice_id=invoice.id, days_offset=offset, sent_at=utcnow())
            .returning(InvoiceReminder.id)
        )
        if claimed.scalar_one_or_none() is None:
            continue
        await messaging.notify_customer(
            session,
            settings,
            invoice.customer,
            PAYMENT_REMINDER_TEMPLATE,
            await _variables(session, settings, invoice, offset),
            repair_id=invoice.repair_id,
            event_id=reminder_id,
        )
        sent += 1
    return sent


async def _variables(
    session: AsyncSession, settings: Settings, invoice: Invoice, offset: int
) -> dict[str, Any]:
    customer = invoice.customer
    language = messaging.language_of(customer.language)
    repair = await repairs.load_repair(session, invoice.repair_id) if invoice.repair_id else None
    return {
        "customer_first_name": customer.first_name,
        "invoice_number": invoice.invoice_number,
        "repair_number": repair.repair_number if repair else None,
        "balance": messaging.format_money(invoice.balance_due, invoice.currency, customer.locale, language),
        "due_date": messaging.format_date(
            invoice.due_date.isoformat() if invoice.due_date else None, language
        ),
        "overdue": offset > 0,
        "pay_url": portal_url(settings, invoice.id),
    }


async def run(session: AsyncSession, settings: Settings) -> tuple[int, int]:
    """The periodic job's work on the shop's today: ``(invoices announced overdue, reminders sent)``."""
    today = settings.shop_today()
    return await mark_overdue(session, settings, today), await send_reminders(session, settings, today)


__all__ = ["mark_overdue", "reminder_day_due", "run", "send_reminders"]
