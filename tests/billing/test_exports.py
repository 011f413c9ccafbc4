"""CSV exports for the accountant (issue 12, item 8): ``GET /invoices/export.csv`` and
``/payments/export.csv`` with the lists' filters, every text cell that a spreadsheet would run as a formula
written with a leading apostrophe."""

from __future__ import annotations

import csv
import io

import pytest

from tests.billing.helpers import finalize, line, make_invoice
from tests.conftest import make_settings
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="10", payment_terms_days=14)


def _rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
async def books(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    paid = await finalize(client, manager, (await make_invoice(client, manager, customer.id))["id"])
    payment = await client.post(
        "/api/v1/payments",
        json={
            "invoiceId": paid["id"],
            "amount": "60.00",
            "method": "check",
            "reference": '=HYPERLINK("http://example.com")',
            "notes": "@SUM(A1:A9)",
        },
        headers=manager.headers,
    )
    assert payment.status_code == 201, payment.text
    refund = await client.post(
        f"/api/v1/payments/{payment.json()['id']}/refund",
        json={"amount": "10.00", "reference": "-2+3", "notes": "+SUM(1)"},
        headers=manager.headers,
    )
    assert refund.status_code == 201, refund.text
    voided = await finalize(
        client, manager, (await make_invoice(client, manager, customer.id, line(unit_price="5.00")))["id"]
    )
    response = await client.post(
        f"/api/v1/invoices/{voided['id']}/void", json={"reason": "+Wrong customer"}, headers=manager.headers
    )
    assert response.status_code == 200, response.text
    draft = await make_invoice(client, manager, customer.id, line(unit_price="7.00"))
    return {"manager": manager, "paid": paid, "voided": voided, "draft": draft}


async def test_the_invoices_export_has_every_invoice_with_amounts_and_escaped_cells(client, books):
    response = await client.get("/api/v1/invoices/export.csv", headers=books["manager"].headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="fixdesk-invoices-')
    rows = {row["id"]: row for row in _rows(response)}
    assert set(rows) == {books["paid"]["id"], books["voided"]["id"], books["draft"]["id"]}
    paid = rows[books["paid"]["id"]]
    assert paid["invoiceNumber"] == books["paid"]["invoiceNumber"]
    assert paid["status"] == "partially_paid"
    assert paid["customerName"] == "Rita Nunes"
    assert (paid["subtotal"], paid["tax"], paid["total"]) == ("100.00", "10.00", "110.00")
    assert (paid["amountPaid"], paid["balanceDue"]) == ("50.00", "60.00")
    assert paid["issueDate"] == "2026-06-17"
    assert paid["dueDate"] == "2026-07-01"
    assert rows[books["voided"]["id"]]["voidReason"] == "'+Wrong customer"
    assert rows[books["draft"]["id"]]["invoiceNumber"] == ""


async def test_the_invoices_export_takes_the_list_filters(client, books):
    headers = books["manager"].headers

    voided = await client.get("/api/v1/invoices/export.csv?status=void", headers=headers)
    issued_today = await client.get(
        "/api/v1/invoices/export.csv?dateFrom=2026-06-17&dateTo=2026-06-17", headers=headers
    )
    bad = await client.get("/api/v1/invoices/export.csv?status=lost", headers=headers)

    assert [row["id"] for row in _rows(voided)] == [books["voided"]["id"]]
    assert {row["id"] for row in _rows(issued_today)} == {books["paid"]["id"], books["voided"]["id"]}
    assert bad.status_code == 400


async def test_the_payments_export_escapes_formulas_and_takes_the_filters(client, books):
    headers = books["manager"].headers

    everything = await client.get("/api/v1/payments/export.csv", headers=headers)
    refunds = await client.get("/api/v1/payments/export.csv?kind=refund", headers=headers)
    of_the_void = await client.get(
        f"/api/v1/payments/export.csv?invoice_id={books['voided']['id']}", headers=headers
    )  # seed 001's snake_case

    assert everything.status_code == 200
    rows = _rows(everything)
    assert [row["kind"] for row in rows] == ["refund", "payment"]
    refund, payment = rows
    assert payment["reference"] == '\'=HYPERLINK("http://example.com")'
    assert payment["notes"] == "'@SUM(A1:A9)"
    assert (payment["amount"], payment["refundedAmount"], payment["method"]) == ("60.00", "10.00", "check")
    assert payment["invoiceNumber"] == books["paid"]["invoiceNumber"]
    assert payment["customerName"] == "Rita Nunes"
    assert payment["receivedAt"].startswith("2026-06-17T")
    assert (refund["reference"], refund["notes"], refund["amount"]) == ("'-2+3", "'+SUM(1)", "10.00")
    assert refund["refundOfId"] == payment["id"]
    assert [row["kind"] for row in _rows(refunds)] == ["refund"]
    assert _rows(of_the_void) == []
    assert of_the_void.text.startswith("receivedAt,kind,method,")


async def test_the_exports_need_invoices_read(app, client, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")

    invoices = await client.get("/api/v1/invoices/export.csv", headers=technician.headers)
    payments = await client.get("/api/v1/payments/export.csv", headers=technician.headers)

    assert (invoices.status_code, payments.status_code) == (403, 403)
