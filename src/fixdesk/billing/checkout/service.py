"""Paying invoices online with Stripe Checkout (issue 12, item 5): opening a Checkout Session for an
invoice's balance, and applying Stripe's webhook events exactly once.

**Checkout.** :func:`open_checkout` opens (or reuses) a session for the whole balance due, in the invoice's
currency, through :class:`fixdesk.integrations.payments.StripePayments`. The idempotency key names the
invoice and the balance in minor units (``fixdesk-invoice-<id>-balance-<minor>``), so a double click, a
retried request or two tabs get the same session; a session for the same balance opened less than
:data:`SESSION_REUSE` ago is reused without asking Stripe (Stripe expires sessions after 24 hours). A
different balance (after a partial payment) is a new session. Stripe is called without any row lock held.

**Webhooks.** :func:`apply_webhook` runs in the request's one transaction:

1. the ``Stripe-Signature`` is verified by the official library (:func:`verify_webhook`: HMAC under
   ``FIXDESK_STRIPE_WEBHOOK_SECRET``, timestamp within ``FIXDESK_STRIPE_WEBHOOK_TOLERANCE_SECONDS``);
   a bad or stale one is 400 and nothing is stored;
2. the event id is recorded in ``stripe_events`` by ``INSERT … ON CONFLICT DO NOTHING``: a retry finds
   it and changes nothing; a concurrent delivery of the same event waits on PostgreSQL for the first
   transaction's row and then finds it (SQLite runs one writer at a time);
3. ``checkout.session.completed`` (``payment_status`` paid) and ``checkout.session.async_payment_succeeded``
   and ``payment_intent.succeeded`` record **one** payment (method and source ``stripe``, provider
   ``stripe``, ``provider_reference`` the payment intent id ``pi_…``) under the invoice's row lock:
   whichever event comes first records it and the other finds it (the unique provider reference is the
   last guard);
4. ``charge.refunded`` refunds, under the same lock, what Stripe's cumulative ``amount_refunded`` exceeds
   the refunds already recorded for that payment, so repeated and reordered refund events add up to
   Stripe's figure, never more (``provider_reference`` ``<charge id>/<cumulative minor amount>``). A
   refund event arriving before the payment's own events records the payment first (the charge names the
   payment intent and the amount captured).

The ledger (:mod:`fixdesk.billing.ledger`) moves the balance and publishes ``payment.received``,
``invoice.paid`` and ``payment.refunded`` in the same transaction. An event naming no invoice of this shop,
or one that cannot be applied (a void invoice, more than the balance, another currency), is recorded with
its ``outcome`` and answered 200, so Stripe does not retry what retrying cannot fix; it is logged for
staff to settle by hand.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.billing import ledger
from fixdesk.billing.access import get_for_change, get_visible
from fixdesk.billing.links import portal_url
from fixdesk.billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentSource,
    StripeCheckoutSession,
    StripeEvent,
)
from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.db import utcnow
from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.payments import (
    PROVIDER,
    StripeNotConfigured,
    StripePayments,
    WebhookSignatureInvalid,
    from_minor_units,
    to_minor_units,
    verify_webhook,
)
from fixdesk.platform.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from fixdesk.platform.jobs.queue import insert_ignoring_conflicts
from fixdesk.platform.permissions import Principal

log = structlog.get_logger(__name__)

SESSION_REUSE = timedelta(hours=23)
# The system applying a provider's event (no customer scope, no permission checks).
SYSTEM = Principal(id=uuid.UUID(int=0), type="client", role="system")
PAYMENT_EVENTS = frozenset(
    {"checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded"}
)
REFUND_EVENT = "charge.refunded"


def stripe_configured(settings: Settings) -> bool:
    """Whether customers can pay online: a Stripe secret key is set."""
    return settings.stripe_secret_key is not None


def can_pay_online(invoice: Invoice, settings: Settings) -> bool:
    """Whether the invoice shows a Pay button: Stripe configured, issued, not void, something owed."""
    return (
        stripe_configured(settings)
        and invoice.status not in (InvoiceStatus.draft, InvoiceStatus.void)
        and invoice.balance_due > 0
    )


def idempotency_key(invoice: Invoice) -> str:
    """The key of the Checkout Session for the invoice's current balance."""
    return f"fixdesk-invoice-{invoice.id}-balance-{to_minor_units(invoice.balance_due, invoice.currency)}"


