"""Paying invoices with Stripe (issue 12, item 5): Checkout Sessions for the balance from a server on
127.0.0.1 that answers as Stripe's API does, and Stripe's webhook events signed as Stripe signs them,
applied exactly once whatever the retries, their order or two deliveries racing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fixdesk.billing.models import Payment, StripeCheckoutSession, StripeEvent
from tests.billing.helpers import finalize, get, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import count_rows, event_payloads, make_customer, make_user
from tests.support.fake_stripe import FakeStripe, stripe_event, stripe_signature

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
def stripe_api():
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
async def settings(database_url, tmp_path, stripe_api):
    return make_settings(database_url, tmp_path, tax_rate="0", **stripe_api.settings())


async def issued(client, app, sessionmaker, staff, amount="304.00"):
    customer = await make_customer(app, sessionmaker)
    invoice = await finalize(
        client, staff, (await make_invoice(client, staff, customer.id, line(unit_price=amount)))["id"]
    )
    return customer, invoice


def session_completed(invoice_id: str, intent: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"cs_test_{intent}",
        "object": "checkout.session",
        "amount_total": amount,
        "currency": "usd",
        "client_reference_id": invoice_id,
        "metadata": {"invoice_id": invoice_id},
        "payment_intent": intent,
        "payment_status": "paid",
        "status": "complete",
        **extra,
    }


def intent_succeeded(invoice_id: str, intent: str, amount: int) -> dict[str, Any]:
    return {
        "id": intent,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "usd",
        "metadata": {"invoice_id": invoice_id},
        "status": "succeeded",
    }


def charge_refunded(intent: str, captured: int, refunded: int, invoice_id: str | None = None) -> dict:
    return {
        "id": f"ch_{intent}",
        "object": "charge",
        "amount": captured,
        "amount_captured": captured,
        "amount_refunded": refunded,
        "currency": "usd",
        "payment_intent": intent,
        "refunded": refunded == captured,
        "metadata": {"invoice_id": invoice_id} if invoice_id else {},
    }


async def deliver(client, payload: bytes, *, signature: str | None = None):
    return await client.post(
        "/api/v1/webhooks/stripe",
        content=payload,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": signature if signature is not None else stripe_signature(payload),
        },
    )


async def stripe_payments(sessionmaker) -> list[tuple[str, float, str | None]]:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(Payment.kind, Payment.amount, Payment.provider_reference)
                .where(Payment.provider == "stripe")
                .order_by(Payment.created_at, Payment.id)
            )
        ).all()
    return [(kind, float(amount), reference) for kind, amount, reference in rows]


# --- Checkout ---------------------------------------------------------------------------------------------


async def test_staff_and_the_customer_open_one_checkout_for_the_balance(
    app, client, sessionmaker, stripe_api
):
    agent = await make_user(app, sessionmaker, "agent")
    customer, invoice = await issued(client, app, sessionmaker, agent)
    assert (await pay(client, agent, invoice["id"], "100.00")).status_code == 201

    staff = await client.post(f"/api/v1/invoices/{invoice['id']}/checkout", headers=agent.headers)
    assert staff.status_code == 200, staff.text
    body = staff.json()
    assert body["checkoutUrl"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert (body["amount"], body["currency"]) == (204.0, "USD")
    opened = stripe_api.sessions[body["sessionId"]]
    assert opened["amount_total"] == 20400
    assert opened["metadata"]["invoice_id"] == invoice["id"]
    assert opened["customer_email"] == customer.email

    mine = await client.post(f"/api/v1/customer/invoices/{invoice['id']}/checkout", headers=customer.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["sessionId"] == body["sessionId"]  # the same balance, the same session
    assert len(stripe_api.sessions) == 1
    assert await count_rows(sessionmaker, StripeCheckoutSession) == 1

    # A new balance is a new session.
    assert (await pay(client, agent, invoice["id"], "4.00")).status_code == 201
    again = await client.post(f"/api/v1/invoices/{invoice['id']}/checkout", headers=agent.headers)
    assert again.json()["amount"] == 200.0
    assert again.json()["sessionId"] != body["sessionId"]


async def test_checkout_is_refused_when_nothing_is_owed_or_for_someone_else(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer, invoice = await issued(client, app, sessionmaker, agent)
    stranger = await make_customer(app, sessionmaker)
    draft = await make_invoice(client, agent, customer.id)

    other = await client.post(f"/api/v1/customer/invoices/{invoice['id']}/checkout", headers=stranger.headers)
    assert other.status_code == 404
    hidden = await client.post(f"/api/v1/customer/invoices/{draft['id']}/checkout", headers=customer.headers)
    assert hidden.status_code == 404  # a draft is not the customer's to see
    of_draft = await client.post(f"/api/v1/invoices/{draft['id']}/checkout", headers=agent.headers)
    assert of_draft.status_code == 409
    assert (
        await client.post(f"/api/v1/invoices/{invoice['id']}/mark-paid", headers=agent.headers)
    ).is_success
    paid = await client.post(f"/api/v1/invoices/{invoice['id']}/checkout", headers=agent.headers)
    assert paid.status_code == 409
    assert paid.json()["code"] == "CONFLICT"
    assert await count_rows(sessionmaker, StripeCheckoutSession) == 0


async def test_checkout_without_stripe_is_service_unavailable(
    database, client, sessionmaker, tmp_path, database_url
):
    app = database.app(make_settings(database_url, tmp_path, tax_rate="0"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
        agent = await make_user(app, sessionmaker, "agent")
        _, invoice = await issued(plain, app, sessionmaker, agent)
        answer = await plain.post(f"/api/v1/invoices/{invoice['id']}/checkout", headers=agent.headers)
        assert answer.status_code == 503
        assert answer.json()["code"] == "SERVICE_UNAVAILABLE"
        payload = stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_1", 100))
        webhook = await deliver(plain, payload)
        assert webhook.status_code == 503
    assert await count_rows(sessionmaker, StripeEvent) == 0


# --- webhooks ---------------------------------------------------------------------------------------------


async def test_a_retried_event_records_one_payment(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    payload = stripe_event("checkout.session.completed", session_completed(invoice["id"], "pi_A", 30400))

    first = await deliver(client, payload)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "payment_recorded"
    again = await deliver(client, payload)
    assert again.status_code == 200
    assert again.json()["outcome"] == "already_recorded"

    assert await stripe_payments(sessionmaker) == [("payment", 304.0, "pi_A")]
    body = await get(client, agent, invoice["id"])
    assert (body["status"], body["balanceDue"]) == ("paid", 0.0)
    assert body["payments"][0]["method"] == "stripe"
    assert body["payments"][0]["source"] == "stripe"
    assert [e["amount"] for e in await event_payloads(sessionmaker, "payment.received")] == [304.0]
    assert len(await event_payloads(sessionmaker, "invoice.paid")) == 1
    assert await count_rows(sessionmaker, StripeEvent) == 1


async def test_the_payment_intent_first_then_the_checkout_session_is_one_payment(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    intent = stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_B", 10000))
    completed = stripe_event("checkout.session.completed", session_completed(invoice["id"], "pi_B", 10000))

    assert (await deliver(client, intent)).json()["outcome"] == "payment_recorded"
    assert (await deliver(client, completed)).json()["outcome"] == "already_recorded"

    assert await stripe_payments(sessionmaker) == [("payment", 100.0, "pi_B")]
    body = await get(client, agent, invoice["id"])
    assert (body["status"], body["balanceDue"], body["amountPaid"]) == ("partially_paid", 204.0, 100.0)
    assert await count_rows(sessionmaker, StripeEvent) == 2


async def test_growing_refunds_add_up_to_stripes_figure_whatever_the_order(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    paid = stripe_event("checkout.session.completed", session_completed(invoice["id"], "pi_C", 30400))
    first_refund = stripe_event("charge.refunded", charge_refunded("pi_C", 30400, 5000))
    second_refund = stripe_event("charge.refunded", charge_refunded("pi_C", 30400, 12000))
    assert (await deliver(client, paid)).json()["outcome"] == "payment_recorded"

    # The later refund event arrives first: it refunds the whole 120.00 so far...
    assert (await deliver(client, second_refund)).json()["outcome"] == "refund_recorded"
    # ...and the earlier one, arriving late, asks for less than is already refunded: nothing more.
    assert (await deliver(client, first_refund)).json()["outcome"] == "already_recorded"
    assert (await deliver(client, second_refund)).json()["outcome"] == "already_recorded"  # a retry

    assert await stripe_payments(sessionmaker) == [
        ("payment", 304.0, "pi_C"),
        ("refund", 120.0, "ch_pi_C/12000"),
    ]
    # Then Stripe refunds the rest.
    full = stripe_event("charge.refunded", charge_refunded("pi_C", 30400, 30400))
    assert (await deliver(client, full)).json()["outcome"] == "refund_recorded"
    body = await get(client, agent, invoice["id"])
    assert (body["status"], body["amountPaid"], body["balanceDue"]) == ("sent", 0.0, 304.0)
    refunds = await event_payloads(sessionmaker, "payment.refunded")
    assert [(e["amount"], e["balanceDue"]) for e in refunds] == [(120.0, 120.0), (184.0, 304.0)]


async def test_growing_refunds_in_order_refund_the_difference(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    await deliver(
        client, stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_D", 30400))
    )
    await deliver(client, stripe_event("charge.refunded", charge_refunded("pi_D", 30400, 5000)))
    await deliver(client, stripe_event("charge.refunded", charge_refunded("pi_D", 30400, 12000)))

    assert [p[:2] for p in await stripe_payments(sessionmaker)] == [
        ("payment", 304.0),
        ("refund", 50.0),
        ("refund", 70.0),
    ]
    body = await get(client, agent, invoice["id"])
    assert (body["status"], body["amountPaid"], body["balanceDue"]) == ("partially_paid", 184.0, 120.0)


async def test_a_refund_before_the_payments_own_events_records_both(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    refund = stripe_event("charge.refunded", charge_refunded("pi_E", 30400, 4000, invoice["id"]))
    assert (await deliver(client, refund)).json()["outcome"] == "refund_recorded"
    late = stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_E", 30400))
    assert (await deliver(client, late)).json()["outcome"] == "already_recorded"
    assert [p[:2] for p in await stripe_payments(sessionmaker)] == [("payment", 304.0), ("refund", 40.0)]
    assert (await get(client, agent, invoice["id"]))["balanceDue"] == 40.0


async def test_unknown_invoices_and_other_events_are_recorded_and_ignored(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    unknown = stripe_event(
        "payment_intent.succeeded", intent_succeeded("0190e6d0-0000-7000-8000-000000000000", "pi_F", 100)
    )
    not_ours = stripe_event(
        "payment_intent.succeeded", {**intent_succeeded("x", "pi_G", 100), "metadata": {}}
    )
    unpaid = stripe_event(
        "checkout.session.completed", session_completed(invoice["id"], "pi_H", 30400, payment_status="unpaid")
    )
    too_much = stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_I", 99900))
    other = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})

    outcomes = [
        (await deliver(client, p)).json()["outcome"] for p in (unknown, not_ours, unpaid, too_much, other)
    ]

    assert outcomes == ["unknown_invoice", "unknown_invoice", "not_paid", "exceeds_balance", "ignored"]
    assert await stripe_payments(sessionmaker) == []
    assert await count_rows(sessionmaker, StripeEvent) == 5
    async with sessionmaker() as session:
        processed = (await session.execute(select(StripeEvent.processed_at))).scalars().all()
    assert all(processed)


async def test_a_bad_signature_is_refused_and_nothing_is_stored(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    payload = stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_J", 30400))

    forged = await deliver(client, payload, signature=stripe_signature(payload, secret="whsec_someone_else"))
    assert forged.status_code == 400
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert forged.json()["code"] == "VALIDATION_ERROR"
    altered = payload.replace(b"30400", b"30401")
    assert (await deliver(client, altered, signature=stripe_signature(payload))).status_code == 400
    assert (await deliver(client, payload, signature="")).status_code == 400
    stale = stripe_signature(payload, timestamp=int(time.time()) - 301)
    refused = await deliver(client, payload, signature=stale)
    assert refused.status_code == 400
    assert "timestamp" in refused.json()["detail"].lower()

    assert await count_rows(sessionmaker, StripeEvent) == 0
    assert await count_rows(sessionmaker, Payment) == 0
    assert await event_payloads(sessionmaker, "payment.received") == []
    # Signed within the tolerance, the same event goes through.
    recent = stripe_signature(payload, timestamp=int(time.time()) - 120)
    assert (await deliver(client, payload, signature=recent)).json()["outcome"] == "payment_recorded"


@pytest.mark.commits  # two deliveries at once, each in its own transaction on its own connection
async def test_two_deliveries_racing_record_one_payment(app, client, sessionmaker):
    if app.state.settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    payload = stripe_event("checkout.session.completed", session_completed(invoice["id"], "pi_K", 30400))
    intent = stripe_event("payment_intent.succeeded", intent_succeeded(invoice["id"], "pi_K", 30400))

    answers = await asyncio.gather(*(deliver(client, p) for p in (payload, payload, intent, payload, intent)))

    assert [a.status_code for a in answers] == [200] * 5
    assert sorted(a.json()["outcome"] for a in answers) == ["already_recorded"] * 4 + ["payment_recorded"]
    assert await stripe_payments(sessionmaker) == [("payment", 304.0, "pi_K")]
    assert await count_rows(sessionmaker, StripeEvent) == 2
    body = await get(client, agent, invoice["id"])
    assert (body["status"], body["balanceDue"]) == ("paid", 0.0)
