"""The customer's invoices (issue 12, item 7): ``/api/v1/customer/invoices`` (list, detail, PDF) and the
portal's pages (my invoices, one invoice with its balance, PDF and Pay button opening Stripe Checkout). A
customer sees only their own issued invoices: another's, or a draft, is 404."""

from __future__ import annotations

import io

import httpx
import pytest
from pypdf import PdfReader

from tests.billing.helpers import finalize, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.support.fake_stripe import FakeStripe

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
def stripe_api():
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
async def settings(database_url, tmp_path, stripe_api):
    return make_settings(database_url, tmp_path, tax_rate="0", **stripe_api.settings())


@pytest.fixture
async def shop(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    rita = await make_customer(app, sessionmaker, first_name="Rita")
    other = await make_customer(app, sessionmaker, first_name="Otto")
    first = await finalize(
        client, agent, (await make_invoice(client, agent, rita.id, line(unit_price="80.00")))["id"]
    )
    second = await finalize(
        client, agent, (await make_invoice(client, agent, rita.id, line(unit_price="304.00")))["id"]
    )
    draft = await make_invoice(client, agent, rita.id)
    others = await finalize(client, agent, (await make_invoice(client, agent, other.id))["id"])
    assert (await pay(client, agent, second["id"], "100.00")).status_code == 201
    return {
        "agent": agent,
        "rita": rita,
        "other": other,
        "invoices": (first, second),
        "draft": draft,
        "others": others,
    }


async def test_a_customer_lists_and_reads_only_their_own_issued_invoices(client, shop):
    rita = shop["rita"]
    first, second = shop["invoices"]
    listed = await client.get("/api/v1/customer/invoices?pageSize=1", headers=rita.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["total"], page["pageSize"], page["totalPages"]) == (2, 1, 2)
    both = (await client.get("/api/v1/customer/invoices", headers=rita.headers)).json()["items"]
    assert {item["id"] for item in both} == {first["id"], second["id"]}

    detail = await client.get(f"/api/v1/customer/invoices/{second['id']}", headers=rita.headers)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert (body["balanceDue"], body["amountPaid"], body["status"]) == (204.0, 100.0, "partially_paid")
    assert body["canPayOnline"] is True
    assert body["checkoutPath"] == f"/api/v1/customer/invoices/{second['id']}/checkout"
    assert body["pdfUrl"] == f"/api/v1/customer/invoices/{second['id']}/pdf"
    assert body["allowedTransitions"] == []
    assert body["payments"][0]["recordedById"] is None

    for hidden in (shop["draft"]["id"], shop["others"]["id"]):
        for path in (f"/api/v1/customer/invoices/{hidden}", f"/api/v1/customer/invoices/{hidden}/pdf"):
            assert (await client.get(path, headers=rita.headers)).status_code == 404, path
    # Staff use the staff endpoints; the customer's are the portal's.
    assert (await client.get("/api/v1/customer/invoices", headers=shop["agent"].headers)).status_code == 403


async def test_the_customer_downloads_the_pdf_with_the_balance(client, shop):
    _, second = shop["invoices"]
    response = await client.get(f"/api/v1/customer/invoices/{second['id']}/pdf", headers=shop["rita"].headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert second["invoiceNumber"] in text
    assert "204.00" in text


async def test_the_portal_pages_show_the_invoices_and_pay_through_stripe(client, shop, stripe_api):
    rita = shop["rita"]
    first, second = shop["invoices"]
    listing = await client.get("/portal/invoices", headers=rita.headers)
    assert listing.status_code == 200, listing.text
    assert first["invoiceNumber"] in listing.text
    assert second["invoiceNumber"] in listing.text
    assert shop["others"]["invoiceNumber"] not in listing.text

    page = await client.get(f"/portal/invoices/{second['id']}", headers=rita.headers)
    assert page.status_code == 200
    assert 'data-testid="pay"' in page.text
    assert "$204.00" in page.text
    assert f"/portal/invoices/{second['id']}/pdf" in page.text
    assert (await client.get(f"/portal/invoices/{second['id']}/pdf", headers=rita.headers)).status_code == 200

    paid = await client.post(f"/portal/invoices/{second['id']}/pay", headers=rita.headers)
    assert paid.status_code == 303
    [opened] = stripe_api.sessions.values()
    assert paid.headers["location"] == opened["url"]
    assert opened["amount_total"] == 20400

    assert (
        await client.get(f"/portal/invoices/{shop['others']['id']}", headers=rita.headers)
    ).status_code == 404
    refused = await client.post(f"/portal/invoices/{shop['others']['id']}/pay", headers=rita.headers)
    assert refused.status_code == 404


async def test_no_pay_button_when_nothing_is_owed(client, shop):
    first, _ = shop["invoices"]
    agent, rita = shop["agent"], shop["rita"]
    assert (await client.post(f"/api/v1/invoices/{first['id']}/mark-paid", headers=agent.headers)).is_success
    page = await client.get(f"/portal/invoices/{first['id']}", headers=rita.headers)
    assert page.status_code == 200
    assert 'data-testid="pay"' not in page.text
    refused = await client.post(f"/portal/invoices/{first['id']}/pay", headers=rita.headers)
    assert refused.status_code == 409
    assert "Nothing is owed" in refused.text


async def test_no_pay_button_without_stripe(database, database_url, tmp_path, sessionmaker):
    app = database.app(make_settings(database_url, tmp_path, tax_rate="0"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        agent = await make_user(app, sessionmaker, "agent")
        rita = await make_customer(app, sessionmaker)
        invoice = await finalize(client, agent, (await make_invoice(client, agent, rita.id))["id"])
        page = await client.get(f"/portal/invoices/{invoice['id']}", headers=rita.headers)
        assert page.status_code == 200
        assert 'data-testid="pay"' not in page.text
        detail = await client.get(f"/api/v1/customer/invoices/{invoice['id']}", headers=rita.headers)
        assert detail.json()["canPayOnline"] is False
