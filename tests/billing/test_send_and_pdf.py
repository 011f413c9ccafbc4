"""The printable invoice (read back with pypdf) and sending it: the email reaches a real SMTP server with
the PDF attached and the link to pay; a draft is finalised on the way; events."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.billing.helpers import finalize, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import event_payloads, make_customer, make_user, settle
from tests.support.smtp_sink import SmtpSink, smtp_sink

__all__ = ["smtp_sink"]

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
async def settings(database_url, tmp_path, smtp_sink: SmtpSink):
    return make_settings(
        database_url,
        tmp_path,
        tax_rate="8.25",
        shop_name="Corner Phone Fix",
        shop_address="12 High Street\nAustin TX 78701",
        invoice_payment_instructions="Bank transfer to IBAN US00 1234 5678, quoting the invoice number.",
        public_base_url="https://shop.example.com",
        **smtp_sink.settings(),
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_the_pdf_shows_the_shop_numbers_lines_taxes_totals_balance_and_how_to_pay(
    app, client, sessionmaker
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Ana", last_name="Silva")
    draft = await make_invoice(
        client,
        agent,
        customer.id,
        line("OLED screen replacement", quantity=1, unit_price="189.00", discount="9.00"),
        line("Labour", quantity="0.75", unit_price="80.00"),
        line("Recycling fee", unit_price="2.50", tax_exempt=True),
    )
    invoice = await finalize(client, agent, draft["id"])
    await pay(client, agent, invoice["id"], "50.00")

    response = await client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=agent.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="INV-2026-000001.pdf"' in response.headers["content-disposition"]
    text = pdf_text(response.content)
    for expected in (
        "Corner Phone Fix",
        "12 High Street",
        "INV-2026-000001",
        "Issue date: 2026-06-17",
        "Due date: 2026-07-01",
        "Ana Silva",
        "OLED screen replacement",
        "$189.00",
        "$9.00",
        "$180.00",
        "$60.00",
        "exempt",
        "Subtotal",
        "$242.50",
        "Tax 8.25% on $240.00",
        "$19.80",
        "$262.30",
        "Paid",
        "Balance due",
        "$212.30",
        "IBAN US00 1234 5678",
        f"https://shop.example.com/portal/invoices/{invoice['id']}",
    ):
        assert expected in text, expected
    assert invoice["total"] == 262.3


async def test_a_drafts_pdf_says_draft_and_others_cannot_download_it(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker, first_name="Zoë")
    draft = await make_invoice(client, agent, customer.id)

    response = await client.get(f"/api/v1/invoices/{draft['id']}/pdf", headers=agent.headers)

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "DRAFT INVOICE" in text
    assert "Zo" in text  # a name outside Latin-1 would print as "?"; ë is in it
    assert (
        await client.get(f"/api/v1/invoices/{draft['id']}/pdf", headers=technician.headers)
    ).status_code == 403
    missing = await client.get(
        "/api/v1/invoices/00000000-0000-7000-8000-000000000000/pdf", headers=agent.headers
    )
    assert missing.status_code == 404


async def test_sending_a_draft_numbers_it_and_emails_the_pdf_with_a_link_to_pay(
    app, client, sessionmaker, smtp_sink: SmtpSink
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Ana", email="ana.silva@example.com")
    draft = await make_invoice(client, agent, customer.id, line("Battery", unit_price="40.00"))

    response = await client.post(f"/api/v1/invoices/{draft['id']}/send", headers=agent.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["invoiceNumber"] == "INV-2026-000001"
    assert body["status"] == "sent"
    assert body["sentAt"] is not None
    assert [e["invoiceNumber"] for e in await event_payloads(sessionmaker, "invoice.finalized")] == [
        "INV-2026-000001"
    ]
    [sent] = await event_payloads(sessionmaker, "invoice.sent")
    assert sent["balanceDue"] == 43.3

    await settle(app)

    [received] = await smtp_sink.wait_for(1)
    assert received.rcpt_tos == ["ana.silva@example.com"]
    assert received.message["Subject"] == "Invoice INV-2026-000001 from Corner Phone Fix: $43.30 due"
    plain = received.message.get_body(preferencelist=("plain",)).get_content()
    assert f"https://shop.example.com/portal/invoices/{draft['id']}" in plain
    assert "Balance due: $43.30" in plain
    assert "IBAN US00 1234 5678" in plain
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "INV-2026-000001.pdf"
    text = pdf_text(attachment.get_content())
    assert "INV-2026-000001" in text
    assert "$43.30" in text


async def test_an_invoice_cannot_be_sent_without_an_email_address_or_once_void(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    manager = await make_user(app, sessionmaker, "manager")
    no_email = await make_customer(app, sessionmaker, email=None, phone="+15125550123")
    draft = await make_invoice(client, agent, no_email.id)

    refused = await client.post(f"/api/v1/invoices/{draft['id']}/send", headers=agent.headers)

    assert refused.status_code == 409
    assert "email" in refused.json()["detail"]
    assert (await client.get(f"/api/v1/invoices/{draft['id']}", headers=agent.headers)).json()[
        "status"
    ] == "draft"
    customer = await make_customer(app, sessionmaker)
    invoice = await finalize(client, agent, (await make_invoice(client, agent, customer.id))["id"])
    voided = await client.post(
        f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "Duplicate"}, headers=manager.headers
    )
    assert voided.status_code == 200
    again = await client.post(f"/api/v1/invoices/{invoice['id']}/send", headers=agent.headers)
    assert again.status_code == 409
    assert again.json()["allowed"] == []


async def test_a_euro_shops_pdf_names_its_currency_instead_of_an_unprintable_sign(
    app, client, sessionmaker, database_url, tmp_path
):
    # The PDF's core font has no euro sign: amounts say EUR rather than print "?".
    euro_settings = make_settings(
        database_url, tmp_path, currency="EUR", tax_rate="23", shop_name="Conserta Já"
    )
    app.state.settings = euro_settings
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="João", last_name="Conceição")
    draft = await make_invoice(client, agent, customer.id, line("Substituição de ecrã", unit_price="100.00"))
    invoice = await finalize(client, agent, draft["id"])

    response = await client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=agent.headers)

    text = pdf_text(response.content)
    assert "EUR\xa0123.00" in text or "EUR 123.00" in text
    assert "?" not in text
    assert "João Conceição" in text
    assert "Substituição de ecrã" in text