async def open_checkout(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, *, settings: Settings
) -> StripeCheckoutSession:
    """A Checkout Session for the invoice's whole balance due (reused while open for the same balance).

    Raises :class:`NotFound` (404) for an invoice ``principal`` cannot read (a customer: their own issued
    invoices), :class:`Conflict` (409) for a draft, a void invoice or nothing owed, and
    :class:`ServiceUnavailable` (503) when Stripe is not configured or does not answer."""
    invoice = await get_visible(session, principal, invoice_id)
    if invoice.status in (InvoiceStatus.draft, InvoiceStatus.void):
        raise Conflict(f"A {invoice.status} invoice cannot be paid.", status=invoice.status)
    if invoice.balance_due <= 0:
        raise Conflict("Nothing is owed on this invoice.", status=invoice.status, balanceDue=0.0)
    if not stripe_configured(settings):
        raise ServiceUnavailable("Online payment is not set up: FIXDESK_STRIPE_SECRET_KEY is not set.")
    key = idempotency_key(invoice)
    reusable = (
        await session.execute(
            select(StripeCheckoutSession)
            .where(
                StripeCheckoutSession.invoice_id == invoice.id,
                StripeCheckoutSession.idempotency_key == key,
                StripeCheckoutSession.created_at > utcnow() - SESSION_REUSE,
            )
            .order_by(StripeCheckoutSession.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if reusable is not None:
        return reusable
    customer = await customers.find_customer(session, invoice.customer_id)
    page = portal_url(settings, invoice.id)
    payments = StripePayments(settings)
    try:
        opened = await payments.create_checkout_session(
            invoice_id=invoice.id,
            invoice_number=invoice.invoice_number or str(invoice.id),
            amount=invoice.balance_due,
            currency=invoice.currency,
            customer_email=customer.email if customer else None,
            success_url=f"{page}?paid=1",
            cancel_url=page,
            idempotency_key=key,
        )
    except ProviderError as error:
        log.warning("stripe_checkout_failed", invoice_id=str(invoice.id), error=str(error))
        raise ServiceUnavailable("Stripe did not open a payment page; try again in a moment.") from None
    finally:
        await payments.aclose()
    # Two requests racing for one balance get the same session from Stripe (same key): keep one row.
    await session.execute(
        insert_ignoring_conflicts(session, StripeCheckoutSession).values(
            id=opened.id,
            invoice_id=invoice.id,
            amount=invoice.balance_due,
            currency=invoice.currency,
            url=opened.url,
            idempotency_key=key,
            created_at=utcnow(),
        )
    )
    stored = await session.get(StripeCheckoutSession, opened.id, populate_existing=True)
    assert stored is not None
    return stored


def _event_of(payload: bytes, signature: str | None, settings: Settings) -> dict[str, Any]:
    try:
        verify_webhook(payload, signature, settings)
    except StripeNotConfigured:
        raise ServiceUnavailable(
            "Stripe webhooks are not set up: FIXDESK_STRIPE_WEBHOOK_SECRET is not set."
        ) from None
    except WebhookSignatureInvalid as error:
        raise ValidationFailed.for_field("Stripe-Signature", str(error)) from None
    # The signature covers these exact bytes; read them as they came rather than the library's object.
    event = json.loads(payload)
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise ValidationFailed("The payload is not a Stripe event.")
    return event


def _invoice_id_of(data: dict[str, Any]) -> uuid.UUID | None:
    metadata = data.get("metadata") or {}
    for candidate in (metadata.get("invoice_id"), data.get("client_reference_id")):
        if candidate:
            try:
                return uuid.UUID(str(candidate))
            except ValueError:
                continue
    return None


def _moment(event: dict[str, Any]) -> datetime:
    created = event.get("created")
    return datetime.fromtimestamp(int(created), UTC) if isinstance(created, int) else utcnow()


async def _payment_by_reference(session: AsyncSession, reference: str) -> Payment | None:
    return (
        await session.execute(
            select(Payment)
            .where(Payment.provider == PROVIDER, Payment.provider_reference == reference)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def _lock_invoice(session: AsyncSession, invoice_id: uuid.UUID | None) -> Invoice | None:
    if invoice_id is None:
        return None
    try:
        return await get_for_change(session, SYSTEM, invoice_id)
    except NotFound:
        return None


async def _record_payment(
    session: AsyncSession,
    invoice: Invoice,
    *,
    intent_id: str,
    amount_minor: int,
    currency: str,
    received_at: datetime,
    settings: Settings,
) -> str:
    """Record the payment intent's payment on ``invoice`` (locked) unless it is already; the outcome."""
    if await _payment_by_reference(session, intent_id) is not None:
        return "already_recorded"
    if invoice.status in (InvoiceStatus.draft, InvoiceStatus.void):
        return "not_payable"
    if currency.upper() != invoice.currency.upper():
        return "currency_mismatch"
    amount = from_minor_units(amount_minor, invoice.currency)
    if amount <= 0:
        return "ignored"
    if amount > invoice.balance_due:
        return "exceeds_balance"
    await ledger.record_payment(
        session,
        None,
        invoice,
        amount=amount,
        method=PaymentMethod.stripe.value,
        source=PaymentSource.stripe.value,
        provider=PROVIDER,
        provider_reference=intent_id,
        reference=intent_id,
        received_at=received_at,
        settings=settings,
    )
    return "payment_recorded"


async def _apply_payment(
    session: AsyncSession, event: dict[str, Any], data: dict[str, Any], settings: Settings
) -> tuple[str, uuid.UUID | None]:
    if event["type"] == "payment_intent.succeeded":
        intent_id = data.get("id")
        amount_minor = data.get("amount_received") or data.get("amount")
    else:
        if data.get("payment_status") != "paid":
            return "not_paid", _invoice_id_of(data)
        intent_id = data.get("payment_intent")
        amount_minor = data.get("amount_total")
    invoice = await _lock_invoice(session, _invoice_id_of(data))
    if invoice is None:
        return "unknown_invoice", None
    if not isinstance(intent_id, str) or not isinstance(amount_minor, int):
        return "ignored", invoice.id
    outcome = await _record_payment(
        session,
        invoice,
        intent_id=intent_id,
        amount_minor=amount_minor,
        currency=str(data.get("currency") or ""),
        received_at=_moment(event),
        settings=settings,
    )
    return outcome, invoice.id


async def _apply_refund(
    session: AsyncSession, event: dict[str, Any], charge: dict[str, Any], settings: Settings
) -> tuple[str, uuid.UUID | None]:
    intent_id = charge.get("payment_intent")
    charge_id = charge.get("id")
    refunded_minor = charge.get("amount_refunded")
    if (
        not isinstance(intent_id, str)
        or not isinstance(charge_id, str)
        or not isinstance(refunded_minor, int)
    ):
        return "ignored", None
    known = (
        await session.execute(
            select(Payment.invoice_id).where(
                Payment.provider == PROVIDER, Payment.provider_reference == intent_id
            )
        )
    ).scalar_one_or_none()
    # The invoice first, then the payment: every change of an invoice's money locks in that order.
    invoice = await _lock_invoice(session, known or _invoice_id_of(charge))
    if invoice is None:
        return "unknown_invoice", None
    payment = await _payment_by_reference(session, intent_id)
    if payment is None:
        # The refund overtook the payment's own events: the charge says what was captured.
        captured = charge.get("amount_captured") or charge.get("amount")
        if not isinstance(captured, int):
            return "ignored", invoice.id
        outcome = await _record_payment(
            session,
            invoice,
            intent_id=intent_id,
            amount_minor=captured,
            currency=str(charge.get("currency") or ""),
            received_at=_moment(event),
            settings=settings,
        )
        if outcome != "payment_recorded":
            return outcome, invoice.id
        payment = await _payment_by_reference(session, intent_id)
        assert payment is not None
    if payment.kind != PaymentKind.payment:
        return "ignored", invoice.id
    refunded = from_minor_units(refunded_minor, payment.currency)
    more = refunded - payment.refunded_amount
    if more <= 0:
        return "already_recorded", invoice.id
    await ledger.record_refund(
        session,
        None,
        invoice,
        payment,
        amount=min(more, payment.amount - payment.refunded_amount),
        reference=charge_id,
        provider_reference=f"{charge_id}/{refunded_minor}",
        settings=settings,
    )
    return "refund_recorded", invoice.id


async def apply_webhook(
    session: AsyncSession, payload: bytes, signature: str | None, *, settings: Settings
) -> StripeEvent:
    """Verify, record once and apply one Stripe webhook delivery (see the module's text); returns the
    event's row (``outcome`` ``already_recorded`` for a delivery of an event seen before).

    Raises :class:`ValidationFailed` (400) for a missing, wrong or stale signature or a payload that is
    not an event, and :class:`ServiceUnavailable` (503) without ``FIXDESK_STRIPE_WEBHOOK_SECRET``;
    nothing is stored then."""
    event = _event_of(payload, signature, settings)
    event_id, kind = str(event["id"])[:255], str(event["type"])[:100]
    now = utcnow()
    inserted = await session.execute(
        insert_ignoring_conflicts(session, StripeEvent)
        .values(id=event_id, type=kind, received_at=now)
        .returning(StripeEvent.id)
    )
    if inserted.scalar_one_or_none() is None:
        seen = await session.get(StripeEvent, event_id, populate_existing=True)
        assert seen is not None
        log.info("stripe_event_repeated", event_id=event_id, type=kind)
        return StripeEvent(
            id=seen.id,
            type=seen.type,
            invoice_id=seen.invoice_id,
            outcome="already_recorded",
            received_at=seen.received_at,
            processed_at=seen.processed_at,
        )
    data = (event.get("data") or {}).get("object") or {}
    if kind in PAYMENT_EVENTS:
        outcome, invoice_id = await _apply_payment(session, event, data, settings)
    elif kind == REFUND_EVENT:
        outcome, invoice_id = await _apply_refund(session, event, data, settings)
    else:
        outcome, invoice_id = "ignored", None
    if outcome in ("unknown_invoice", "not_payable", "exceeds_balance", "currency_mismatch"):
        log.warning("stripe_event_not_applied", event_id=event_id, type=kind, outcome=outcome)
    row = await session.get(StripeEvent, event_id)
    assert row is not None
    row.outcome = outcome
    row.invoice_id = invoice_id
    row.processed_at = utcnow()
    await session.flush()
    return row
