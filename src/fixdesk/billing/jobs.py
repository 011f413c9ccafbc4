"""Billing's event subscribers and email attachments (loaded through the billing manifest).

* ``invoice.sent`` queues the ``invoice_sent`` email (``billing/message_templates``) with the invoice's
  PDF attached and the link to pay (the portal's invoice page);
* ``payment.received`` queues the ``payment_received`` message (messaging's template, seed 003) on every
  channel the customer allows; a repair's deposit carried onto its invoice is not announced (the customer
  paid it at the counter, weeks ago).

* the periodic job ``billing.overdue_and_reminders`` (hourly, :mod:`fixdesk.billing.reminders`) stores
  ``overdue`` with its ``invoice.overdue`` event and sends the due ``payment_reminder`` messages.

Both messages go through :func:`fixdesk.messaging.service.notify_customer` with the event id, so an event
dispatched twice notifies once per channel. The PDF is drawn when the email is sent
(:func:`invoice_pdf_attachment`); an issued invoice is frozen, so it shows what was sent (with the balance
as it is then).
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from fixdesk.billing import ledger, reminders
from fixdesk.billing.events import INVOICE_SENT, PAYMENT_RECEIVED
from fixdesk.billing.invoices import pdf
from fixdesk.billing.invoices.service import get_invoice
from fixdesk.billing.links import portal_url
from fixdesk.billing.models import PaymentSource
from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.db import utcnow
from fixdesk.integrations.email import EmailAttachment
from fixdesk.messaging import service as messaging
from fixdesk.messaging.attachments import attachment_maker
from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access as repairs

log = structlog.get_logger("fixdesk.billing")

OVERDUE_AND_REMINDERS_JOB = "billing.overdue_and_reminders"
INVOICE_SENT_TEMPLATE = "invoice_sent"
PAYMENT_RECEIVED_TEMPLATE = "payment_received"
INVOICE_PDF = "invoice_pdf"
# The system reading an invoice for its own follow-up work (no customer scope, no permission checks).
SYSTEM = Principal(id=uuid.UUID(int=0), type="client", role="system")


@attachment_maker(INVOICE_PDF)
async def invoice_pdf_attachment(session: Any, settings: Settings, reference: str) -> EmailAttachment | None:
    """The invoice ``reference`` (its id) as ``INV-YYYY-NNNNNN.pdf``, drawn off the event loop."""
    try:
        invoice = await get_invoice(session, SYSTEM, uuid.UUID(reference), for_print=True)
    except Exception:
        return None
    document = pdf.invoice_document(
        invoice,
        settings,
        status=ledger.current_status(invoice, settings.shop_today(utcnow())),
        pay_url=portal_url(settings, invoice.id),
    )
    content = await pdf.render_in_thread(document)
    return EmailAttachment(f"{invoice.invoice_number or 'invoice'}.pdf", pdf.PDF_CONTENT_TYPE, content)


async def _repair_number(session: Any, repair_id: str | None) -> str | None:
    if not repair_id:
        return None
    repair = await repairs.load_repair(session, uuid.UUID(repair_id))
    return repair.repair_number if repair else None


@subscriber("billing.invoice_sent", INVOICE_SENT)
async def email_sent_invoice(context: JobContext, event: PublishedEvent) -> None:
    """Queue the ``invoice_sent`` email with the PDF for a sent invoice (idempotent per event)."""
    session = context.session
    payload = event.payload
    customer = await customers.find_customer(session, uuid.UUID(payload["customerId"]))
    if customer is None:
        return
    language = messaging.language_of(customer.language)

    def money(value: Any) -> str:
        return messaging.format_money(value, payload["currency"], customer.locale, language)

    await messaging.notify_customer(
        session,
        context.settings,
        customer,
        INVOICE_SENT_TEMPLATE,
        {
            "customer_first_name": customer.first_name,
            "invoice_number": payload["invoiceNumber"],
            "repair_number": await _repair_number(session, payload.get("repairId")),
            "total": money(payload["total"]),
            "balance": money(payload["balanceDue"]),
            "due_date": messaging.format_date(payload["dueDate"], language),
            "pay_url": portal_url(context.settings, payload["id"]),
            "payment_instructions": context.settings.invoice_payment_instructions,
        },
        repair_id=uuid.UUID(payload["repairId"]) if payload.get("repairId") else None,
        event_id=event.id,
        attachments=[{"kind": INVOICE_PDF, "reference": payload["id"]}],
        channels=["email"],
    )


@subscriber("billing.payment_received", PAYMENT_RECEIVED)
async def notify_payment_received(context: JobContext, event: PublishedEvent) -> None:
    """Queue the customer's ``payment_received`` message for a payment (not for a carried deposit)."""
    payload = event.payload
    if payload["source"] == PaymentSource.deposit:
        return
    session = context.session
    customer = await customers.find_customer(session, uuid.UUID(payload["customerId"]))
    if customer is None:
        return
    language = messaging.language_of(customer.language)
    await messaging.notify_customer(
        session,
        context.settings,
        customer,
        PAYMENT_RECEIVED_TEMPLATE,
        {
            "customer_first_name": customer.first_name,
            "amount": messaging.format_money(
                payload["amount"], payload["currency"], customer.locale, language
            ),
            "repair_number": await _repair_number(session, payload.get("repairId")),
            "invoice_number": payload.get("invoiceNumber"),
        },
        repair_id=uuid.UUID(payload["repairId"]) if payload.get("repairId") else None,
        event_id=event.id,
    )


@handler(OVERDUE_AND_REMINDERS_JOB, max_attempts=3)
async def run_overdue_and_reminders(context: JobContext) -> None:
    """Store ``overdue`` (``invoice.overdue``, once per invoice) on owing invoices past their due date and
    send the ``payment_reminder`` messages due today by ``FIXDESK_PAYMENT_REMINDER_DAYS``, each once."""
    overdue, reminded = await reminders.run(context.session, context.settings)
    if overdue or reminded:
        log.info("billing_overdue_and_reminders", invoices_overdue=overdue, reminders_sent=reminded)
