"""Online payment endpoints: a Stripe Checkout Session for an invoice's balance (staff and the customer),
and Stripe's webhook (public on purpose: Stripe signs it, :func:`fixdesk.billing.checkout.service.apply_webhook`
checks the signature)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from fixdesk.billing.checkout import service
from fixdesk.billing.models import StripeCheckoutSession
from fixdesk.billing.permissions import PAYMENTS_WRITE
from fixdesk.billing.schemas import CheckoutSessionRead, StripeWebhookAnswer
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import CustomerPortal, Principal, public, require

router = APIRouter(tags=["invoices"])

PaymentsWrite = Annotated[Principal, Depends(require(PAYMENTS_WRITE))]

STRIPE_EVENT_BODY = {
    "required": True,
    "description": "A Stripe event exactly as Stripe posts it, signed in the Stripe-Signature header.",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


def checkout_read(row: StripeCheckoutSession) -> CheckoutSessionRead:
    return CheckoutSessionRead(
        session_id=row.id,
        checkout_url=row.url,
        invoice_id=row.invoice_id,
        amount=row.amount,
        currency=row.currency,
        created_at=row.created_at,
    )


@router.post(
    "/invoices/{invoice_id}/checkout",
    operation_id="invoices-checkout",
    response_model=CheckoutSessionRead,
)
async def staff_checkout(
    invoice_id: uuid.UUID, session: SessionDep, principal: PaymentsWrite, settings: SettingsDep
):
    """Open a Stripe Checkout Session for the balance due; returns its URL (409 nothing owed, void, draft)."""
    return checkout_read(await service.open_checkout(session, principal, invoice_id, settings=settings))


@router.post(
    "/customer/invoices/{invoice_id}/checkout",
    operation_id="portal-invoices-checkout",
    tags=["customer portal"],
    response_model=CheckoutSessionRead,
)
async def customer_checkout(
    invoice_id: uuid.UUID, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
):
    """Pay one of my invoices online: a Stripe Checkout Session for its balance and its URL."""
    return checkout_read(await service.open_checkout(session, principal, invoice_id, settings=settings))


@router.post(
    "/webhooks/stripe",
    operation_id="webhooks-stripe",
    tags=["webhooks"],
    dependencies=[Depends(public)],
    response_model=StripeWebhookAnswer,
    openapi_extra={"requestBody": STRIPE_EVENT_BODY},
)
async def stripe_webhook(request: Request, session: SessionDep, settings: SettingsDep):
    """Stripe's events, verified by Stripe-Signature (400 when wrong or stale); each applied once."""
    payload = await request.body()
    row = await service.apply_webhook(
        session, payload, request.headers.get("Stripe-Signature"), settings=settings
    )
    return StripeWebhookAnswer(event_id=row.id, outcome=row.outcome)
