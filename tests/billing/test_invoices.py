"""Invoices through the API: drafts from free lines, a repair or a work order; totals under both rounding
rules; finalising with gap-free numbers; frozen invoices; voids and credit notes; filters; events."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest

from fixdesk.billing.models import Invoice
from tests.billing.helpers import finalize, get, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import count_rows, event_payloads, make_customer, make_repair, make_user
from tests.fieldservice.helpers import make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="8.25", payment_terms_days=30)


async def test_a_draft_of_free_lines_is_priced_by_the_server_and_has_no_number(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)

    invoice = await make_invoice(
        client,
        agent,
        customer.id,
        line("Screen", quantity=2, unit_price="49.99", discount="5.00"),
        line("Labour", quantity="1.5", unit_price="60.00", tax_rate="0"),
        line("Recycling fee", unit_price="3.00", tax_exempt=True),
    )

    assert invoice["invoiceNumber"] is None
    assert invoice["status"] == "draft"
    assert invoice["issueDate"] is None
    assert invoice["dueDate"] is None
    assert [row["netAmount"] for row in invoice["lines"]] == [94.98, 90.0, 3.0]
    assert [row["taxRate"] for row in invoice["lines"]] == [8.25, 0.0, 0.0]
    # 94.98 × 8.25 % = 7.83585 → 7.84 (per document, on the 8.25 % group)
    assert invoice["subtotal"] == 187.98
    assert invoice["tax"] == 7.84
    assert invoice["total"] == 195.82
    assert invoice["balanceDue"] == 195.82
    assert invoice["rounding"] == "per_document"
    assert invoice["paymentTermsDays"] == 30
    assert {(group["rate"], group["exempt"]) for group in invoice["taxBreakdown"]} == {
        (0.0, False),
        (8.25, False),
        (0.0, True),
    }
    [created] = await event_payloads(sessionmaker, "invoice.created")
    assert created["invoiceNumber"] is None
    assert created["total"] == 195.82


@pytest.mark.parametrize(("rounding", "tax"), [("per_document", 0.22), ("per_line", 0.21)])
async def test_the_rounding_rule_is_a_setting_and_the_invoice_keeps_it(
    database, database_url, tmp_path, rounding, tax
):
    settings = make_settings(database_url, tmp_path, tax_rate="7", invoice_rounding=rounding)
    app = database.app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        agent = await make_user(app, database.sessionmaker, "agent")
        customer = await make_customer(app, database.sessionmaker)
        # Three lines of 1.05 at 7 %: each line's 0.0735 rounds to 0.07 (0.21 per line), while the
        # document's 3.15 × 7 % = 0.2205 rounds to 0.22.
        invoice = await make_invoice(
            client, agent, customer.id, *[line(f"Part {n}", unit_price="1.05") for n in range(3)]
        )
    assert invoice["rounding"] == rounding
    assert invoice["tax"] == tax
    assert invoice["total"] == round(3.15 + tax, 2)


async def test_a_draft_is_edited_and_deleted_but_an_issued_invoice_is_frozen(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    draft = await make_invoice(client, agent, customer.id)

    edited = await client.patch(
        f"/api/v1/invoices/{draft['id']}",
        json={"lines": [line("Battery", unit_price="40.00")], "notes": "Thanks!", "payment_terms_days": 7},
        headers=agent.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["total"] == 43.3
    assert edited.json()["paymentTermsDays"] == 7
    [updated] = await event_payloads(sessionmaker, "invoice.updated")
    assert updated["changedFields"] == ["lines", "notes", "paymentTermsDays"]

    issued = await finalize(client, agent, draft["id"])
    assert issued["invoiceNumber"] == "INV-2026-000001"
    assert issued["status"] == "sent"
    assert issued["issueDate"] == "2026-06-17"
    assert issued["dueDate"] == "2026-06-24"

    frozen = await client.patch(f"/api/v1/invoices/{draft['id']}", json={"notes": "x"}, headers=agent.headers)
    assert frozen.status_code == 409
    assert "credit note" in frozen.json()["detail"]
    assert (await client.delete(f"/api/v1/invoices/{draft['id']}", headers=agent.headers)).status_code == 409
    again = await client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=agent.headers)
    assert again.status_code == 409
    assert again.json()["allowed"] == ["partially_paid", "paid", "overdue", "void"]

    other = await make_invoice(client, agent, customer.id)
    deleted = await client.delete(f"/api/v1/invoices/{other['id']}", headers=agent.headers)
    assert deleted.status_code == 204
    assert await count_rows(sessionmaker, Invoice) == 1
    # The deleted draft never took a number: the next invoice is 000002.
    third = await make_invoice(client, agent, customer.id)
    assert (await finalize(client, agent, third["id"]))["invoiceNumber"] == "INV-2026-000002"


async def test_an_invoice_from_a_repair_bills_its_parts_and_labour_and_carries_the_deposit(
    app, client, sessionmaker
):
    agent = await make_user(app, sessionmaker, "agent")
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, agent, customer.id, deposit="20.00")
    for path, body in (
        ("items", {"description": "OLED screen", "quantity": 1, "unitPrice": "189.00", "discount": "9.00"}),
        ("labour", {"description": "Fitting", "hours": "0.75", "rate": "80.00"}),
    ):
        added = await client.post(
            f"/api/v1/repairs/{repair['id']}/{path}", json=body, headers=manager.headers
        )
        assert added.status_code == 201, added.text

    response = await client.post("/api/v1/invoices", json={"repairId": repair["id"]}, headers=agent.headers)

    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["source"] == "repair"
    assert invoice["customerId"] == str(customer.id)
    assert [(row["description"], row["quantity"], row["netAmount"]) for row in invoice["lines"]] == [
        ("OLED screen", 1.0, 180.0),
        ("Fitting", 0.75, 60.0),
    ]
    assert invoice["subtotal"] == 240.0
    assert invoice["tax"] == 19.8
    assert invoice["total"] == 259.8
    [deposit] = invoice["payments"]
    assert (deposit["amount"], deposit["source"], deposit["method"]) == (20.0, "deposit", "other")
    assert deposit["reference"] == f"Deposit on {repair['repairNumber']}"
    assert invoice["amountPaid"] == 20.0
    assert invoice["balanceDue"] == 239.8
    assert invoice["status"] == "draft"

    unknown = await client.post(
        "/api/v1/invoices", json={"repairId": "00000000-0000-7000-8000-000000000000"}, headers=agent.headers
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "repairId"
    twice = await client.post("/api/v1/invoices", json={"repairId": repair["id"]}, headers=agent.headers)
    assert twice.status_code == 409
    assert twice.json()["invoiceId"] == invoice["id"]

    issued = await finalize(client, agent, invoice["id"])
    assert issued["status"] == "partially_paid"


async def test_an_invoice_from_a_work_order_bills_its_lines(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    work_order = await make_work_order(
        client,
        agent,
        customer.id,
        items=[{"description": "Riser lid", "quantity": 2, "unitPrice": "10.00"}],
        labour=[{"description": "Pumping", "hours": "1.5", "rate": "80.00"}],
    )

    response = await client.post(
        "/api/v1/invoices",
        json={"work_order_id": work_order["id"], "lines": [line("Travel", unit_price="15.00")]},
        headers=agent.headers,
    )

    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["workOrderId"] == work_order["id"]
    assert [row["netAmount"] for row in invoice["lines"]] == [20.0, 120.0, 15.0]
    assert invoice["total"] == round(155 * 1.0825, 2)
    listed = await client.get(f"/api/v1/invoices?work_order_id={work_order['id']}", headers=agent.headers)
    assert [row["id"] for row in listed.json()["items"]] == [invoice["id"]]


async def test_bad_input_is_refused_and_changes_nothing(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    cases = [
        {"customerId": str(customer.id), "lines": []},
        {"customerId": str(customer.id), "lines": [line(unit_price="-1")]},
        {"customerId": str(customer.id), "lines": [line(quantity=0)]},
        {"customerId": str(customer.id), "lines": [line(tax_rate="5", tax_exempt=True)]},
        {"lines": [line()]},
        {"customerId": "00000000-0000-7000-8000-000000000000", "lines": [line()]},
    ]
    for body in cases:
        response = await client.post("/api/v1/invoices", json=body, headers=agent.headers)
        assert response.status_code in (400, 422), (body, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
    too_much = await client.post(
        "/api/v1/invoices",
        json={"customerId": str(customer.id), "lines": [line(unit_price="10.00", discount="10.01")]},
        headers=agent.headers,
    )
    assert too_much.status_code == 400
    assert too_much.json()["errors"][0]["field"] == "lines.0.discount"
    assert await count_rows(sessionmaker, Invoice) == 0


async def test_void_keeps_the_invoice_with_its_reason_and_needs_payments_refunded(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    invoice = await finalize(client, agent, (await make_invoice(client, agent, customer.id))["id"])
    paid = await pay(client, agent, invoice["id"], "10.00")
    assert paid.status_code == 201

    forbidden = await client.post(
        f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "Wrong customer"}, headers=agent.headers
    )
    assert forbidden.status_code == 403
    blocked = await client.post(
        f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "Wrong customer"}, headers=manager.headers
    )
    assert blocked.status_code == 409
    refund = await client.post(
        f"/api/v1/payments/{paid.json()['id']}/refund", json={"amount": "10.00"}, headers=manager.headers
    )
    assert refund.status_code == 201, refund.text

    voided = await client.post(
        f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "Wrong customer"}, headers=manager.headers
    )
    assert voided.status_code == 200, voided.text
    body = voided.json()
    assert (body["status"], body["voidReason"], body["invoiceNumber"]) == (
        "void",
        "Wrong customer",
        "INV-2026-000001",
    )
    assert body["allowedTransitions"] == []
    assert (await pay(client, agent, invoice["id"], "1.00")).status_code == 409
    again = await client.post(
        f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "again"}, headers=manager.headers
    )
    assert again.status_code == 409
    [event] = await event_payloads(sessionmaker, "invoice.voided")
    assert event["voidReason"] == "Wrong customer"


async def test_a_credit_note_has_its_own_number_and_reduces_the_balance(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    draft = await make_invoice(client, agent, customer.id, line("Screen", unit_price="200.00"))
    invoice = await finalize(client, agent, draft["id"])
    assert invoice["total"] == 216.5

    on_draft = await make_invoice(client, agent, customer.id)
    refused = await client.post(
        f"/api/v1/invoices/{on_draft['id']}/credit-notes",
        json={"reason": "x", "lines": [line(unit_price="1.00")]},
        headers=agent.headers,
    )
    assert refused.status_code == 409

    response = await client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Goodwill discount", "lines": [line("Goodwill", unit_price="50.00")]},
        headers=agent.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    [note] = body["creditNotes"]
    assert note["creditNoteNumber"] == "CN-2026-000001"
    assert note["total"] == 54.13
    assert body["amountCredited"] == 54.13
    assert body["balanceDue"] == 162.37
    assert body["total"] == 216.5  # the invoice itself is never changed
    too_much = await client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Too much", "lines": [line(unit_price="200.00")]},
        headers=agent.headers,
    )
    assert too_much.status_code == 409
    rest = await client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        # 149.99 + 8.25 % = 162.36 and 150.00 + 8.25 % = 162.38: an exempt cent closes the gap.
        json={
            "reason": "Cancelled",
            "lines": [
                line("Rest", unit_price="149.99"),
                line("Rounding", unit_price="0.01", tax_exempt=True),
            ],
        },
        headers=agent.headers,
    )
    assert rest.status_code == 201, rest.text
    assert rest.json()["balanceDue"] == 0.0
    assert rest.json()["status"] == "paid"
    [created, _] = await event_payloads(sessionmaker, "credit_note.created")
    assert created["creditNoteNumber"] == "CN-2026-000001"
    assert len(await event_payloads(sessionmaker, "invoice.paid")) == 1


async def test_the_list_filters_by_status_customer_dates_and_overdue(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    ana = await make_customer(app, sessionmaker)
    bob = await make_customer(app, sessionmaker, first_name="Bob")
    draft = await make_invoice(client, agent, ana.id)
    current = await finalize(client, agent, (await make_invoice(client, agent, ana.id))["id"])
    late = await finalize(
        client, agent, (await make_invoice(client, agent, bob.id, payment_terms_days=0))["id"]
    )
    # Due today (issue date + 0 days): overdue from tomorrow on, so move its due date back a week.
    async with sessionmaker() as session:
        row = await session.get(Invoice, uuid.UUID(late["id"]))
        row.due_date = date(2026, 6, 10)
        await session.commit()

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/v1/invoices?{query}", headers=agent.headers)
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["items"])

    assert await ids("status=draft") == [draft["id"]]
    assert await ids("status=sent") == [current["id"]]
    assert await ids("status=overdue") == [late["id"]]
    assert await ids("overdue=true") == [late["id"]]
    assert await ids(f"customer_id={bob.id}") == [late["id"]]
    assert await ids("dateFrom=2026-06-17&dateTo=2026-06-17") == sorted([current["id"], late["id"]])
    assert await ids("dateFrom=2026-06-18") == []
    assert (await get(client, agent, late["id"]))["status"] == "overdue"
    assert (await client.get("/api/v1/invoices?status=nonsense", headers=agent.headers)).status_code in (
        400,
        422,
    )


async def test_customers_payment_terms_set_the_due_date(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    default = await client.get(f"/api/v1/customers/{customer.id}/payment-terms", headers=agent.headers)
    assert default.json() == {"customerId": str(customer.id), "paymentTermsDays": 30, "isDefault": True}
    response = await client.put(
        f"/api/v1/customers/{customer.id}/payment-terms", json={"paymentTermsDays": 45}, headers=agent.headers
    )
    assert response.status_code == 200, response.text

    invoice = await finalize(client, agent, (await make_invoice(client, agent, customer.id))["id"])

    assert invoice["paymentTermsDays"] == 45
    assert invoice["dueDate"] == "2026-08-01"


async def test_technicians_and_customers_cannot_reach_invoices(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    invoice = await make_invoice(client, agent, customer.id)
    for actor in (technician, customer):
        assert (await client.get("/api/v1/invoices", headers=actor.headers)).status_code == 403
        assert (
            await client.get(f"/api/v1/invoices/{invoice['id']}", headers=actor.headers)
        ).status_code == 403
