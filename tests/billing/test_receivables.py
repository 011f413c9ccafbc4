"""``GET /api/v1/analytics/receivables`` (issue 12, item 8): aging buckets on the shop's calendar (their
edges included), revenue invoiced versus collected per shop month, payments by method; the same rows give
the same report, literally, on SQLite and on PostgreSQL (both halves assert one expected answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.billing.helpers import finalize, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import Actor, bearer, make_customer, make_user
from tests.support.clock import FIXED_NOW, clock_at

# FIXED_NOW is 2026-06-17 09:30 in Chicago; 2026-06-01 03:00 UTC is still May 31 there.
LATE_MAY_EVENING = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, tax_rate="0", payment_terms_days=0, shop_timezone="America/Chicago"
    )


@dataclass
class Clerk:
    """A manager whose access token is issued at the (moved) clock's now: a token is checked against it."""

    app: Any
    actor: Actor

    def now(self) -> Actor:
        return Actor(self.actor.id, self.actor.email, bearer(self.app, self.actor.id, "manager", "user"))


async def _issued(client, staff, customer_id, amount, days_ago, *, at=None, terms=0):
    """An invoice of one line of ``amount`` finalised ``days_ago`` days before FIXED_NOW (or ``at``)."""
    with clock_at(at or FIXED_NOW - timedelta(days=days_ago)):
        staff = staff.now()
        invoice = await make_invoice(
            client, staff, customer_id, line("Work", unit_price=amount), paymentTermsDays=terms
        )
        return await finalize(client, staff, invoice["id"])


async def _paid(client, staff, invoice_id, amount, method, *, days_ago=0, at=None):
    with clock_at(at or FIXED_NOW - timedelta(days=days_ago)):
        staff = staff.now()
        response = await pay(client, staff, invoice_id, amount, method)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def books(app, client, sessionmaker):
    manager = Clerk(app, await make_user(app, sessionmaker, "manager"))
    ana = await make_customer(app, sessionmaker, first_name="Ana", last_name="Alves")
    bo = await make_customer(app, sessionmaker, first_name="Bo", last_name="Berg")
    # Ana: 70 over 90 days, 50 and 25 at 31–60 (40 and 31 days), 15 at exactly 30 days (1–30).
    oldest = await _issued(client, manager, ana.id, "100.00", 120)
    await _paid(client, manager, oldest["id"], "30.00", "cash", days_ago=100)
    await _issued(client, manager, ana.id, "50.00", 40)
    await _issued(client, manager, ana.id, "25.00", 31)
    await _issued(client, manager, ana.id, "15.00", 30)
    settled = await _issued(client, manager, ana.id, "40.00", 40)
    await _paid(client, manager, settled["id"], "40.00", "bank_transfer", days_ago=40)
    voided = await _issued(client, manager, ana.id, "5.00", 40)
    with clock_at(FIXED_NOW - timedelta(days=40)):
        response = await client.post(
            f"/api/v1/invoices/{voided['id']}/void",
            json={"reason": "Duplicate"},
            headers=manager.now().headers,
        )
        assert response.status_code == 200, response.text
    with clock_at(FIXED_NOW):  # a draft owes nothing
        await make_invoice(client, manager.now(), ana.id, line("Draft", unit_price="999.00"))
    # Bo: 170 not yet due (200, paid 50, 20 of it refunded), 80 at 61–90, 6 at 1–30 (10 less a 4 credit).
    current = await _issued(client, manager, bo.id, "200.00", 10, terms=30)
    card = await _paid(client, manager, current["id"], "50.00", "card")
    with clock_at(FIXED_NOW):
        response = await client.post(
            f"/api/v1/payments/{card['id']}/refund", json={"amount": "20.00"}, headers=manager.now().headers
        )
        assert response.status_code == 201, response.text
    await _issued(client, manager, bo.id, "80.00", 65)
    credited = await _issued(client, manager, bo.id, "10.00", 5)
    with clock_at(FIXED_NOW):
        response = await client.post(
            f"/api/v1/invoices/{credited['id']}/credit-notes",
            json={"reason": "Goodwill", "lines": [line("Goodwill", unit_price="4.00")]},
            headers=manager.now().headers,
        )
        assert response.status_code == 201, response.text
    # Issued and paid on the evening of May 31 in Chicago (June 1 in UTC): May's, in both columns.
    evening = await _issued(client, manager, bo.id, "12.00", 0, at=LATE_MAY_EVENING)
    await _paid(client, manager, evening["id"], "12.00", "check", at=LATE_MAY_EVENING)
    return {"manager": manager, "ana": ana, "bo": bo}


