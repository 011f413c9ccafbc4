"""The customer hears about a sent quote (issue 5, item 5): quote.sent queues the quote_ready message on
each channel the customer allows, in their language, with the total, the last valid day and the tracking
link; a re-dispatched event notifies once."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.messaging.models import Notification
from fixdesk.messaging.service import format_date, format_money
from fixdesk.platform.events import DomainEvent, PublishedEvent
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs.models import Repair
from fixdesk.repairs.quotes.jobs import notify_quote_sent
from tests.factories import make_customer, make_user
from tests.repairs.items.bench import make_bench
from tests.repairs.quotes.conftest import PUBLIC_BASE_URL
from tests.repairs.quotes.desk import TOTAL, create_quote, diagnosing_repair, quote_body, send_quote

PHONE = "+1 415 555 0100"


async def notifications(sessionmaker, template: str) -> list[Notification]:
    async with sessionmaker() as session:
        statement = (
            select(Notification)
            .where(Notification.event == template)
            .order_by(Notification.channel, Notification.created_at)
        )
        return list((await session.execute(statement)).scalars())


async def tracking_token(sessionmaker, repair_id: str) -> str:
    async with sessionmaker() as session:
        repair = await session.get(Repair, uuid.UUID(repair_id))
        assert repair is not None
        return repair.tracking_token


NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "language", "expected"),
    [
        ("352.76", "USD", None, "en", "$352.76"),
        ("1234.5", "USD", None, "en", "$1,234.50"),
        ("12", "GBP", "en-GB", "en", "£12.00"),
        # Portuguese without a region reads as CLDR's "pt" (Brazilian conventions); Portugal groups with
        # a space and puts the symbol after the amount.
        ("352.76", "USD", None, "pt", f"US${NBSP}352,76"),
        ("1234.5", "USD", "pt-PT", "pt", f"1{NBSP}234,50{NBSP}US$"),
        ("0", "EUR", "pt-PT", "pt", f"0,00{NBSP}€"),
        # An unknown locale falls back to the customer's language.
        ("1234567.89", "USD", "xx-YY", "en", "$1,234,567.89"),
    ],
)
def test_amounts_are_written_by_the_customers_locale(amount, currency, locale, language, expected):
    assert format_money(Decimal(amount), currency, locale, language) == expected


async def test_a_sent_quote_notifies_the_customer_on_each_channel(
    client, app, sessionmaker, settings, worker
):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, first_name="Ana", phone=PHONE)
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    draft = await create_quote(client, admin, repair["id"], quote_body(bench))
    await worker.drain()
    assert await notifications(sessionmaker, "quote_ready") == []  # a draft tells nobody

    await send_quote(client, admin, repair["id"], draft["id"])
    await worker.drain()

    rows = await notifications(sessionmaker, "quote_ready")
    assert [(row.channel, row.recipient, row.status) for row in rows] == [
        ("email", customer.email, "sent"),
        ("sms", "+14155550100", "sent"),
    ]
    link = f"{PUBLIC_BASE_URL}/track/{await tracking_token(sessionmaker, repair['id'])}"
    portal_link = f"{PUBLIC_BASE_URL}/portal/repairs/{repair['id']}"
    valid_until = format_date(draft["validUntil"], "en")
    assert rows[0].variables == {
        "customer_first_name": "Ana",
        "repair_number": repair["repairNumber"],
        "quote_number": "Q1",
        "device": "Apple iPhone 13",
        "amount": f"${TOTAL}",
        "valid_until": valid_until,
        "tracking_url": link,
        "portal_url": portal_link,
    }
    assert {row.repair_id for row in rows} == {uuid.UUID(repair["id"])}
    assert rows[0].subject == f"Your quote for repair {repair['repairNumber']} is ready: ${TOTAL}"
    assert f"${TOTAL}" in rows[1].body_preview
    # The text leads to the portal, where the quote is approved (after signing in).
    assert f"Approve it in your customer portal: {portal_link}" in rows[1].body_preview
    # The move to quoted sends no generic status message on top.
    async with sessionmaker() as session:
        templates = (await session.execute(select(Notification.event))).scalars().all()
    assert sorted(set(templates)) == ["quote_ready", "repair_created"]

    messages = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(settings.outbox_dir.glob("*.eml"))
    ]
    [message] = [m for m in messages if m["Message-ID"] == f"<notification-{rows[0].id}@fixdesk>"]
    text = message.get_body(("plain",)).get_content()
    assert "Total: $352.76" in text
    assert f"Valid until: {valid_until}" in text
    assert f"Approve or decline it in your customer portal: {portal_link}" in text
    assert link in text


async def test_a_portuguese_customer_gets_the_quote_in_portuguese(client, app, sessionmaker, worker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, first_name="João", language="pt")
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    await create_quote(client, admin, repair["id"], quote_body(bench, send=True, validUntil="2099-03-01"))

    await worker.drain()

    [row] = await notifications(sessionmaker, "quote_ready")
    assert row.language == "pt"
    assert row.subject == f"O orçamento da reparação {repair['repairNumber']} está pronto: US$ 352,76"
    assert row.variables["valid_until"] == "1 de março de 2099"


async def test_dispatching_quote_sent_twice_notifies_once(client, app, sessionmaker, settings, worker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, phone=PHONE)
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    await create_quote(client, admin, repair["id"], quote_body(bench, send=True))
    async with sessionmaker() as session:
        row = (
            await session.execute(select(DomainEvent).where(DomainEvent.name == "quote.sent"))
        ).scalar_one()
        event = PublishedEvent(row.id, row.name, row.payload, row.occurred_at, row.customer_id, row.actor_id)

    for _ in range(2):
        async with transaction(sessionmaker) as session:
            context = JobContext(
                job_id=uuid.uuid4(),
                kind="events.dispatch",
                payload={"eventId": str(event.id)},
                attempt=1,
                max_attempts=1,
                session=session,
                settings=settings,
                services=None,
            )
            await notify_quote_sent(context, event)
    await worker.drain()  # the outbox's own dispatch runs the subscriber a third time

    rows = await notifications(sessionmaker, "quote_ready")
    assert sorted(row.channel for row in rows) == ["email", "sms"]
    assert {row.event_id for row in rows} == {event.id}


def test_dates_in_the_message_are_the_shops_dates():
    # validUntil is a calendar date: it is written as that day, whatever the customer's zone.
    assert format_date(date(2026, 12, 14).isoformat(), "en") == "December 14, 2026"
