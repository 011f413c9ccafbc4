"""The demo shop's books (fixdesk.demo.billing): a year of invoices, payments and credit notes, loaded once
per backend and checked against the billing services' rules: totals are the sum of their lines by the
shop's rounding rule, balance = total − credited − paid, the status is the one the balance and the due
date give on the demo's today, numbers are gap-free per shop year with the counters left at the last ones,
and every invoice bills a completed repair or work order. The receivables report reads them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fixdesk.billing import lifecycle, reminders, totals
from fixdesk.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, Payment
from fixdesk.demo.loader import load_demo
from fixdesk.fieldservice.models import WorkOrder
from fixdesk.platform.numbering import NumberSequence
from fixdesk.repairs.models import Repair
from tests.conftest import make_settings
from tests.demo.conftest import DEMO_NOW
from tests.factories import make_user

pytestmark = pytest.mark.commits

ZONE = "America/Chicago"
NUMBER = re.compile(r"^(INV|CN)-(\d{4})-(\d{6})$")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, rate_limit_auth="1000/minute", tax_rate=Decimal("8.25"), shop_timezone=ZONE
    )


def grouped(rows, key):
    result = defaultdict(list)
    for row in rows:
        result[row[key]].append(row)
    return result


def aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def assert_gap_free(documents, number_key, moment_key, prefix, sequences):
    by_year = defaultdict(list)
    for document in sorted(documents, key=lambda row: (aware(row[moment_key]), str(row["id"]))):
        kind, year, value = NUMBER.match(document[number_key]).groups()
        assert kind == prefix
        assert int(year) == aware(document[moment_key]).astimezone(ZoneInfo(ZONE)).year
        by_year[int(year)].append(int(value))
    for year, values in by_year.items():
        assert values == list(range(1, len(values) + 1)), f"{prefix} {year} has gaps or is out of order"
    assert sequences == {year: len(values) for year, values in by_year.items()}


async def test_the_demo_books_keep_the_billing_rules(engine, app, client, sessionmaker, settings, demo_clock):
    # The books bill the bench's repairs and the field team's work orders; the shop's sales and marketing
    # have no invoices.
    summary = await load_demo(settings, scale=1, now=DEMO_NOW, sections=("field", "books"))
    today = DEMO_NOW.astimezone(ZoneInfo(ZONE)).date()
    async with engine.connect() as connection:

        async def rows(table):
            return (await connection.execute(select(table))).mappings().all()

        invoices = await rows(Invoice.__table__)
        lines = grouped(await rows(InvoiceLine.__table__), "invoice_id")
        notes = await rows(CreditNote.__table__)
        note_lines = grouped(await rows(CreditNoteLine.__table__), "credit_note_id")
        payments = grouped(await rows(Payment.__table__), "invoice_id")
        repairs = {row.id: row for row in await connection.execute(select(Repair.id, Repair.status))}
        orders = {row.id: row for row in await connection.execute(select(WorkOrder.id, WorkOrder.status))}
        sequences = defaultdict(dict)
        for row in await connection.execute(select(NumberSequence)):
            sequences[row.prefix][row.year] = row.last_value

    assert summary.invoices == len(invoices) > 500
    assert summary.payments == sum(len(rows) for rows in payments.values())
    assert summary.credit_notes == len(notes) > 0
    notes_of = grouped(notes, "invoice_id")
    for invoice in invoices:
        # Totals are the lines' by the invoice's rounding rule; the lines are the repair's or work order's.
        priced = totals.compute(
            [
                totals.LineInput(line["quantity"], line["unit_price"], line["discount"], line["tax_rate"])
                for line in sorted(lines[invoice["id"]], key=lambda line: line["position"])
            ],
            invoice["rounding"],
        )
        assert (invoice["subtotal"], invoice["tax_amount"], invoice["total"]) == (
            priced.subtotal,
            priced.tax_amount,
            priced.total,
        )
        if invoice["repair_id"]:
            assert repairs[invoice["repair_id"]].status in ("completed", "delivered")
        else:
            assert orders[invoice["work_order_id"]].status == "completed"
        # The balance follows payments and credit notes.
        taken = payments[invoice["id"]]
        paid = sum((row["amount"] for row in taken if row["kind"] == "payment"), Decimal("0.00"))
        refunded = sum((row["amount"] for row in taken if row["kind"] == "refund"), Decimal("0.00"))
        credited = sum((row["total"] for row in notes_of[invoice["id"]]), Decimal("0.00"))
        assert invoice["amount_paid"] == paid - refunded
        assert invoice["amount_credited"] == credited
        assert all(aware(row["received_at"]) <= DEMO_NOW for row in taken)
        if invoice["status"] == "void":
            assert invoice["amount_paid"] == 0
            assert invoice["balance_due"] == 0
            assert invoice["void_reason"]
        else:
            assert invoice["balance_due"] == invoice["total"] - credited - invoice["amount_paid"] >= 0
        # The status is the one the facts give on the demo's today.
        expected = lifecycle.status_for(
            draft=invoice["finalized_at"] is None,
            void=invoice["voided_at"] is not None,
            balance_due=invoice["balance_due"],
            amount_paid=invoice["amount_paid"],
            due_date=invoice["due_date"],
            today=today,
        )
        assert invoice["status"] == expected.value
        assert (invoice["paid_at"] is not None) == (expected.value == "paid")
        if invoice["status"] == "draft":
            assert invoice["invoice_number"] is None
            assert invoice["issue_date"] is None
            assert all(row["source"] == "deposit" for row in taken)
        else:
            assert (invoice["due_date"] - invoice["issue_date"]).days == invoice["payment_terms_days"]
    for note in notes:
        [line] = note_lines[note["id"]]
        assert note["total"] == line["net_amount"] + note["tax_amount"]
    issued = [invoice for invoice in invoices if invoice["finalized_at"] is not None]
    assert_gap_free(issued, "invoice_number", "finalized_at", "INV", sequences["INV"])
    assert_gap_free(notes, "credit_note_number", "created_at", "CN", sequences["CN"])
    # The books have every case a shop sees.
    statuses = Counter(invoice["status"] for invoice in invoices)
    assert {"paid", "partially_paid", "overdue", "void"} <= set(statuses)
    assert statuses["paid"] > statuses["overdue"]
    assert {row["method"] for rows in payments.values() for row in rows} >= {
        "card",
        "cash",
        "bank_transfer",
        "check",
    }
    assert {invoice["source"] for invoice in invoices} == {"repair", "work_order"}

    # The receivables report reads them: what is owed is the owing invoices' balances.
    manager = await make_user(app, sessionmaker, "manager")
    response = await client.get("/api/v1/analytics/receivables", headers=manager.headers)
    assert response.status_code == 200, response.text
    owed = sum(
        (row["balance_due"] for row in invoices if row["status"] in ("sent", "partially_paid", "overdue")),
        Decimal("0.00"),
    )
    assert Decimal(str(response.json()["totals"]["total"])) == owed
    assert response.json()["totals"]["over90"] > 0

    # The demo holds the hourly job's history (overdue stamped, the reminders of past days recorded), so
    # the job's first run after loading announces nothing and reminds no one: no flood of emails.
    async with sessionmaker() as session:
        announced, reminded = await reminders.run(session, settings)
        await session.rollback()
    assert (announced, reminded) == (0, 0)
