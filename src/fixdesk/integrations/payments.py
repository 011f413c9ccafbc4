"""Stripe: a Checkout Session for paying an invoice online, and the check of Stripe's webhook signatures.

Everything goes through the official ``stripe`` package (``StripeClient`` with its asynchronous HTTPX
client, so nothing blocks the event loop):

* :meth:`StripePayments.create_checkout_session` is ``POST /v1/checkout/sessions``
  (https://docs.stripe.com/api/checkout/sessions/create) in ``payment`` mode with one line, the invoice's
  balance, ``client_reference_id`` and ``metadata[invoice_id]`` naming the invoice (the payment intent
  carries the same metadata, so ``payment_intent.succeeded`` and ``charge.refunded`` name it too), and an
  idempotency key, so a retried request never opens two sessions. The API's address is
  ``FIXDESK_STRIPE_API_BASE`` (Stripe's by default; the tests point it at a server on 127.0.0.1 that
  answers as Stripe does).
* :func:`verify_webhook` is ``stripe.Webhook.construct_event``: the ``Stripe-Signature`` header's
  HMAC-SHA256 of ``"{timestamp}.{payload}"`` under the endpoint's signing secret
  (``FIXDESK_STRIPE_WEBHOOK_SECRET``), and a timestamp no older than the tolerance
  (``FIXDESK_STRIPE_WEBHOOK_TOLERANCE_SECONDS``, 300 by default, Stripe's own default) against replays.

Amounts cross the boundary in the currency's minor unit, as Stripe counts them (:func:`to_minor_units`):
cents for USD and EUR, whole units for the zero-decimal currencies Stripe lists
(https://docs.stripe.com/currencies#zero-decimal).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe

from fixdesk.config import Settings
from fixdesk.integrations.errors import MAX_BODY_CHARACTERS, ProviderError, http_status_is_retryable

PROVIDER = "stripe"
# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip


class StripeNotConfigured(Exception):
    """No ``FIXDESK_STRIPE_SECRET_KEY`` (or no webhook secret): online payment is switched off."""


class WebhookSignatureInvalid(Exception):
    """The ``Stripe-Signature`` header is missing, malformed, does not match the payload under the
    signing secret, or its timestamp is outside the tolerance; or the payload is not JSON."""


@dataclass(frozen=True)
class CheckoutSession:
    """A Checkout Session Stripe opened: ``id`` (``cs_…``), the ``url`` the customer pays at, and the
    amount in the currency's minor unit."""

    id: str
    url: str
    amount_minor: int
    currency: str


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` (a Decimal in ``currency``'s major unit) as Stripe's integer amount, rounded half up."""
    exponent = Decimal(1) if currency.upper() in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    scaled = amount.quantize(exponent, rounding=ROUND_HALF_UP) / exponent
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """Stripe's integer ``amount`` back to a Decimal in ``currency``'s major unit (``1050`` USD → ``10.50``)."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount)
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def _provider_error(error: stripe.StripeError) -> ProviderError:
    status = error.http_status
    retryable = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError) or (
        status is not None and http_status_is_retryable(status)
    )
    return ProviderError(
        PROVIDER,
        error.user_message or str(error) or type(error).__name__,
        retryable=retryable,
        status=status,
        code=error.code,
        body=(error.http_body or "")[:MAX_BODY_CHARACTERS] if isinstance(error.http_body, str) else None,
    )


class StripePayments:
    """Stripe's API for one shop (``FIXDESK_STRIPE_SECRET_KEY``, ``FIXDESK_STRIPE_API_BASE``). Close it
    with :meth:`aclose`."""

    def __init__(self, settings: Settings) -> None:
        if settings.stripe_secret_key is None:
            raise StripeNotConfigured("FIXDESK_STRIPE_SECRET_KEY is not set")
        self._http = stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds)
        self._client = stripe.StripeClient(
            settings.stripe_secret_key.get_secret_value(),
            base_addresses={"api": settings.stripe_api_base.rstrip("/")},
            http_client=self._http,
            # Retried with the same idempotency key, so a retry never opens a second session.
            max_network_retries=2,
        )

    async def create_checkout_session(
        self,
        *,
        invoice_id: uuid.UUID,
        invoice_number: str,
        amount: Decimal,
        currency: str,
        customer_email: str | None,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> CheckoutSession:
        """Open a Checkout Session for ``amount`` (``currency``'s major unit, > 0) of invoice
        ``invoice_number``. Raises :class:`~fixdesk.integrations.errors.ProviderError` when Stripe refuses
        (``retryable`` for network failures, 429 and 5xx)."""
        metadata = {"invoice_id": str(invoice_id), "invoice_number": invoice_number}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": str(invoice_id),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": to_minor_units(amount, currency),
                        "product_data": {"name": f"Invoice {invoice_number}"},
                    },
                }
            ],
        }
        if customer_email:
            params["customer_email"] = customer_email
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _provider_error(error) from error
        return CheckoutSession(
            id=session.id,
            url=session.url or "",
            amount_minor=int(session.amount_total or 0),
            currency=(session.currency or currency).upper(),
        )

    async def aclose(self) -> None:
        await self._http.close_async()


def verify_webhook(payload: bytes, signature: str | None, settings: Settings) -> stripe.Event:
    """The event Stripe sent, once ``signature`` (the ``Stripe-Signature`` header) proves it came from
    Stripe for this endpoint and is recent. Raises :class:`StripeNotConfigured` without a webhook secret
    and :class:`WebhookSignatureInvalid` for anything else wrong (never trusting an unsigned payload)."""
    if settings.stripe_webhook_secret is None:
        raise StripeNotConfigured("FIXDESK_STRIPE_WEBHOOK_SECRET is not set")
    if not signature:
        raise WebhookSignatureInvalid("no Stripe-Signature header")
    try:
        return stripe.Webhook.construct_event(
            payload,
            signature,
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=settings.stripe_webhook_tolerance_seconds,
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookSignatureInvalid(str(error)) from error
    except ValueError as error:
        raise WebhookSignatureInvalid(f"the payload is not a Stripe event: {error}") from error
