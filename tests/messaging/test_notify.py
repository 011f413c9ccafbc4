"""Repair events become customer notifications: the worker renders the right template in the customer's
language, sends it through the providers and records each attempt; limits, failures, retries and
re-dispatched events are handled without losing or doubling messages."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.integrations.errors import ProviderError
from fixdesk.messaging.jobs import SEND_MAX_ATTEMPTS
from fixdesk.messaging.models import Notification
from fixdesk.platform.events import DomainEvent, PublishedEvent
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs.jobs import notify_on_repair_event
from tests.factories import make_customer, make_repair, make_user, walk
from tests.messaging.conftest import (
    PUBLIC_BASE_URL,
    make_failed_jobs_due,
    notification_id_of,
    send_jobs,
    stored_notifications,
)

PHONE = "+15125550147"


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_text(message) -> str:
    return message.get_body(("html",)).get_content()


async def change_status(
    client, staff, repair_id: str, status: str, *, notify: bool, customer_note: str | None = None
):
    response = await client.put(
        f"/api/v1/repairs/{repair_id}/status",
        json={"status": status, "notifyCustomer": notify, "customerNote": customer_note},
        headers=staff.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_repair_emails_and_texts_the_customer(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Ana", phone=PHONE)
    repair = await make_repair(client, staff, customer.id, estimatedCompletion="2026-11-30")

    await courier.drain()

    [message] = courier.emails()
    number = repair["repairNumber"]
    assert message["To"] == customer.email
    assert message["Subject"] == f"We received your Apple iPhone 13 (repair {number})"
    assert "Hi Ana," in plain_text(message)
    assert "We expect it to be ready by November 30, 2026." in plain_text(message)
    assert f"<strong>{number}</strong>" in html_text(message)
    [text] = courier.texts()
    assert text["to"] == PHONE
    assert text["body"] == (
        f"Fixdesk Demo Repair: we received your Apple iPhone 13, repair {number}. "
        f"Track it: {repair['trackingUrl']}"
    )
    assert text["status_callback"] is None  # only Twilio calls back

    email_row, sms_row = sorted(await stored_notifications(sessionmaker), key=lambda n: n.channel)
    assert message["Message-ID"] == f"<notification-{email_row.id}@fixdesk>"
    assert text["reference"] == str(sms_row.id)
    for row, channel, recipient in ((email_row, "email", customer.email), (sms_row, "sms", PHONE)):
        assert (row.channel, row.recipient, row.event, row.status) == (
            channel,
            recipient,
            "repair_created",
            "sent",
        )
        assert row.customer_id == customer.id
        assert str(row.repair_id) == repair["id"]
        assert row.provider == "file"
        assert row.provider_message_id
        assert row.attempts == 1
        assert row.error is None
        assert row.sent_at is not None
        assert row.event_id is not None
    assert email_row.subject == message["Subject"]
    assert email_row.body_preview.startswith("Hi Ana, Thank you for choosing Fixdesk Demo Repair.")
    assert sms_row.body_preview == text["body"]

    async with sessionmaker() as session:
        published = (
            await session.execute(
                select(DomainEvent).where(DomainEvent.name.in_(["email.sent", "message.sent"]))
            )
        ).scalars()
        by_name = {event.name: event.payload for event in published}
    assert by_name["email.sent"]["id"] == str(email_row.id)
    assert by_name["email.sent"]["template"] == "repair_created"
    assert by_name["email.sent"]["providerMessageId"] == email_row.provider_message_id
    assert by_name["message.sent"]["id"] == str(sms_row.id)
    assert by_name["message.sent"]["channel"] == "sms"


async def test_a_portuguese_customer_is_written_to_in_portuguese(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="João", language="pt")
    repair = await make_repair(client, staff, customer.id, deviceBrand="Samsung", deviceModel="Galaxy S22")

    await courier.drain()

    [message] = courier.emails()
    number = repair["repairNumber"]
    assert message["Subject"] == f"Recebemos o seu equipamento Samsung Galaxy S22 (reparação {number})"
    assert "Olá João," in plain_text(message)
    assert "Olá João," in html_text(message)
    assert '<html lang="pt">' in html_text(message)
    assert courier.texts() == []  # no phone number, no SMS
    [row] = await stored_notifications(sessionmaker)
    assert (row.channel, row.language) == ("email", "pt")


async def test_a_status_change_without_notify_customer_sends_nothing(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, phone=PHONE)
    repair = await make_repair(client, staff, customer.id)
    await courier.drain()
    assert len(await stored_notifications(sessionmaker)) == 2

    await walk(client, staff, repair["id"], "diagnosing", "quoted", "approved", "repairing")
    await courier.drain()

    assert len(await stored_notifications(sessionmaker)) == 2
    assert len(courier.emails()) == 1
    assert len(courier.texts()) == 1


@pytest.mark.parametrize(
    ("path", "template", "subject", "body"),
    [
        (
            ["diagnosing"],
            "repair_status_update",
            "Repair {number}: Diagnosing",
            "Its status is now: Diagnosing.",
        ),
        (
            ["diagnosing", "quoted", "approved", "repairing"],
            "repair_in_progress",
            "Work has started on your Apple iPhone 13 (repair {number})",
            "our technicians have started working on your Apple iPhone 13",
        ),
        (
            ["diagnosing", "quoted", "approved", "waiting_parts"],
            "repair_delayed",
            "Your repair {number} is delayed",
            "while we wait for parts",
        ),
        (
            ["diagnosing", "quoted", "approved", "repairing", "testing", "completed"],
            "repair_ready_pickup",
            "Your Apple iPhone 13 is ready for pickup (repair {number})",
            "is repaired and ready for pickup",
        ),
    ],
)
async def test_a_status_change_with_notify_customer_sends_the_statuss_template(
    app, client, sessionmaker, courier, path, template, subject, body
):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], *path[:-1])
    await change_status(
        client, staff, repair["id"], path[-1], notify=True, customer_note="Thanks for waiting"
    )

    await courier.drain()

    created, update = courier.emails()
    assert created["Subject"].startswith("We received your")
    assert update["Subject"] == subject.format(number=repair["repairNumber"])
    assert body in plain_text(update)
    assert "Note from the shop: Thanks for waiting" in plain_text(update)
    rows = await stored_notifications(sessionmaker)
    # Entering "completed" also publishes repair.completed; it must not notify a second time.
    assert [row.event for row in rows] == ["repair_created", template]
    assert all(row.status == "sent" for row in rows)


@pytest.mark.parametrize(
    ("preferences", "channels"),
    [
        ({"notify_email": False}, ["sms"]),
        ({"notify_sms": False}, ["email"]),
        ({"notify_email": False, "notify_sms": False}, []),
    ],
)
async def test_a_channel_the_customer_turned_off_is_not_used(
    app, client, sessionmaker, courier, preferences, channels
):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, **preferences)
    await make_repair(client, staff, customer.id)

    await courier.drain()

    assert sorted(row.channel for row in await stored_notifications(sessionmaker)) == channels
    assert len(courier.emails()) == channels.count("email")
    assert len(courier.texts()) == channels.count("sms")


async def test_sms_over_the_hourly_limit_fail_as_rate_limited_without_a_provider_call(
    app, client, sessionmaker, courier_factory
):
    courier = await courier_factory(sms_per_hour=2)
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    for _ in range(3):
        await make_repair(client, staff, customer.id)

    await courier.drain()

    rows = await stored_notifications(sessionmaker, channel="sms")
    assert [row.status for row in rows] == ["sent", "sent", "failed"]
    limited = rows[2]
    assert limited.error == "rate_limited"
    assert (limited.attempts, limited.provider, limited.provider_message_id) == (0, None, None)
    assert sorted(text["reference"] for text in courier.texts()) == sorted(str(row.id) for row in rows[:2])
    # Not retried: the job is done, the notification stays failed.
    assert [job.state for job in await send_jobs(sessionmaker)] == ["done", "done", "done"]


async def test_another_customers_messages_do_not_count_against_the_limit(
    app, client, sessionmaker, courier_factory
):
    courier = await courier_factory(sms_per_hour=1)
    staff = await make_user(app, sessionmaker, "agent")
    first = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    second = await make_customer(app, sessionmaker, phone="+15125550148", email=None)
    await make_repair(client, staff, first.id)
    await make_repair(client, staff, second.id)

    await courier.drain()

    assert [row.status for row in await stored_notifications(sessionmaker)] == ["sent", "sent"]


class BrokenEmailProvider:
    """An email provider that refuses every message with ``error``, remembering what it was given."""

    def __init__(self, error: Exception) -> None:
        self.name = "smtp"
        self.error = error
        self.calls: list = []

    async def send(self, message) -> str:
        self.calls.append(message)
        raise self.error


async def test_a_failing_provider_is_retried_then_the_notification_fails_and_can_be_retried(
    app, client, sessionmaker, courier_factory
):
    broken = BrokenEmailProvider(ProviderError("smtp", "connection refused", retryable=True))
    courier = await courier_factory(email=broken)
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    await make_repair(client, staff, customer.id)

    await courier.drain()

    [row] = await stored_notifications(sessionmaker)
    [job] = await send_jobs(sessionmaker)
    assert (row.status, row.attempts, row.provider) == ("queued", 1, "smtp")
    assert row.error == "ProviderError: smtp: connection refused"
    assert job.state == "failed"

    for _ in range(SEND_MAX_ATTEMPTS - 1):
        await make_failed_jobs_due(sessionmaker)
        await courier.drain()

    [row] = await stored_notifications(sessionmaker)
    [job] = await send_jobs(sessionmaker)
    assert (row.status, row.attempts, row.sent_at) == ("failed", SEND_MAX_ATTEMPTS, None)
    assert job.state == "dead"
    assert job.attempts == SEND_MAX_ATTEMPTS
    assert len(broken.calls) == SEND_MAX_ATTEMPTS
    # Every attempt carried the same Message-ID, so a receiver could drop duplicates.
    assert {call.message_id for call in broken.calls} == {f"<notification-{row.id}@fixdesk>"}

    # The provider is back: staff retry the notification and it goes out.
    working = await courier_factory()
    response = await client.post(f"/api/v1/notifications/{row.id}/retry", headers=staff.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    await working.drain()

    [row] = await stored_notifications(sessionmaker)
    assert (row.status, row.attempts, row.error) == ("sent", SEND_MAX_ATTEMPTS + 1, None)
    [message] = working.emails()
    assert notification_id_of(message) == row.id


async def test_a_provider_refusal_that_cannot_succeed_fails_at_once(
    app, client, sessionmaker, courier_factory
):
    broken = BrokenEmailProvider(
        ProviderError("smtp", "550 mailbox unavailable", retryable=False, status=550)
    )
    courier = await courier_factory(email=broken)
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    await make_repair(client, staff, customer.id)

    await courier.drain()

    [row] = await stored_notifications(sessionmaker)
    [job] = await send_jobs(sessionmaker)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550 mailbox unavailable" in row.error
    assert job.state == "dead"
    assert job.attempts == 1
    assert len(broken.calls) == 1


async def test_dispatching_the_same_event_twice_creates_no_duplicate(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE)
    await make_repair(client, staff, customer.id)
    async with sessionmaker() as session:
        row = (
            await session.execute(select(DomainEvent).where(DomainEvent.name == "repair.created"))
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
                settings=courier.settings,
                services=courier.services,
            )
            await notify_on_repair_event(context, event)

    rows = await stored_notifications(sessionmaker)
    assert sorted(row.channel for row in rows) == ["email", "sms"]
    assert len(await send_jobs(sessionmaker)) == 2

    await courier.drain()  # the outbox's own dispatch of the event runs the subscriber a third time

    assert len(await stored_notifications(sessionmaker)) == 2
    assert len(courier.emails()) == 1
    assert len(courier.texts()) == 1


async def test_a_sent_notification_is_not_sent_again_by_a_repeated_job(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    await make_repair(client, staff, customer.id)
    await courier.drain()
    [row] = await stored_notifications(sessionmaker)

    from fixdesk.platform.jobs import enqueue

    async with transaction(sessionmaker) as session:
        await enqueue(session, "messaging.send", {"notificationId": str(row.id)}, unique_key="repeat")
    await courier.drain()

    assert len(courier.emails()) == 1
    [again] = await stored_notifications(sessionmaker)
    assert (again.status, again.attempts, again.sent_at) == ("sent", 1, row.sent_at)


async def test_email_through_smtp_reaches_the_server_with_the_notification_message_id(
    app, client, sessionmaker, courier_factory, smtp_sink
):
    courier = await courier_factory(**smtp_sink.settings())
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Rita")
    repair = await make_repair(client, staff, customer.id)

    await courier.drain()

    [received] = await smtp_sink.wait_for(1)
    [row] = await stored_notifications(sessionmaker)
    assert received.rcpt_tos == [customer.email]
    assert received.message_id == f"<notification-{row.id}@fixdesk>"
    assert (
        received.message["Subject"] == f"We received your Apple iPhone 13 (repair {repair['repairNumber']})"
    )
    assert "Hi Rita," in plain_text(received.message)
    assert (row.status, row.provider, row.provider_message_id) == ("sent", "smtp", received.message_id)
    assert courier.emails() == []  # nothing went to the file outbox


async def test_sms_through_twilio_asks_for_status_callbacks(
    app, client, sessionmaker, courier_factory, fake_twilio
):
    courier = await courier_factory(**fake_twilio.settings())
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    await make_repair(client, staff, customer.id)

    await courier.drain()

    [message] = fake_twilio.messages
    [row] = await stored_notifications(sessionmaker)
    assert message["to"] == PHONE
    assert message["status_callback"] == f"{PUBLIC_BASE_URL}/api/v1/webhooks/twilio/status"
    assert (row.status, row.provider, row.provider_message_id) == ("sent", "twilio", message["sid"])


class ObservingEmailProvider:
    """Accepts every message and, while "sending", looks at the database through another connection."""

    name = "smtp"

    def __init__(self, sessionmaker) -> None:
        self.sessionmaker = sessionmaker
        self.seen: list[tuple[str, int]] = []

    async def send(self, message) -> str:
        # A write of our own: on SQLite it would wait for the job's write lock if the handler still held it.
        async with transaction(self.sessionmaker) as session:
            [row] = (await session.execute(select(Notification))).scalars().all()
            self.seen.append((row.status, row.attempts))
            row.provider_status = "observed"
        return "accepted-1"


async def test_the_provider_is_called_after_the_attempt_is_committed(
    app, client, sessionmaker, courier_factory
):
    provider = ObservingEmailProvider(sessionmaker)
    courier = await courier_factory(email=provider)
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    await make_repair(client, staff, customer.id)

    await courier.drain()

    # The attempt was already counted and visible to other connections when the provider was called.
    assert provider.seen == [("queued", 1)]
    [row] = await stored_notifications(sessionmaker)
    assert (row.status, row.provider_message_id, row.provider_status) == ("sent", "accepted-1", "observed")
