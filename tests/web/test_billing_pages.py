"""The billing pages of the staff app over HTTP (issue 12, item 10): the invoices list and its filters,
"Create invoice" from a repair's page in one click, an invoice's page with its actions (issue, record a
payment, credit note, void, mark paid) under the API's rules and permissions, the PDF and CSV on the
page's session, and the receivables."""

from __future__ import annotations

import pytest

from tests.billing.helpers import finalize, line, make_invoice
from tests.conftest import make_settings
from tests.factories import make_customer, make_repair, make_user

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="10", payment_terms_days=14)


@pytest.fixture
async def shop(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    repair = await make_repair(client, agent, customer.id, deposit="20.00")
    added = await client.post(
        f"/api/v1/repairs/{repair['id']}/items",
        json={"description": "OLED screen", "quantity": 1, "unitPrice": "180.00"},
        headers=manager.headers,
    )
    assert added.status_code == 201, added.text
    issued = await finalize(client, manager, (await make_invoice(client, manager, customer.id))["id"])
    draft = await make_invoice(client, manager, customer.id, line("Cable", unit_price="9.00"))
    return {"manager": manager, "agent": agent, "repair": repair, "issued": issued, "draft": draft}


async def test_the_list_shows_filters_and_pages_the_invoices(client, shop):
    headers = shop["manager"].headers

    everything = await client.get("/app/invoices", headers=headers)
    drafts = await client.get("/app/invoices?status=draft", headers=headers)
    overdue = await client.get("/app/invoices?overdue=1", headers=headers)
    bad = await client.get("/app/invoices?from=yesterday", headers=headers)

    assert everything.status_code == 200
    assert shop["issued"]["invoiceNumber"] in everything.text
    assert f'data-invoice="{shop["draft"]["id"]}"' in everything.text
    assert "Rita Nunes" in everything.text
    assert 'href="/app/invoices"' in everything.text  # the menu entry
    assert 'href="/app/receivables"' in everything.text
    assert 'href="/app/invoices/export.csv"' in everything.text
    assert 'href="/app/invoices/export.csv?status=draft"' in drafts.text  # the list's filters
    assert f'data-invoice="{shop["draft"]["id"]}"' in drafts.text
    assert shop["issued"]["invoiceNumber"] not in drafts.text
    assert "No invoices here" in overdue.text
    assert bad.status_code == 400
    assert "invoices-problem" in bad.text


async def test_create_invoice_from_the_repair_page_in_one_click(client, shop):
    agent, repair = shop["agent"], shop["repair"]

    repair_page = await client.get(f"/app/repairs/{repair['id']}", headers=agent.headers)
    created = await client.post(
        "/app/invoices/from-repair", data={"repair_id": repair["id"]}, headers=agent.headers
    )
    page = await client.get(created.headers["location"], headers=agent.headers)
    again = await client.post(
        "/app/invoices/from-repair", data={"repair_id": repair["id"]}, headers=agent.headers
    )
    unknown = await client.post(
        "/app/invoices/from-repair", data={"repair_id": "nope"}, headers=agent.headers
    )

    assert 'action="/app/invoices/from-repair"' in repair_page.text
    assert created.status_code == 303
    assert page.status_code == 200
    assert "OLED screen" in page.text
    assert "$198.00" in page.text  # 180 + 10 % tax
    assert "$178.00" in page.text  # less the deposit of 20
    assert "(10 %)" in page.text  # the tax rate as people write it, not 10.0000
    assert "The draft invoice is ready" in page.text
    assert again.status_code == 303
    assert again.headers["location"].split("?")[0] == created.headers["location"].split("?")[0]
    assert unknown.status_code == 400
    assert "invoices-problem" in unknown.text


async def test_the_invoice_page_issues_takes_payments_credits_and_voids(client, shop):
    manager = shop["manager"]
    draft_path = f"/app/invoices/{shop['draft']['id']}"
    path = f"/app/invoices/{shop['issued']['id']}"

    draft_page = await client.get(draft_path, headers=manager.headers)
    issued = await client.post(f"{draft_path}/finalize", headers=manager.headers)
    too_much = await client.post(
        f"{path}/payments", data={"amount": "500.00", "method": "card"}, headers=manager.headers
    )
    paid = await client.post(
        f"{path}/payments",
        data={"amount": "50.00", "method": "card", "reference": "slip 7"},
        headers=manager.headers,
    )
    credited = await client.post(
        f"{path}/credit-notes", data={"reason": "Goodwill", "amount": "10.00"}, headers=manager.headers
    )
    refused_void = await client.post(f"{path}/void", data={"reason": "Wrong"}, headers=manager.headers)
    settled = await client.post(f"{path}/mark-paid", data={"method": "cash"}, headers=manager.headers)
    page = await client.get(path, headers=manager.headers)
    void_draft_issued = await client.post(
        f"{draft_path}/void", data={"reason": "Duplicate"}, headers=manager.headers
    )
    void_page = await client.get(draft_path, headers=manager.headers)

    assert draft_page.status_code == 200
    assert f'action="{draft_path}/finalize"' in draft_page.text
    assert issued.status_code == 303
    assert too_much.status_code == 409
    assert "payment-problem" in too_much.text
    assert paid.status_code == 303
    assert credited.status_code == 303
    assert refused_void.status_code == 409
    assert "actions-problem" in refused_void.text  # the void form is gone once paid: with the actions
    assert settled.status_code == 303
    assert 'data-status="paid"' in page.text
    assert "slip 7" in page.text
    assert "Goodwill" in page.text
    assert "CN-2026-000001" in page.text
    assert void_draft_issued.status_code == 303
    assert 'data-status="void"' in void_page.text
    assert "Duplicate" in void_page.text


async def test_permissions_are_the_apis(client, shop, app, sessionmaker):
    agent = shop["agent"]
    technician = await make_user(app, sessionmaker, "technician")
    path = f"/app/invoices/{shop['issued']['id']}"

    agent_page = await client.get(path, headers=agent.headers)
    agent_void = await client.post(f"{path}/void", data={"reason": "x"}, headers=agent.headers)
    agent_receivables = await client.get("/app/receivables", headers=agent.headers)
    technician_list = await client.get("/app/invoices", headers=technician.headers)
    repair_page = await client.get(f"/app/repairs/{shop['repair']['id']}", headers=technician.headers)

    assert agent_page.status_code == 200
    assert f'action="{path}/payments"' in agent_page.text
    assert f'action="{path}/void"' not in agent_page.text  # agents do not void
    assert agent_void.status_code == 403
    assert agent_receivables.status_code == 403
    assert technician_list.status_code == 403
    assert 'action="/app/invoices/from-repair"' not in repair_page.text


async def test_the_pdf_and_the_csv_come_on_the_pages_session(client, shop):
    headers = shop["manager"].headers

    document = await client.get(f"/app/invoices/{shop['issued']['id']}/pdf", headers=headers)
    export = await client.get("/app/invoices/export.csv?status=draft", headers=headers)
    payments = await client.get("/app/payments/export.csv", headers=headers)

    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    assert export.status_code == 200
    assert export.text.splitlines()[0].startswith("invoiceNumber,status,")
    assert len(export.text.splitlines()) == 2
    assert payments.status_code == 200
    assert payments.text.startswith("receivedAt,kind,")


async def test_the_receivables_page_shows_the_aging_and_the_chart(client, shop):
    page = await client.get("/app/receivables", headers=shop["manager"].headers)

    assert page.status_code == 200
    assert "Rita Nunes" in page.text
    assert 'data-bucket="current">$110.00' in page.text  # the issued invoice, not yet due
    assert 'id="chart-receivables"' in page.text
    assert 'id="receivables-chart"' in page.text
    assert 'data-month="2026-06"' in page.text
