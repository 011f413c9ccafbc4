"""An order invoiced through billing (issue 13, item 2's last clause): a draft invoice of the order's
lines as charged, named on the order, once."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from fixdesk.billing.models import Invoice
from tests.conftest import make_settings
from tests.factories import event_payloads, make_customer, make_user
from tests.sales.helpers import ORDERS, make_product, place_order

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
def taxed(tmp_path, database_url, database):
    """An app whose shop charges 8.875 % sales tax."""
    return database.app(make_settings(database_url, tmp_path, tax_rate="8.875"))


@pytest.fixture
async def taxed_client(taxed):
    transport = httpx.ASGITransport(app=taxed, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_an_order_becomes_one_draft_invoice_of_its_lines_as_charged(taxed, taxed_client, sessionmaker):
    client = taxed_client
    admin = await make_user(taxed, sessionmaker, "admin")
    customer = await make_customer(taxed, sessionmaker, first_name="Rita", last_name="Nunes")
    screen = await make_product(client, admin, name="iPhone 13 screen", sku="SCR-IP13-OLED", price="89.90")
    case = await make_product(client, admin, name="Clear case", sku="CASE-IP13-CLR", price="12.45")
    order = (await place_order(client, admin, customer.id, (screen["id"], 2), (case["id"], 3))).json()
    assert order["invoiceId"] is None

    response = await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)
    assert response.status_code == 201, response.text
    invoiced = response.json()
    invoice_id = invoiced["invoiceId"]
    assert response.headers["location"] == f"/api/v1/invoices/{invoice_id}"
    invoice = (await client.get(f"/api/v1/invoices/{invoice_id}", headers=admin.headers)).json()
    assert (invoice["status"], invoice["source"], invoice["customerId"]) == (
        "draft",
        "order",
        str(customer.id),
    )
    assert [
        (line["description"], line["quantity"], line["unitPrice"], line["taxRate"])
        for line in invoice["lines"]
    ] == [
        ("iPhone 13 screen (SCR-IP13-OLED)", 2, 89.9, 8.875),
        ("Clear case (CASE-IP13-CLR)", 3, 12.45, 8.875),
    ]
    # The order's 217.15 + 19.27 tax = 236.42, to the cent.
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (217.15, 19.27, 236.42)
    assert order["orderNumber"] in invoice["notes"]

    again = await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)
    assert again.status_code == 200
    assert again.json()["invoiceId"] == invoice_id
    shown = (await client.get(f"{ORDERS}/{order['id']}", headers=admin.headers)).json()
    assert shown["invoiceId"] == invoice_id
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Invoice))).scalar_one() == 1
    updates = await event_payloads(sessionmaker, "order.updated")
    assert [(p["changedFields"], p["invoiceId"]) for p in updates] == [(["invoiceId"], invoice_id)]


async def test_a_voided_or_deleted_invoice_lets_the_order_be_invoiced_again(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    product = await make_product(client, admin)
    order = (await place_order(client, admin, customer.id, (product["id"], 1))).json()
    first = (await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)).json()["invoiceId"]
    deleted = await client.delete(f"/api/v1/invoices/{first}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(f"{ORDERS}/{order['id']}", headers=admin.headers)).json()["invoiceId"] is None
    second = await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)
    assert second.status_code == 201
    second_id = second.json()["invoiceId"]
    assert second_id != first
    sent = await client.post(f"/api/v1/invoices/{second_id}/finalize", headers=admin.headers)
    assert sent.status_code == 200, sent.text
    voided = await client.post(
        f"/api/v1/invoices/{second_id}/void", json={"reason": "Wrong customer"}, headers=admin.headers
    )
    assert voided.status_code == 200, voided.text
    third = await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)
    assert third.status_code == 201
    assert third.json()["invoiceId"] not in (first, second_id)


async def test_a_cancelled_order_is_not_invoiced_and_the_front_desk_needs_both_permissions(
    client, app, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    product = await make_product(client, admin)
    order = (await place_order(client, admin, customer.id, (product["id"], 1))).json()
    forbidden = await client.post(f"{ORDERS}/{order['id']}/invoice", headers=technician.headers)
    assert forbidden.status_code == 403
    await client.patch(f"{ORDERS}/{order['id']}/status", json={"status": "cancelled"}, headers=admin.headers)
    refused = await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["status"] == "cancelled"
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Invoice))).scalar_one() == 0


async def test_a_paid_orders_invoice_carries_its_payment_and_owes_nothing_once_issued(
    client, app, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    product = await make_product(client, admin, price="24.00")
    order = (await place_order(client, admin, customer.id, (product["id"], 2), paymentStatus="paid")).json()
    invoice_id = (await client.post(f"{ORDERS}/{order['id']}/invoice", headers=admin.headers)).json()[
        "invoiceId"
    ]

    issued = await client.post(f"/api/v1/invoices/{invoice_id}/finalize", headers=admin.headers)

    assert issued.status_code == 200, issued.text
    invoice = issued.json()
    assert (invoice["status"], invoice["total"], invoice["balanceDue"]) == ("paid", 48.0, 0.0)
    assert [(p["amount"], p["reference"]) for p in invoice["payments"]] == [
        (48.0, f"Paid with {order['orderNumber']}")
    ]
