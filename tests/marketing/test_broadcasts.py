"""SMS and WhatsApp broadcasts (issue 13, item 7): the estimate, sending through the fake Twilio server on
127.0.0.1 over real HTTP, Twilio's delivery callbacks and inbound STOP/START (signatures checked), the
counts and delivery rate of seed 002, templates, and no double send with two workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update

from fixdesk.db import transaction, utcnow
from fixdesk.marketing import access
from fixdesk.marketing.broadcasts import service
from fixdesk.marketing.broadcasts.encoding import count_segments, estimate_cost
from fixdesk.marketing.broadcasts.models import Broadcast, BroadcastRecipient
from fixdesk.platform.jobs import Job, enqueue
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import build_services
from tests.conftest import make_settings
from tests.factories import event_payloads, make_customer, make_user, settle
from tests.support.fake_providers import FakeTwilio, twilio_signature
from tests.support.polling import wait_until

PUBLIC_BASE_URL = "https://shop.example.com"
MESSAGES = "/api/v1/messages"
STATUS_PATH = "/api/v1/webhooks/twilio/broadcast-status"
INBOUND_PATH = "/api/v1/webhooks/twilio/inbound"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def settings(database_url, tmp_path, twilio):
    """Settings that send through the fake Twilio (whose auth token also signs the callbacks), with known
    prices and a small batch size so a broadcast takes several batches."""
    return make_settings(
        database_url,
        tmp_path,
        **twilio.settings(),
        public_base_url=PUBLIC_BASE_URL,
        broadcast_sms_segment_price=Decimal("0.0075"),
        broadcast_whatsapp_segment_price=Decimal("0.005"),
        broadcast_batch_size=2,
        broadcast_messages_per_second=10_000,
    )


def signed(settings, path: str, params: dict[str, str], token: str | None = None) -> dict[str, str]:
    """Headers of a request Twilio signed for ``path`` on our public URL."""
    secret = token or settings.twilio_auth_token.get_secret_value()
    return {"X-Twilio-Signature": twilio_signature(PUBLIC_BASE_URL + path, params, secret)}


async def customer(app, sessionmaker, first_name: str, phone: str, *channels: str, **fields):
    actor = await make_customer(app, sessionmaker, first_name=first_name, phone=phone, **fields)
    async with transaction(sessionmaker) as session:
        for channel in channels:
            await access.record_consent(
                session, customer_id=actor.id, channel=channel, granted=True, source="import"
            )
    return actor


@pytest.fixture
async def shop(app, sessionmaker):
    """A manager, three customers consenting to SMS (Rita also to WhatsApp), one who never consented and
    one consenting but suppressed."""
    manager = await make_user(app, sessionmaker, "manager")
    rita = await customer(app, sessionmaker, "Rita", "+351912345678", "sms", "whatsapp")
    joao = await customer(app, sessionmaker, "João", "+351912345679", "sms")
    ana = await customer(app, sessionmaker, "Ana", "+15125550147", "sms")
    never = await customer(app, sessionmaker, "Nuno", "+15125550148")
    blocked = await customer(app, sessionmaker, "Bea", "+15125550149", "sms")
    async with transaction(sessionmaker) as session:
        await access.suppress(
            session, channel="sms", address="+15125550149", reason="complained", source="test"
        )
    return {"manager": manager, "rita": rita, "joao": joao, "ana": ana, "never": never, "blocked": blocked}


async def send(client, manager, **body):
    response = await client.post(f"{MESSAGES}/send", json=body, headers=manager.headers)
    assert response.status_code == 202, response.text
    return response.json()


async def broadcast_row(sessionmaker, broadcast_id) -> Broadcast:
    async with sessionmaker() as session:
        row = await session.get(Broadcast, uuid.UUID(str(broadcast_id)))
        assert row is not None
        return row


async def recipients(sessionmaker, broadcast_id) -> dict[uuid.UUID, BroadcastRecipient]:
    async with sessionmaker() as session:
        statement = select(BroadcastRecipient).where(
            BroadcastRecipient.broadcast_id == uuid.UUID(str(broadcast_id))
        )
        return {row.customer_id: row for row in (await session.execute(statement)).scalars()}


async def settle_until_sent(app, sessionmaker, broadcast_id) -> Broadcast:
    """Run the queued jobs (the batches are paced, so a batch may be due a moment later) until the
    broadcast is sent."""

    async def sent():
        await settle(app)
        row = await broadcast_row(sessionmaker, broadcast_id)
        return row if row.status == "sent" else None

    return await wait_until(sent, message="the broadcast to be sent")


# --- segments and the estimate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("a" + "€" * 76, "GSM-7", 153, 1),  # 153 septets fit in a single 160-septet segment
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),  # the escape pair moves to the second segment
        ("ã" * 70, "UCS-2", 70, 1),  # ã is not in GSM-7
        ("ã" * 71, "UCS-2", 71, 2),
        ("ã" * 134, "UCS-2", 134, 2),
        ("ã" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, "UCS-2", 72, 2),
        ("Olá", "UCS-2", 3, 1),  # á is not in GSM-7: the whole text is UCS-2
        ("Hä? Ñö {ü}", "GSM-7", 12, 1),  # ä, Ñ, ö, ü are; { and } take two septets
    ],
)
def test_segment_counting_follows_gsm7_and_ucs2(text, encoding, units, segments):
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_cost_is_recipients_times_segments_times_price_rounded_half_up_once():
    assert estimate_cost(3, 2, Decimal("0.0075")) == Decimal("0.05")  # 0.045
    assert estimate_cost(1000, 1, Decimal("0.0079")) == Decimal("7.90")
    assert estimate_cost(0, 3, Decimal("0.0079")) == Decimal("0.00")


async def test_estimate_before_sending_counts_only_the_reachable_audience(client, shop):
    manager = shop["manager"]
    body = {"type": "sms", "content": "x" * 156 + " {{ first_name }}", "recipientType": "all"}

    response = await client.post(f"{MESSAGES}/estimate", json=body, headers=manager.headers)

    assert response.status_code == 200, response.text
    # Rita, João and Ana are reached (Nuno never consented, Bea is suppressed). Ana's text is 160 GSM-7
    # characters (1 segment), Rita's 161 (2), João's 161 with an ã, so UCS-2: 3 segments of 67. The
    # longest counts: 3 recipients × 3 segments × 0.0075 = 0.0675 → 0.07.
    assert response.json() == {
        "type": "sms",
        "recipients": 3,
        "segmentsPerMessage": 3,
        "encoding": "UCS-2",
        "characters": 161,
        "pricePerSegment": 0.0075,
        "estimatedCost": 0.07,
        "currency": "USD",
        "preview": "x" * 156 + " João",
    }

    whatsapp = await client.post(
        f"{MESSAGES}/estimate",
        json={"type": "whatsapp", "content": "Olá {{ first_name }}! 🎉", "recipientType": "all"},
        headers=manager.headers,
    )
    assert whatsapp.status_code == 200, whatsapp.text
    figures = whatsapp.json()
    assert (figures["recipients"], figures["encoding"], figures["segmentsPerMessage"]) == (1, "UCS-2", 1)
    assert (figures["estimatedCost"], figures["preview"]) == (0.01, "Olá Rita! 🎉")  # 0.005 → 0.01


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "sms", "recipientType": "all"}, 400, None),
        ({"type": "sms", "content": "Hi {{ nickname }}", "recipientType": "all"}, 400, "content"),
        (
            {
                "type": "sms",
                "content": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                "recipientType": "all",
            },
            400,
            "content",
        ),
        ({"type": "sms", "content": "Hi {% if %}", "recipientType": "all"}, 400, "content"),
        ({"type": "sms", "content": "Hi", "recipientType": "segment"}, 400, "segmentId"),
        (
            {"type": "sms", "content": "Hi", "recipientType": "segment", "segmentId": str(uuid.uuid4())},
            404,
            None,
        ),
        (
            {"type": "sms", "content": "Hi", "recipientType": "customers", "customerIds": []},
            400,
            "customerIds",
        ),
        ({"type": "sms", "templateId": str(uuid.uuid4()), "recipientType": "all"}, 404, None),
        ({"type": "fax", "content": "Hi", "recipientType": "all"}, 400, None),
        (
            {"type": "sms", "content": "Hi", "recipientType": "all", "scheduleAt": "2001-01-01T00:00:00Z"},
            400,
            "scheduleAt",
        ),
    ],
)
async def test_a_bad_broadcast_is_refused_and_nothing_is_stored(
    client, shop, sessionmaker, body, status, field
):
    response = await client.post(f"{MESSAGES}/send", json=body, headers=shop["manager"].headers)

    assert response.status_code == status, response.text
    if field is not None:
        assert field in [error["field"] for error in response.json().get("errors", [])], response.text
    async with sessionmaker() as session:
        assert (await session.execute(select(Broadcast))).first() is None
        assert (await session.execute(select(Job).where(Job.kind == service.PREPARE_JOB))).first() is None


# --- sending ------------------------------------------------------------------------------------------


async def test_an_sms_broadcast_reaches_each_consenting_customer_once_through_twilio(
    app, client, shop, sessionmaker, twilio, settings
):
    created = await send(
        client,
        shop["manager"],
        type="sms",
        content="Hi {{ first_name }}, your battery check is due. {{ shop_name }}",
        recipientType="all",
    )
    assert (created["status"], created["estimatedRecipients"], created["estimatedCost"]) == (
        "sending",
        3,
        0.02,
    )

    finished = await settle_until_sent(app, sessionmaker, created["id"])

    messages = sorted(twilio.messages, key=lambda m: m["to"])
    assert [(m["to"], m["from"], m["body"]) for m in messages] == [
        ("+15125550147", twilio.from_number, f"Hi Ana, your battery check is due. {settings.shop_name}"),
        ("+351912345678", twilio.from_number, f"Hi Rita, your battery check is due. {settings.shop_name}"),
        ("+351912345679", twilio.from_number, f"Hi João, your battery check is due. {settings.shop_name}"),
    ]
    assert {m["status_callback"] for m in messages} == {PUBLIC_BASE_URL + STATUS_PATH}
    assert (finished.recipient_count, finished.sent_count, finished.delivered_count) == (3, 3, 0)
    rows = await recipients(sessionmaker, created["id"])
    assert {row.status for row in rows.values()} == {"sent"}
    assert {row.provider_message_id for row in rows.values()} == {m["sid"] for m in messages}
    [event] = await event_payloads(sessionmaker, "broadcast.sent")
    assert (event["messageId"], event["sentCount"], event["recipientCount"]) == (created["id"], 3, 3)

    shown = await client.get(f"{MESSAGES}/{created['id']}", headers=shop["manager"].headers)
    assert shown.status_code == 200
    assert (shown.json()["status"], shown.json()["sentCount"], shown.json()["deliveryRate"]) == (
        "sent",
        3,
        0.0,
    )
    assert shown.json()["sentAt"].endswith("Z")


async def test_a_whatsapp_broadcast_goes_through_twilios_whatsapp_sender(
    app, client, shop, sessionmaker, twilio
):
    created = await send(
        client,
        shop["manager"],
        type="whatsapp",
        content="Olá {{ first_name }}!",
        recipientType="customers",
        customerIds=[str(shop["rita"].id), str(shop["joao"].id)],  # João has no WhatsApp consent
    )

    await settle_until_sent(app, sessionmaker, created["id"])

    assert [(m["to"], m["from"], m["body"]) for m in twilio.messages] == [
        ("whatsapp:+351912345678", f"whatsapp:{twilio.whatsapp_from}", "Olá Rita!")
    ]


async def test_a_customer_suppressed_after_the_recipients_were_chosen_is_skipped(
    app, client, shop, sessionmaker, twilio
):
    created = await send(client, shop["manager"], type="sms", content="Hello", recipientType="all")
    async with transaction(sessionmaker) as session:
        assert await service.prepare(session, uuid.UUID(created["id"]))
    async with transaction(sessionmaker) as session:
        await access.record_consent(
            session, customer_id=shop["joao"].id, channel="sms", granted=False, source="staff"
        )

    finished = await settle_until_sent(app, sessionmaker, created["id"])

    assert sorted(m["to"] for m in twilio.messages) == ["+15125550147", "+351912345678"]
    rows = await recipients(sessionmaker, created["id"])
    assert rows[shop["joao"].id].status == "skipped"
    assert (finished.recipient_count, finished.sent_count, finished.skipped_count) == (3, 2, 1)


async def test_a_scheduled_broadcast_waits_for_its_time(app, client, shop, sessionmaker, twilio):
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    created = await send(
        client,
        shop["manager"],
        type="sms",
        content="Tomorrow",
        recipientType="all",
        scheduleAt=at.isoformat().replace("+00:00", "Z"),
    )
    assert created["status"] == "scheduled"
    assert created["scheduleAt"] == at.isoformat().replace("+00:00", "Z")

    await settle(app)
    assert twilio.messages == []
    assert (await broadcast_row(sessionmaker, created["id"])).status == "scheduled"

    # Its time comes (the job is brought forward: no test waits a day).
    async with transaction(sessionmaker) as session:
        await session.execute(update(Job).where(Job.kind == service.PREPARE_JOB).values(run_at=utcnow()))
    await settle_until_sent(app, sessionmaker, created["id"])
    assert len(twilio.messages) == 3


async def test_a_provider_refusal_fails_that_message_only(app, client, shop, sessionmaker, twilio):
    twilio.fail_next(1, status=400)
    created = await send(client, shop["manager"], type="sms", content="Hello", recipientType="all")

    finished = await settle_until_sent(app, sessionmaker, created["id"])

    assert len(twilio.requests) == 3
    assert (finished.sent_count, finished.failed_count) == (3, 1)
    failed = [
        row for row in (await recipients(sessionmaker, created["id"])).values() if row.status == "failed"
    ]
    assert len(failed) == 1
    assert "HTTP 400" in failed[0].error


async def test_a_provider_rate_limit_puts_the_message_back_in_the_queue(
    app, client, shop, sessionmaker, twilio
):
    twilio.fail_next(1, status=429)
    created = await send(client, shop["manager"], type="sms", content="Hello", recipientType="all")

    async def sent():
        # The batch after a 429 waits a few seconds; bring it forward instead of waiting.
        async with transaction(sessionmaker) as session:
            await session.execute(
                update(Job)
                .where(Job.kind == service.SEND_BATCH_JOB, Job.state == "queued")
                .values(run_at=utcnow())
            )
        await settle(app)
        row = await broadcast_row(sessionmaker, created["id"])
        return row if row.status == "sent" else None

    finished = await wait_until(sent, message="the broadcast to be sent")

    assert len(twilio.requests) == 4
    assert sorted(m["to"] for m in twilio.messages) == ["+15125550147", "+351912345678", "+351912345679"]
    assert (finished.sent_count, finished.failed_count) == (3, 0)


# --- delivery reports ---------------------------------------------------------------------------------


async def sent_broadcast(app, client, shop, sessionmaker, twilio):
    created = await send(
        client,
        shop["manager"],
        type="sms",
        content="Hello",
        recipientType="customers",
        customerIds=[str(shop["rita"].id), str(shop["ana"].id)],
    )
    await settle_until_sent(app, sessionmaker, created["id"])
    return created, {m["to"]: m["sid"] for m in twilio.messages}


async def test_status_callbacks_move_messages_to_delivered_and_failed_with_counts_and_events(
    app, client, shop, sessionmaker, twilio, settings
):
    created, sids = await sent_broadcast(app, client, shop, sessionmaker, twilio)
    delivered = {
        "MessageSid": sids["+351912345678"],
        "MessageStatus": "delivered",
        "AccountSid": twilio.account_sid,
    }
    undelivered = {"MessageSid": sids["+15125550147"], "MessageStatus": "undelivered", "ErrorCode": "30003"}

    for params in (delivered, undelivered, delivered):  # Twilio may repeat a report: it counts once
        response = await client.post(STATUS_PATH, data=params, headers=signed(settings, STATUS_PATH, params))
        assert response.status_code == 200, response.text
        assert response.json() == {"updated": True}

    rows = await recipients(sessionmaker, created["id"])
    assert (rows[shop["rita"].id].status, rows[shop["ana"].id].status) == ("delivered", "undelivered")
    assert "30003" in rows[shop["ana"].id].error
    shown = (await client.get(f"{MESSAGES}/{created['id']}", headers=shop["manager"].headers)).json()
    assert (shown["sentCount"], shown["deliveredCount"], shown["failedCount"], shown["deliveryRate"]) == (
        2,
        1,
        1,
        50.0,
    )
    [event] = await event_payloads(sessionmaker, "message.delivered")
    assert (event["messageId"], event["customerId"], event["deliveryStatus"]) == (
        created["id"],
        str(shop["rita"].id),
        "delivered",
    )

    listed = await client.get(f"{MESSAGES}?type=sms", headers=shop["manager"].headers)
    assert listed.status_code == 200
    page = listed.json()
    assert (page["total"], [item["id"] for item in page["items"]]) == (1, [created["id"]])
    assert page["stats"] == {
        "totalSmsSent": 2,
        "totalWhatsAppSent": 0,
        "averageDeliveryRate": 50.0,
        "sms": {"sent": 2, "delivered": 1, "failed": 1, "deliveryRate": 50.0},
        "whatsapp": {"sent": 0, "delivered": 0, "failed": 0, "deliveryRate": 0.0},
    }
    assert (await client.get(f"{MESSAGES}?type=whatsapp", headers=shop["manager"].headers)).json()[
        "items"
    ] == []


@pytest.mark.parametrize("how", ["missing", "garbage", "wrong token", "tampered"])
async def test_a_status_callback_with_a_bad_signature_is_403_and_changes_nothing(
    app, client, shop, sessionmaker, twilio, settings, how
):
    created, sids = await sent_broadcast(app, client, shop, sessionmaker, twilio)
    params = {"MessageSid": sids["+351912345678"], "MessageStatus": "delivered"}
    headers = {
        "missing": {},
        "garbage": {"X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"},
        "wrong token": signed(settings, STATUS_PATH, params, token="another-accounts-token"),
        "tampered": signed(settings, STATUS_PATH, {**params, "MessageStatus": "failed"}),
    }[how]

    response = await client.post(STATUS_PATH, data=params, headers=headers)

    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert {row.status for row in (await recipients(sessionmaker, created["id"])).values()} == {"sent"}
    assert (await broadcast_row(sessionmaker, created["id"])).delivered_count == 0
    assert await event_payloads(sessionmaker, "message.delivered") == []


# --- inbound STOP / START -----------------------------------------------------------------------------


async def inbound(client, settings, sender: str, body: str):
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "To": "+15005550006", "Body": body}
    return await client.post(INBOUND_PATH, data=params, headers=signed(settings, INBOUND_PATH, params))


async def consent_of(client, manager, customer_id) -> dict[str, tuple[bool, bool]]:
    response = await client.get(f"/api/v1/customers/{customer_id}/consents", headers=manager.headers)
    return {c["channel"]: (c["granted"], c["suppressed"]) for c in response.json()["consents"]}


async def test_stop_withdraws_consent_and_a_later_broadcast_skips_the_customer_until_start(
    app, client, shop, sessionmaker, twilio, settings
):
    manager = shop["manager"]

    response = await inbound(client, settings, "+351912345678", "  stop ")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML
    assert await consent_of(client, manager, shop["rita"].id) == {
        "email": (False, False),
        "sms": (False, True),
        "whatsapp": (True, False),  # an SMS STOP is about SMS
    }
    first = await send(client, manager, type="sms", content="Sale!", recipientType="all")
    await settle_until_sent(app, sessionmaker, first["id"])
    assert sorted(m["to"] for m in twilio.messages) == ["+15125550147", "+351912345679"]

    response = await inbound(client, settings, "+351912345678", "START")
    assert response.status_code == 200
    assert (await consent_of(client, manager, shop["rita"].id))["sms"] == (True, False)
    second = await send(client, manager, type="sms", content="Back!", recipientType="all")
    await settle_until_sent(app, sessionmaker, second["id"])
    assert sorted(m["to"] for m in twilio.messages if m["body"] == "Back!") == [
        "+15125550147",
        "+351912345678",
        "+351912345679",
    ]


@pytest.mark.parametrize("keyword", ["STOPALL", "unsubscribe", "Cancel", "END", "QUIT", "REVOKE", "OPTOUT"])
async def test_every_opt_out_keyword_stops(client, shop, settings, keyword):
    response = await inbound(client, settings, "+15125550147", keyword)
    assert response.status_code == 200
    assert (await consent_of(client, shop["manager"], shop["ana"].id))["sms"] == (False, True)


async def test_whatsapp_stop_and_other_messages(client, shop, settings):
    manager = shop["manager"]
    assert (await inbound(client, settings, "whatsapp:+351912345678", "STOP")).status_code == 200
    assert await consent_of(client, manager, shop["rita"].id) == {
        "email": (False, False),
        "sms": (True, False),
        "whatsapp": (False, True),
    }
    # Not a keyword alone: nothing changes (Twilio matches the whole message).
    for body in ("please stop", "STOP IT", "when is my phone ready?"):
        assert (await inbound(client, settings, "+351912345679", body)).status_code == 200
    assert (await consent_of(client, manager, shop["joao"].id))["sms"] == (True, False)


async def test_an_inbound_message_with_a_bad_signature_is_403_and_changes_nothing(client, shop, settings):
    params = {"From": "+351912345678", "Body": "STOP"}
    response = await client.post(
        INBOUND_PATH, data=params, headers=signed(settings, INBOUND_PATH, params, token="not-our-token")
    )
    assert response.status_code == 403
    assert (await consent_of(client, shop["manager"], shop["rita"].id))["sms"] == (True, False)


# --- templates ----------------------------------------------------------------------------------------


async def test_templates_crud_and_sending_with_one(app, client, shop, sessionmaker, twilio):
    headers = shop["manager"].headers
    url = f"{MESSAGES}/templates"
    body = {"name": "Battery", "type": "sms", "content": "Hi {{ customer_name }}, your battery check is due."}

    created = await client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    template = created.json()
    assert (template["segments"], template["encoding"]) == (1, "GSM-7")
    assert (await client.post(url, json=body, headers=headers)).status_code == 409
    bad = await client.post(
        url, json={**body, "name": "Bad", "content": "{{ cycler.__init__.__globals__ }}"}, headers=headers
    )
    assert bad.status_code == 400
    listed = await client.get(f"{url}?type=sms", headers=headers)
    assert [t["id"] for t in listed.json()["items"]] == [template["id"]]
    assert (await client.get(f"{url}?type=whatsapp", headers=headers)).json()["items"] == []
    changed = await client.patch(f"{url}/{template['id']}", json={"name": "Battery check"}, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["name"] == "Battery check"
    assert (
        await client.patch(f"{url}/{template['id']}", json={"content": None}, headers=headers)
    ).status_code == 400

    wrong_type = await client.post(
        f"{MESSAGES}/send",
        json={"type": "whatsapp", "templateId": template["id"], "recipientType": "all"},
        headers=headers,
    )
    assert wrong_type.status_code == 400
    sent = await send(
        client,
        shop["manager"],
        type="sms",
        templateId=template["id"],
        recipientType="customers",
        customerIds=[str(shop["ana"].id)],
    )
    await settle_until_sent(app, sessionmaker, sent["id"])
    assert [m["body"] for m in twilio.messages] == ["Hi Ana Silva, your battery check is due."]

    assert (await client.delete(f"{url}/{template['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{url}/{template['id']}", headers=headers)).status_code == 404
    # The broadcast keeps its text.
    assert (await client.get(f"{MESSAGES}/{sent['id']}", headers=headers)).json()["content"] == body[
        "content"
    ]


async def test_only_staff_with_broadcast_permissions_send(app, client, shop, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    body = {"type": "sms", "content": "Hi", "recipientType": "all"}
    assert (await client.post(f"{MESSAGES}/send", json=body, headers=agent.headers)).status_code == 403
    assert (await client.get(MESSAGES, headers=shop["rita"].headers)).status_code == 403


# --- two workers --------------------------------------------------------------------------------------


@pytest.mark.commits  # two workers racing, each on its own connections
async def test_two_workers_and_a_rerun_never_send_a_message_twice(database, settings, twilio, app, client):
    if settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    sessionmaker = database.sessionmaker
    manager = await make_user(app, sessionmaker, "manager")
    phones = [f"+1512555{1000 + number:04d}" for number in range(24)]
    for number, phone in enumerate(phones):
        await customer(app, sessionmaker, f"C{number}", phone, "sms")
    created = await send(client, manager, type="sms", content="Once {{ first_name }}", recipientType="all")
    broadcast_id = uuid.UUID(created["id"])
    async with transaction(sessionmaker) as session:
        assert await service.prepare(session, broadcast_id)
        # Several chains of batches for the same broadcast, as after a crash and a re-run.
        for chain in range(4):
            await enqueue(
                session,
                service.SEND_BATCH_JOB,
                {"broadcastId": str(broadcast_id), "batch": 100 * (chain + 1)},
                unique_key=f"test:{broadcast_id}:{chain}",
            )

    workers, services = [], []
    for _ in range(2):
        made = build_services(settings)
        services.append(made)
        workers.append(
            Worker(sessionmaker, settings=settings, services=made, concurrency=4, run_periodic=False)
        )
    try:

        async def done():
            await asyncio.gather(*(worker.drain(max_seconds=5) for worker in workers))
            return (await broadcast_row(sessionmaker, broadcast_id)).status == "sent"

        # Each round drains for up to 5 s; a loaded CI machine may need several rounds.
        await wait_until(done, timeout=120, message="the broadcast to be sent")
    finally:
        for made in services:
            await made.aclose()

    assert sorted(m["to"] for m in twilio.messages) == sorted(phones)
    finished = await broadcast_row(sessionmaker, broadcast_id)
    assert (finished.recipient_count, finished.sent_count, finished.skipped_count) == (24, 24, 0)
    assert len(await event_payloads(sessionmaker, "broadcast.sent")) == 1


async def test_whatsapp_without_a_whatsapp_sender_is_409(database, settings, shop):
    app = database.app(settings.model_copy(update={"twilio_whatsapp_from": None}))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            f"{MESSAGES}/send",
            json={"type": "whatsapp", "content": "Hi", "recipientType": "all"},
            headers=shop["manager"].headers,
        )
    assert response.status_code == 409
    assert "whatsapp" in response.json()["detail"]
    async with database.sessionmaker() as session:
        assert (await session.execute(select(Broadcast))).first() is None


# --- recipients and cancelling ------------------------------------------------------------------------


async def test_recipients_list_each_message_with_its_delivery_status_filtered_by_status(
    app, client, shop, sessionmaker, twilio, settings
):
    created, sids = await sent_broadcast(app, client, shop, sessionmaker, twilio)
    failed = {"MessageSid": sids["+15125550147"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    delivered = {"MessageSid": sids["+351912345678"], "MessageStatus": "delivered"}
    for params in (failed, delivered):
        response = await client.post(STATUS_PATH, data=params, headers=signed(settings, STATUS_PATH, params))
        assert response.status_code == 200, response.text
    headers = shop["manager"].headers
    url = f"{MESSAGES}/{created['id']}/recipients"

    everyone = await client.get(url, headers=headers)
    undelivered = await client.get(f"{url}?status=undelivered", headers=headers)
    queued = await client.get(f"{url}?status=queued", headers=headers)
    second_page = await client.get(f"{url}?pageSize=1&page=2", headers=headers)

    assert everyone.status_code == 200, everyone.text
    by_name = {item["firstName"]: item for item in everyone.json()["items"]}
    assert everyone.json()["total"] == 2
    assert (by_name["Rita"]["status"], by_name["Rita"]["address"]) == ("delivered", "+351912345678")
    assert by_name["Rita"]["deliveredAt"].endswith("Z")
    assert (by_name["Ana"]["status"], by_name["Ana"]["deliveredAt"]) == ("undelivered", None)
    assert "30003" in by_name["Ana"]["error"]
    assert [item["firstName"] for item in undelivered.json()["items"]] == ["Ana"]
    assert queued.json()["items"] == []
    assert (second_page.json()["total"], len(second_page.json()["items"])) == (2, 1)


async def test_recipients_of_an_unknown_broadcast_or_an_unknown_status_are_refused(client, shop):
    headers = shop["manager"].headers
    unknown = await client.get(f"{MESSAGES}/{uuid.uuid4()}/recipients", headers=headers)
    created = await send(client, shop["manager"], type="sms", content="Hello", recipientType="all")
    bad_status = await client.get(f"{MESSAGES}/{created['id']}/recipients?status=lost", headers=headers)

    assert unknown.status_code == 404
    assert bad_status.status_code == 400


async def test_a_scheduled_broadcast_is_cancelled_and_nothing_of_it_is_sent(
    app, client, shop, sessionmaker, twilio
):
    headers = shop["manager"].headers
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    created = await send(
        client,
        shop["manager"],
        type="sms",
        content="Tomorrow",
        recipientType="all",
        scheduleAt=at.isoformat().replace("+00:00", "Z"),
    )

    cancelled = await client.post(f"{MESSAGES}/{created['id']}/cancel", headers=headers)
    again = await client.post(f"{MESSAGES}/{created['id']}/cancel", headers=headers)
    # Its time comes (the job brought forward): it finds the broadcast cancelled and sends nothing.
    async with transaction(sessionmaker) as session:
        await session.execute(update(Job).where(Job.kind == service.PREPARE_JOB).values(run_at=utcnow()))
    await settle(app)

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["scheduleAt"]) == (
        "cancelled",
        created["scheduleAt"],
    )
    assert again.status_code == 409
    assert again.json()["currentStatus"] == "cancelled"
    assert twilio.messages == []
    row = await broadcast_row(sessionmaker, created["id"])
    assert (row.status, row.recipient_count, row.started_at) == ("cancelled", 0, None)
    assert await recipients(sessionmaker, created["id"]) == {}
    listed = await client.get(f"{MESSAGES}?status=cancelled", headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]


async def test_a_broadcast_already_sending_or_sent_cannot_be_cancelled(app, client, shop, sessionmaker):
    headers = shop["manager"].headers
    created = await send(client, shop["manager"], type="sms", content="Hello", recipientType="all")

    sending = await client.post(f"{MESSAGES}/{created['id']}/cancel", headers=headers)
    await settle_until_sent(app, sessionmaker, created["id"])
    sent = await client.post(f"{MESSAGES}/{created['id']}/cancel", headers=headers)
    unknown = await client.post(f"{MESSAGES}/{uuid.uuid4()}/cancel", headers=headers)
    agent = await make_user(app, sessionmaker, "agent")
    forbidden = await client.post(f"{MESSAGES}/{created['id']}/cancel", headers=agent.headers)

    assert (sending.status_code, sending.json()["currentStatus"]) == (409, "sending")
    assert (sent.status_code, sent.json()["allowed"]) == (409, [])
    assert unknown.status_code == 404
    assert forbidden.status_code == 403
    assert (await broadcast_row(sessionmaker, created["id"])).status == "sent"
