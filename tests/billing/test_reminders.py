"""Overdue invoices and payment reminders (issue 12, item 6), with the clock moved rather than waited for:
the periodic job stores ``overdue`` with one ``invoice.overdue`` event the day after the due date, and sends
``payment_reminder`` on the days of ``FIXDESK_PAYMENT_REMINDER_DAYS``, each once, until paid or void."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from fixdesk.billing.jobs import OVERDUE_AND_REMINDERS_JOB
from fixdesk.billing.models import InvoiceReminder
from fixdesk.db import transaction
from fixdesk.messaging.models import Notification
from fixdesk.platform.jobs import enqueue
from tests.billing.helpers import finalize, get, line, make_invoice, pay
from tests.conftest import make_settings
from tests.factories import Actor, bearer, count_rows, event_payloads, make_customer, make_user, settle
from tests.support.clock import clock_at

pytestmark = pytest.mark.usefixtures("fixed_clock")  # invoices issued on 2026-06-17, due 2026-07-01


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, tax_rate="0", payment_terms_days=14, shop_timezone="America/Chicago"
    )


def shop_day(day: str, hour: int = 9) -> datetime:
    """``hour`` o'clock on ``day`` in the shop's zone (Chicago), as a UTC moment."""
    year, month, date_ = (int(part) for part in day.split("-"))
    return datetime(year, month, date_, hour, 30, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)


def now_as(app, staff: Actor, role: str) -> Actor:
    """``staff`` with an access token issued on the moved clock (the first one has expired by then)."""
    return Actor(staff.id, staff.email, bearer(app, staff.id, role, "user"))


async def run_job(app, sessionmaker):
    """The periodic job now, as the scheduler would enqueue it, through a worker."""
    async with transaction(sessionmaker) as session:
        await enqueue(session, OVERDUE_AND_REMINDERS_JOB, {})
    await settle(app)


async def issued(client, app, sessionmaker, staff, amount="120.00"):
    customer = await make_customer(app, sessionmaker, phone=None)
    invoice = await finalize(
        client, staff, (await make_invoice(client, staff, customer.id, line(unit_price=amount)))["id"]
    )
    assert invoice["dueDate"] == "2026-07-01"
    return customer, invoice


async def reminders_of(sessionmaker, customer_id) -> list[Notification]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Notification)
            .where(Notification.customer_id == customer_id, Notification.event == "payment_reminder")
            .order_by(Notification.created_at)
        )
        return list(rows.scalars())


async def test_an_unpaid_invoice_turns_overdue_once_the_day_after_its_due_date(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, owing = await issued(client, app, sessionmaker, agent)
    _, settled = await issued(client, app, sessionmaker, agent)
    assert (
        await client.post(f"/api/v1/invoices/{settled['id']}/mark-paid", headers=agent.headers)
    ).is_success

    with clock_at(shop_day("2026-07-01", hour=23)):  # the due date, late in the shop's evening
        await run_job(app, sessionmaker)
        assert (await get(client, now_as(app, agent, "agent"), owing["id"]))["status"] == "sent"
    assert await event_payloads(sessionmaker, "invoice.overdue") == []

    with clock_at(shop_day("2026-07-02", hour=0)):  # just after the shop's midnight (05:30 UTC)
        agent = now_as(app, agent, "agent")
        await run_job(app, sessionmaker)
        await run_job(app, sessionmaker)
        body = await get(client, agent, owing["id"])
        assert body["status"] == "overdue"
        listed = await client.get("/api/v1/invoices?status=overdue", headers=agent.headers)
        assert [item["id"] for item in listed.json()["items"]] == [owing["id"]]
        # A partial payment keeps it overdue and announces nothing again.
        assert (await pay(client, agent, owing["id"], "20.00")).status_code == 201
        await run_job(app, sessionmaker)
        assert (await get(client, agent, owing["id"]))["status"] == "overdue"

    overdue = await event_payloads(sessionmaker, "invoice.overdue")
    assert [(e["invoiceId"], e["status"], e["balanceDue"]) for e in overdue] == [
        (owing["id"], "overdue", 120.0)
    ]


async def test_reminders_follow_the_schedule_once_each_and_stop_when_paid(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer, invoice = await issued(client, app, sessionmaker, agent)

    days_sent = []
    for day in ("2026-06-27", "2026-06-28", "2026-06-28", "2026-06-30", "2026-07-01", "2026-07-08"):
        with clock_at(shop_day(day)):
            await run_job(app, sessionmaker)
        days_sent.append(len(await reminders_of(sessionmaker, customer.id)))
    # Three days before, on the day, a week after: each once (the second run of June 28 sends nothing).
    assert days_sent == [0, 1, 1, 1, 2, 3]

    sent = await reminders_of(sessionmaker, customer.id)
    assert {n.channel for n in sent} == {"email"}
    assert [n.variables["balance"] for n in sent] == ["$120.00"] * 3
    assert "invoice " + invoice["invoiceNumber"] in sent[0].subject
    assert sent[0].variables["pay_url"].endswith(f"/portal/invoices/{invoice['id']}")
    assert [n.variables["overdue"] for n in sent] == [False, False, True]

    with clock_at(shop_day("2026-07-09")):
        agent = now_as(app, agent, "agent")
        assert (await pay(client, agent, invoice["id"], "120.00")).status_code == 201
    with clock_at(shop_day("2026-07-15")):
        await run_job(app, sessionmaker)
    assert len(await reminders_of(sessionmaker, customer.id)) == 3
    async with sessionmaker() as session:
        offsets = (await session.execute(select(InvoiceReminder.days_offset))).scalars().all()
    assert sorted(offsets) == [-3, 0, 7]


async def test_missed_days_send_only_the_latest_reminder_and_void_invoices_none(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    customer, invoice = await issued(client, app, sessionmaker, manager)
    voided_customer, voided = await issued(client, app, sessionmaker, manager)
    void = await client.post(
        f"/api/v1/invoices/{voided['id']}/void", json={"reason": "Issued twice"}, headers=manager.headers
    )
    assert void.status_code == 200, void.text

    with clock_at(shop_day("2026-07-20")):  # the job did not run for weeks
        await run_job(app, sessionmaker)

    [reminder] = await reminders_of(sessionmaker, customer.id)
    assert reminder.variables["overdue"] is True
    assert await reminders_of(sessionmaker, voided_customer.id) == []
    assert await count_rows(sessionmaker, InvoiceReminder) == 1
    assert [e["invoiceId"] for e in await event_payloads(sessionmaker, "invoice.overdue")] == [invoice["id"]]


async def test_the_schedule_is_a_setting(database_url, tmp_path, database, sessionmaker):
    settings = make_settings(database_url, tmp_path, payment_reminder_days=" 7, -1,0 ")
    assert settings.payment_reminder_offsets == (-1, 0, 7)
    assert make_settings(database_url, tmp_path, payment_reminder_days="").payment_reminder_offsets == ()
    with pytest.raises(ValidationError):
        make_settings(database_url, tmp_path, payment_reminder_days="soon")
    with pytest.raises(ValidationError):
        make_settings(database_url, tmp_path, payment_reminder_days="400")