def _aging(current, one, thirty_one, sixty_one, ninety, total, invoices):
    return {
        "current": current,
        "days1To30": one,
        "days31To60": thirty_one,
        "days61To90": sixty_one,
        "over90": ninety,
        "total": total,
        "invoices": invoices,
    }


async def test_the_report_ages_balances_and_sums_months_and_methods_in_the_shop_calendar(client, books):
    with clock_at(FIXED_NOW):
        response = await client.get(
            "/api/v1/analytics/receivables?months=6", headers=books["manager"].now().headers
        )

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["asOf"] == "2026-06-17"
    assert report["currency"] == "USD"
    assert (report["periodStart"], report["periodEnd"]) == ("2026-01-01", "2026-06-30")
    assert report["totals"] == _aging(170.0, 21.0, 75.0, 80.0, 70.0, 416.0, 7)
    assert report["customers"] == [
        {
            "customerId": str(books["bo"].id),
            "customerName": "Bo Berg",
            **_aging(170.0, 6.0, 0, 80.0, 0, 256.0, 3),
        },
        {
            "customerId": str(books["ana"].id),
            "customerName": "Ana Alves",
            **_aging(0, 15.0, 75.0, 0, 70.0, 160.0, 4),
        },
    ]
    assert report["months"] == [
        {"month": "2026-01", "invoiced": 0, "credited": 0, "collected": 0},
        {"month": "2026-02", "invoiced": 100.0, "credited": 0, "collected": 0},
        {"month": "2026-03", "invoiced": 0, "credited": 0, "collected": 30.0},
        {"month": "2026-04", "invoiced": 80.0, "credited": 0, "collected": 0},
        {"month": "2026-05", "invoiced": 142.0, "credited": 0, "collected": 52.0},
        {"month": "2026-06", "invoiced": 210.0, "credited": 4.0, "collected": 30.0},
    ]
    assert report["paymentMethods"] == [
        {
            "method": "bank_transfer",
            "payments": 1,
            "received": 40.0,
            "refunds": 0,
            "refunded": 0,
            "net": 40.0,
        },
        {"method": "card", "payments": 1, "received": 50.0, "refunds": 1, "refunded": 20.0, "net": 30.0},
        {"method": "cash", "payments": 1, "received": 30.0, "refunds": 0, "refunded": 0, "net": 30.0},
        {"method": "check", "payments": 1, "received": 12.0, "refunds": 0, "refunded": 0, "net": 12.0},
    ]


async def test_the_default_period_is_twelve_months_and_bad_input_is_refused(client, books):
    with clock_at(FIXED_NOW):
        manager = books["manager"].now()
        default = await client.get("/api/v1/analytics/receivables", headers=manager.headers)
        too_long = await client.get("/api/v1/analytics/receivables?months=25", headers=manager.headers)

    assert [row["month"] for row in default.json()["months"]][:2] == ["2025-07", "2025-08"]
    assert len(default.json()["months"]) == 12
    assert too_long.status_code == 400
    assert too_long.json()["code"] == "VALIDATION_ERROR"


async def test_the_report_needs_analytics_read(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")  # takes payments, reads no analytics

    response = await client.get("/api/v1/analytics/receivables", headers=agent.headers)

    assert response.status_code == 403
