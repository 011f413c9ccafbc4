"""The Stripe adapter (issue 12, item 5) against a server on 127.0.0.1 that answers as Stripe's API does:
a Checkout Session for an invoice's balance, idempotent retries, refusals as provider errors, and the
webhook signature check of the official library (a forged, altered, stale or unsigned event is refused)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest

from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.payments import (
    StripeNotConfigured,
    StripePayments,
    WebhookSignatureInvalid,
    from_minor_units,
    to_minor_units,
    verify_webhook,
)
from tests.conftest import make_settings
from tests.support.fake_stripe import FakeStripe, nested_form, stripe_event, stripe_signature


@pytest.fixture
def stripe_api():
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path, stripe_api):
    return make_settings("sqlite+aiosqlite:///:memory:", tmp_path, **stripe_api.settings())


async def _open(payments: StripePayments, **overrides: object):
    """A Checkout Session for a 304.00 USD balance, the arguments changed by ``overrides``."""
    arguments: dict[str, object] = {
        "invoice_id": uuid.uuid4(),
        "invoice_number": "INV-2026-000042",
        "amount": Decimal("304.00"),
        "currency": "USD",
        "customer_email": "rita@example.com",
        "success_url": "http://127.0.0.1:8000/portal/invoices/x?paid=1",
        "cancel_url": "http://127.0.0.1:8000/portal/invoices/x",
        "idempotency_key": f"checkout-{uuid.uuid4()}",
        **overrides,
    }
    return await payments.create_checkout_session(**arguments)  # type: ignore[arg-type]


def test_amounts_cross_in_the_currencys_minor_unit():
    assert to_minor_units(Decimal("304.00"), "USD") == 30400
    assert to_minor_units(Decimal("10.005"), "EUR") == 1001  # half up
    assert to_minor_units(Decimal("1500"), "JPY") == 1500  # a zero-decimal currency
    assert from_minor_units(1050, "usd") == Decimal("10.50")
    assert from_minor_units(1500, "JPY") == Decimal("1500")


async def test_a_checkout_session_is_opened_for_the_balance(settings, stripe_api):
    payments = StripePayments(settings)
    invoice_id = uuid.uuid4()
    try:
        key = f"checkout-{invoice_id}-1"
        session = await _open(payments, invoice_id=invoice_id, idempotency_key=key)
        again = await _open(payments, invoice_id=invoice_id, idempotency_key=key)
    finally:
        await payments.aclose()

    assert session.id.startswith("cs_test_")
    assert session.url.endswith(session.id)
    assert (session.amount_minor, session.currency) == (30400, "USD")
    assert again.id == session.id  # the same idempotency key never opens a second session
    sent = nested_form(stripe_api.requests[0].body)
    assert sent["mode"] == "payment"
    assert sent["client_reference_id"] == str(invoice_id)
    assert sent["metadata"] == {"invoice_id": str(invoice_id), "invoice_number": "INV-2026-000042"}
    assert sent["payment_intent_data"]["metadata"]["invoice_id"] == str(invoice_id)
    assert sent["line_items"][0]["price_data"]["unit_amount"] == "30400"
    assert sent["line_items"][0]["price_data"]["currency"] == "usd"
    assert stripe_api.requests[0].headers["idempotency-key"] == f"checkout-{invoice_id}-1"


async def test_a_refusal_is_a_provider_error_saying_whether_to_retry(settings, tmp_path, stripe_api):
    wrong_key = make_settings(
        "sqlite+aiosqlite:///:memory:",
        tmp_path,
        **{**stripe_api.settings(), "stripe_secret_key": "sk_test_wrong"},
    )
    refused = StripePayments(wrong_key)
    try:
        with pytest.raises(ProviderError) as error:
            await _open(refused, idempotency_key="k1")
    finally:
        await refused.aclose()
    assert error.value.status == 401
    assert error.value.retryable is False

    stripe_api.fail_next(3, 503)  # the library's two retries and the first try
    busy = StripePayments(settings)
    try:
        with pytest.raises(ProviderError) as error:
            await _open(busy, idempotency_key="k2")
    finally:
        await busy.aclose()
    assert error.value.retryable is True


def test_without_a_key_online_payment_is_off(tmp_path):
    settings = make_settings("sqlite+aiosqlite:///:memory:", tmp_path)
    with pytest.raises(StripeNotConfigured):
        StripePayments(settings)
    with pytest.raises(StripeNotConfigured):
        verify_webhook(b"{}", "t=1,v1=00", settings)


def test_a_signed_event_is_verified_and_anything_else_refused(settings):
    payload = stripe_event("checkout.session.completed", {"id": "cs_test_1", "object": "checkout.session"})

    event = verify_webhook(payload, stripe_signature(payload), settings)

    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["id"] == "cs_test_1"
    altered = payload.replace(b"cs_test_1", b"cs_test_2")
    stale = stripe_signature(payload, timestamp=int(time.time()) - 301)
    for body, header in (
        (altered, stripe_signature(payload)),  # the payload changed after signing
        (payload, stripe_signature(payload, secret="whsec_someone_else")),  # a forged signature
        (payload, stale),  # replayed after the 300-second tolerance
        (payload, None),  # unsigned
        (payload, "t=abc"),  # malformed
        (b"not json", stripe_signature(b"not json")),
    ):
        with pytest.raises(WebhookSignatureInvalid):
            verify_webhook(body, header, settings)
