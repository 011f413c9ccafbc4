"""Notification endpoints: the staff list and retry, the customer's inbox, Twilio's signed delivery
callbacks, and customers' notification preferences."""

from __future__ import annotations

import uuid

import pytest
from twilio.request_validator import RequestValidator

from fixdesk.db import transaction
from fixdesk.messaging.models import Notification
from tests.factories import make_customer, make_repair, make_user
from tests.messaging.conftest import PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, send_jobs, stored_notifications

PHONE = "+15125550147"
CALLBACK_PATH = "/api/v1/webhooks/twilio/status"


async def two_customers_notified(app, client, sessionmaker, courier):
    """Staff, customer A (email + SMS, two repairs) and customer B (email, one repair), all sent."""
    staff = await make_user(app, sessionmaker, "agent")
    first = await make_customer(app, sessionmaker, phone=PHONE, portal_password="portal-pass-1")
    second = await make_customer(app, sessionmaker, portal_password="portal-pass-2")
    repairs = [
        await make_repair(client, staff, first.id),
        await make_repair(client, staff, first.id),
        await make_repair(client, staff, second.id),
    ]
    await courier.drain()
    return staff, first, second, repairs


# --- staff list and retry -----------------------------------------------------------------------------


async def test_staff_list_notifications_newest_first_with_filters(app, client, sessionmaker, courier):
    staff, first, second, repairs = await two_customers_notified(app, client, sessionmaker, courier)

    async def ids(**query) -> list[str]:
        response = await client.get("/api/v1/notifications", params=query, headers=staff.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    everything = await stored_notifications(sessionmaker)
    assert await ids() == [str(n.id) for n in reversed(everything)]
    assert set(await ids(customerId=str(first.id))) == {
        str(n.id) for n in everything if n.customer_id == first.id
    }
    assert len(await ids(customerId=str(first.id))) == 4
    assert set(await ids(repairId=repairs[0]["id"])) == {
        str(n.id) for n in everything if str(n.repair_id) == repairs[0]["id"]
    }
    assert len(await ids(channel="sms")) == 2
    assert len(await ids(channel="email", customerId=str(second.id))) == 1
    assert len(await ids(status="sent")) == 5
    assert await ids(status="failed") == []

    response = await client.get(
        "/api/v1/notifications", params={"pageSize": 2, "page": 3}, headers=staff.headers
    )
    body = response.json()
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (5, 3, 2, 3)
    item = body["items"][0]
    assert item["id"] == str(everything[0].id)
    assert set(item) >= {
        "customerId", "repairId", "channel", "event", "recipient", "subject", "bodyPreview", "status",
        "provider", "providerMessageId", "providerStatus", "error", "attempts", "readAt", "createdAt",
        "sentAt", "eventId",
    }  # fmt: skip


async def test_listing_checks_filters_and_permissions(app, client, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    agent = await make_user(app, sessionmaker, "agent")

    assert (await client.get("/api/v1/notifications")).status_code == 401
    assert (await client.get("/api/v1/notifications", headers=technician.headers)).status_code == 403
    response = await client.get("/api/v1/notifications", params={"status": "lost"}, headers=agent.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


async def test_retry_requeues_a_failed_notification_only(app, client, sessionmaker, courier_factory):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    await make_repair(client, staff, customer.id)
    # No SMS allowed this hour: the notification fails as rate limited.
    await (await courier_factory(sms_per_hour=0)).drain()
    [failed] = await stored_notifications(sessionmaker)
    assert (failed.status, failed.error) == ("failed", "rate_limited")

    response = await client.post(f"/api/v1/notifications/{failed.id}/retry", headers=staff.headers)

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["error"]) == ("queued", None)
    jobs = await send_jobs(sessionmaker)
    assert [job.state for job in jobs] == ["done", "queued"]
    assert jobs[1].unique_key != jobs[0].unique_key
    # Retrying again before it ran is a conflict: it already has a job.
    again = await client.post(f"/api/v1/notifications/{failed.id}/retry", headers=staff.headers)
    assert again.status_code == 409

    courier = await courier_factory()
    await courier.drain()
    [sent] = await stored_notifications(sessionmaker)
    assert (sent.status, sent.error, sent.attempts) == ("sent", None, 1)
    assert [text["reference"] for text in courier.texts()] == [str(sent.id)]

    response = await client.post(f"/api/v1/notifications/{sent.id}/retry", headers=staff.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert len(await send_jobs(sessionmaker)) == 2


async def test_retry_of_an_unknown_notification_is_404_and_needs_manage(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    url = f"/api/v1/notifications/{uuid.uuid4()}/retry"

    assert (await client.post(url, headers=agent.headers)).status_code == 404
    assert (await client.post(url, headers=technician.headers)).status_code == 403


# --- the customer's inbox -----------------------------------------------------------------------------


async def test_customers_see_their_own_messages_with_an_unread_count(app, client, sessionmaker, courier):
    staff, first, second, _ = await two_customers_notified(app, client, sessionmaker, courier)
    mine = await stored_notifications(sessionmaker, customer_id=first.id)
    theirs = await stored_notifications(sessionmaker, customer_id=second.id)

    response = await client.get("/api/v1/customer/notifications", headers=first.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["unreadCount"]) == (4, 4)
    assert {item["id"] for item in body["items"]} == {str(n.id) for n in mine}
    assert all(item["readAt"] is None for item in body["items"])

    read = await client.post(f"/api/v1/customer/notifications/{mine[0].id}/read", headers=first.headers)
    assert read.status_code == 200, read.text
    assert read.json()["readAt"] is not None
    # Reading again keeps the first time.
    again = await client.post(f"/api/v1/customer/notifications/{mine[0].id}/read", headers=first.headers)
    assert again.json()["readAt"] == read.json()["readAt"]

    body = (
        await client.get("/api/v1/customer/notifications", params={"pageSize": 1}, headers=first.headers)
    ).json()
    assert (body["total"], body["unreadCount"], len(body["items"]), body["totalPages"]) == (4, 3, 1, 4)

    other = await client.post(f"/api/v1/customer/notifications/{theirs[0].id}/read", headers=first.headers)
    assert other.status_code == 404
    [untouched] = await stored_notifications(sessionmaker, customer_id=second.id)
    assert untouched.read_at is None
    second_view = (await client.get("/api/v1/customer/notifications", headers=second.headers)).json()
    assert (second_view["total"], second_view["unreadCount"]) == (1, 1)

    assert (await client.get("/api/v1/customer/notifications", headers=staff.headers)).status_code == 403


async def test_messages_that_never_went_out_are_not_in_the_inbox(app, client, sessionmaker, courier_factory):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    await make_repair(client, staff, customer.id)
    await (await courier_factory(sms_per_hour=0)).drain()
    [failed] = await stored_notifications(sessionmaker)

    body = (await client.get("/api/v1/customer/notifications", headers=customer.headers)).json()

    assert (body["total"], body["unreadCount"], body["items"]) == (0, 0, [])
    response = await client.post(f"/api/v1/customer/notifications/{failed.id}/read", headers=customer.headers)
    assert response.status_code == 404


# --- Twilio status callbacks --------------------------------------------------------------------------


async def sent_sms(app, client, sessionmaker, courier) -> Notification:
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    await make_repair(client, staff, customer.id)
    await courier.drain()
    [notification] = await stored_notifications(sessionmaker)
    return notification


def signed(params: dict[str, str], *, token: str = TWILIO_AUTH_TOKEN, query: str = "") -> dict[str, str]:
    url = PUBLIC_BASE_URL + CALLBACK_PATH + (f"?{query}" if query else "")
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": PHONE,
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def test_a_signed_delivery_callback_updates_the_notification(app, client, sessionmaker, courier):
    notification = await sent_sms(app, client, sessionmaker, courier)
    sid = notification.provider_message_id
    params = callback(sid, "delivered")

    response = await client.post(CALLBACK_PATH, data=params, headers=signed(params))

    assert response.status_code == 200, response.text
    assert response.json() == {"updated": True}
    [row] = await stored_notifications(sessionmaker)
    assert (row.status, row.provider_status, row.sent_at) == ("sent", "delivered", notification.sent_at)

    # A late "sent" report does not move it back.
    late = callback(sid, "sent")
    assert (await client.post(CALLBACK_PATH, data=late, headers=signed(late))).status_code == 200
    [row] = await stored_notifications(sessionmaker)
    assert row.provider_status == "delivered"


@pytest.mark.parametrize("status", ["undelivered", "failed"])
async def test_an_undelivered_callback_fails_the_notification_with_twilios_error(
    app, client, sessionmaker, courier, status
):
    notification = await sent_sms(app, client, sessionmaker, courier)
    params = callback(notification.provider_message_id, status, ErrorCode="30006", ErrorMessage="Landline")

    response = await client.post(CALLBACK_PATH, data=params, headers=signed(params))

    assert response.status_code == 200, response.text
    [row] = await stored_notifications(sessionmaker)
    assert (row.status, row.provider_status) == ("failed", status)
    assert "30006" in row.error
    assert "Landline" in row.error
    # Staff can now see it among the failures and retry it.
    assert [n.id for n in await stored_notifications(sessionmaker, status="failed")] == [row.id]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "not-a-signature"},
        "wrong token",
        "tampered",
    ],
)
async def test_a_callback_with_a_bad_signature_is_403_and_changes_nothing(
    app, client, sessionmaker, courier, headers
):
    notification = await sent_sms(app, client, sessionmaker, courier)
    params = callback(notification.provider_message_id, "failed", ErrorCode="30006")
    if headers == "wrong token":
        headers = signed(params, token="another-accounts-auth-token")
    elif headers == "tampered":
        headers = signed(callback(notification.provider_message_id, "delivered"))

    response = await client.post(CALLBACK_PATH, data=params, headers=headers)

    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    [row] = await stored_notifications(sessionmaker)
    assert (row.status, row.provider_status, row.error) == ("sent", None, None)


async def test_the_signature_covers_the_query_string(app, client, sessionmaker, courier):
    notification = await sent_sms(app, client, sessionmaker, courier)
    params = callback(notification.provider_message_id, "delivered")

    good = await client.post(
        f"{CALLBACK_PATH}?attempt=1", data=params, headers=signed(params, query="attempt=1")
    )
    bad = await client.post(
        f"{CALLBACK_PATH}?attempt=2", data=params, headers=signed(params, query="attempt=1")
    )

    assert good.status_code == 200
    assert bad.status_code == 403


async def test_a_callback_for_an_unknown_message_is_acknowledged(app, client, sessionmaker):
    params = callback("SM" + "f" * 32, "delivered")

    response = await client.post(CALLBACK_PATH, data=params, headers=signed(params))

    assert response.status_code == 200
    assert response.json() == {"updated": False}


async def test_callbacks_are_refused_when_no_auth_token_is_configured(
    database, sessionmaker, tmp_path, database_url
):
    import httpx

    from tests.conftest import make_settings

    application = database.app(make_settings(database_url, tmp_path, public_base_url=PUBLIC_BASE_URL))
    params = callback("SM" + "a" * 32, "delivered")
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(CALLBACK_PATH, data=params, headers=signed(params))

    assert response.status_code == 403


async def test_twilio_callback_after_a_real_twilio_send(
    app, client, sessionmaker, courier_factory, fake_twilio
):
    # One account: the fake accepts the token the app checks callbacks against.
    fake_twilio.auth_token = TWILIO_AUTH_TOKEN
    courier = await courier_factory(**fake_twilio.settings())
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    await make_repair(client, staff, customer.id)
    await courier.drain()
    [message] = fake_twilio.messages

    params = callback(message["sid"], "undelivered", ErrorCode="30003", AccountSid=fake_twilio.account_sid)
    response = await client.post(
        message["status_callback"].removeprefix(PUBLIC_BASE_URL), data=params, headers=signed(params)
    )

    assert response.status_code == 200
    [row] = await stored_notifications(sessionmaker)
    assert (row.provider, row.status, row.provider_status) == ("twilio", "failed", "undelivered")
    assert "30003" in row.error


# --- preferences --------------------------------------------------------------------------------------


async def test_staff_set_and_read_notification_preferences(app, client, sessionmaker):
    staff = await make_user(app, sessionmaker, "agent")
    response = await client.post(
        "/api/v1/customers",
        json={"firstName": "Ana", "lastName": "Silva", "email": "ana.prefs@example.com", "notifySms": False},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["notifyEmail"], body["notifySms"]) == (True, False)

    changed = await client.patch(
        f"/api/v1/customers/{body['id']}",
        json={"notifyEmail": False, "notifySms": True},
        headers=staff.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["notifyEmail"], changed.json()["notifySms"]) == (False, True)

    cleared = await client.patch(
        f"/api/v1/customers/{body['id']}", json={"notifySms": None}, headers=staff.headers
    )
    assert cleared.status_code == 400
    assert cleared.json()["errors"][0]["field"] == "notifySms"


async def test_customers_turn_off_sms_in_their_profile_and_get_none(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, portal_password="portal-pass-1")
    profile = (await client.get("/api/v1/customer/profile", headers=customer.headers)).json()
    assert (profile["notifyEmail"], profile["notifySms"]) == (True, True)

    response = await client.put(
        "/api/v1/customer/profile", json={"notifySms": False}, headers=customer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["notifySms"] is False

    await make_repair(client, staff, customer.id)
    await courier.drain()
    assert [row.channel for row in await stored_notifications(sessionmaker)] == ["email"]
    assert courier.texts() == []


async def test_customers_created_before_preferences_existed_are_notified(app, sessionmaker):
    """The migration's server default: a row inserted without the new columns has both preferences on."""
    from sqlalchemy import Uuid, bindparam, text

    customer = await make_customer(app, sessionmaker)
    copy_id = uuid.uuid4()
    async with transaction(sessionmaker) as session:
        await session.execute(
            text(
                "INSERT INTO customers (id, first_name, last_name, language, status, search_text, created_at,"
                " updated_at) SELECT :id, first_name, last_name, language, status, '', created_at, updated_at"
                " FROM customers WHERE id = :source"
            ).bindparams(bindparam("id", type_=Uuid()), bindparam("source", type_=Uuid())),
            {"id": copy_id, "source": customer.id},
        )
        flags = (
            await session.execute(
                text("SELECT notify_email, notify_sms FROM customers WHERE id = :id").bindparams(
                    bindparam("id", type_=Uuid())
                ),
                {"id": copy_id},
            )
        ).one()
    assert (bool(flags[0]), bool(flags[1])) == (True, True)


async def test_the_event_catalogue_lists_the_sent_events(client):
    events = (await client.get("/api/v1/webhooks/events")).json()["events"]
    by_name = {event["name"]: event for event in events}

    for name in ("email.sent", "message.sent"):
        properties = by_name[name]["payloadSchema"]["properties"]
        assert {"id", "customerId", "channel", "template", "providerMessageId", "sentAt"} <= set(properties)
