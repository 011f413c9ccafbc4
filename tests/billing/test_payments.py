"""Payments through the API: partial payments and the status that follows the balance, 409 above the
balance, refunds up to what was paid, mark-paid, the list, the events and the customer's message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixdesk.billing.models import Payment
from fixdesk.messaging.models import Notification
from tests.billing.helpers import finalize, get, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import count_rows, event_payloads, make_customer, make_repair, make_user, settle

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="0")


async def issued(client, app, sessionmaker, staff, amount="100.00"):
    customer = await make_customer(app, sessionmaker)
    invoice = await finalize(
        client, staff, (await make_invoice(client, staff, customer.id, line(unit_price=amount)))["id"]
    )
    return customer, invoice


async def test_partial_payments_move_the_status_until_paid(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)

    first = await pay(client, agent, invoice["id"], "30.00", "card")
    assert first.status_code == 201, first.text
    assert first.json()["method"] == "card"
    assert (await get(client, agent, invoice["id"]))["status"] == "partially_paid"

    too_much = await pay(client, agent, invoice["id"], "70.01")
    assert too_much.status_code == 409
    assert too_much.json()["balanceDue"] == 70.0

    second = await client.post(
        "/api/v1/payments",
        json={"invoiceId": invoice["id"], "amount": 70, "method": "check", "reference": "CHK-0042"},
        headers=agent.headers,
    )
    assert second.status_code == 201, second.text
    body = await get(client, agent, invoice["id"])
    assert body["status"] == "paid"
    assert body["balanceDue"] == 0.0
    assert body["amountPaid"] == 100.0
    assert body["paidAt"] is not None
    assert [p["reference"] for p in body["payments"]] == [None, "CHK-0042"]
    received = await event_payloads(sessionmaker, "payment.received")
    assert [(e["amount"], e["invoiceStatus"], e["balanceDue"]) for e in received] == [
        (30.0, "partially_paid", 70.0),
        (70.0, "paid", 0.0),
    ]
    [paid] = await event_payloads(sessionmaker, "invoice.paid")
    assert paid["invoiceNumber"] == invoice["invoiceNumber"]
    assert (await pay(client, agent, invoice["id"], "0.01")).status_code == 409


async def test_a_payment_needs_an_issued_invoice_and_valid_fields(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    draft = await make_invoice(client, agent, customer.id)
    assert (await pay(client, agent, draft["id"], "10.00")).status_code == 409
    for body in (
        {"invoiceId": draft["id"], "amount": 0, "method": "cash"},
        {"invoiceId": draft["id"], "amount": "10.001", "method": "cash"},
        {"invoiceId": draft["id"], "amount": 10, "method": "bitcoin"},
        {"invoiceId": draft["id"], "amount": 10, "method": "stripe"},
        {"invoiceId": "00000000-0000-7000-8000-000000000000", "amount": 10, "method": "cash"},
    ):
        response = await client.post("/api/v1/payments", json=body, headers=agent.headers)
        assert response.status_code in (400, 422), (body, response.text)
    assert await count_rows(sessionmaker, Payment) == 0


async def test_refunds_are_limited_to_what_was_paid_and_reopen_the_balance(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent)
    payment = (await pay(client, agent, invoice["id"], "100.00")).json()

    denied = await client.post(
        f"/api/v1/payments/{payment['id']}/refund", json={"amount": 1}, headers=agent.headers
    )
    assert denied.status_code == 403
    refund = await client.post(
        f"/api/v1/payments/{payment['id']}/refund", json={"amount": "40.00"}, headers=manager.headers
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["kind"] == "refund"
    assert refund.json()["refundOfId"] == payment["id"]
    body = await get(client, agent, invoice["id"])
    assert body["status"] == "partially_paid"
    assert body["balanceDue"] == 40.0
    assert body["paidAt"] is None

    over = await client.post(
        f"/api/v1/payments/{payment['id']}/refund", json={"amount": "60.01"}, headers=manager.headers
    )
    assert over.status_code == 409
    assert over.json()["refundable"] == 60.0
    of_refund = await client.post(
        f"/api/v1/payments/{refund.json()['id']}/refund", json={"amount": "1.00"}, headers=manager.headers
    )
    assert of_refund.status_code == 409
    rest = await client.post(
        f"/api/v1/payments/{payment['id']}/refund", json={"amount": "60.00"}, headers=manager.headers
    )
    assert rest.status_code == 201
    body = await get(client, agent, invoice["id"])
    assert (body["status"], body["amountPaid"], body["balanceDue"]) == ("sent", 0.0, 100.0)
    refunded = await event_payloads(sessionmaker, "payment.refunded")
    assert [e["amount"] for e in refunded] == [40.0, 60.0]


async def test_mark_paid_records_the_balance_as_one_payment(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, invoice = await issued(client, app, sessionmaker, agent, amount="80.00")
    await pay(client, agent, invoice["id"], "30.00")

    response = await client.post(
        f"/api/v1/invoices/{invoice['id']}/mark-paid",
        json={"method": "bank_transfer", "reference": "TRX-1"},
        headers=agent.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "paid"
    assert [(p["amount"], p["method"]) for p in body["payments"]] == [(30.0, "cash"), (50.0, "bank_transfer")]
    again = await client.post(f"/api/v1/invoices/{invoice['id']}/mark-paid", headers=agent.headers)
    assert again.status_code == 409
    assert "allowed" in again.json()


async def test_the_payment_list_filters_and_technicians_cannot_record_payments(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    _, first = await issued(client, app, sessionmaker, agent)
    _, second = await issued(client, app, sessionmaker, agent)
    await pay(client, agent, first["id"], "10.00", "card")
    await pay(client, agent, second["id"], "20.00", "cash")

    async def amounts(query: str) -> list[float]:
        response = await client.get(f"/api/v1/payments?{query}", headers=agent.headers)
        assert response.status_code == 200, response.text
        return sorted(item["amount"] for item in response.json()["items"])

    assert await amounts("") == [10.0, 20.0]
    assert await amounts("method=card") == [10.0]
    assert await amounts(f"invoice_id={second['id']}") == [20.0]
    assert await amounts("dateFrom=2026-06-17&dateTo=2026-06-17") == [10.0, 20.0]
    assert await amounts("dateFrom=2026-06-18") == []
    assert (await pay(client, technician, first["id"], "1.00")).status_code == 403


async def test_the_customer_is_told_a_payment_was_received_but_not_about_a_carried_deposit(
    app, client, sessionmaker
):
    agent = await make_user(app, sessionmaker, "agent")
    customer, invoice = await issued(client, app, sessionmaker, agent)
    await pay(client, agent, invoice["id"], "25.50")
    repair = await make_repair(client, agent, customer.id, deposit="20.00")
    from_repair = await client.post(
        "/api/v1/invoices",
        json={"repairId": repair["id"], "lines": [line(unit_price="90.00")]},
        headers=agent.headers,
    )
    assert from_repair.status_code == 201, from_repair.text
    assert from_repair.json()["amountPaid"] == 20.0

    await settle(app)

    async with sessionmaker() as session:
        rows = (
            (await session.execute(select(Notification).where(Notification.event == "payment_received")))
            .scalars()
            .all()
        )
    assert {row.channel for row in rows} == {"email"}
    [email] = rows
    assert email.customer_id == customer.id
    assert email.status == "sent"
    assert "$25.50" in email.body_preview
    assert invoice["invoiceNumber"] in email.body_preview
