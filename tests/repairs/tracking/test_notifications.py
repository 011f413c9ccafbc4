"""The created-repair email and SMS carry the repair's tracking link (issue 5, item 8), the link works, and
the secret token stays out of events and webhooks."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from fixdesk.messaging import service
from fixdesk.platform.events import DomainEvent
from tests.factories import make_customer, make_repair, make_user, walk
from tests.messaging.conftest import stored_notifications
from tests.repairs.tracking.conftest import PUBLIC_BASE_URL, SHOP, SHOP_TIMEZONE, token_of

PHONE = "+15125550147"
LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/track/[A-Za-z0-9_-]+")
# One GSM-7 SMS segment; longer texts are split and billed as several.
SMS_SEGMENT = 160


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_text(message) -> str:
    return message.get_body(("html",)).get_content()


async def test_the_created_repair_email_and_sms_carry_a_working_link(
    app, client, public_client, sessionmaker, courier
):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Ana", phone=PHONE)
    repair = await make_repair(client, staff, customer.id)
    link = repair["trackingUrl"]
    assert link == f"{PUBLIC_BASE_URL}/track/{token_of(repair)}"

    await courier.drain()

    [message] = courier.emails()
    assert LINK.findall(plain_text(message)) == [link]
    assert f"Follow your repair at any time: {link}" in plain_text(message)
    assert LINK.findall(html_text(message)) == [link, link, link]  # button, and the link written out
    assert f'<a href="{link}"' in html_text(message)
    [text] = courier.texts()
    assert text["to"] == PHONE
    assert text["body"] == (
        f"{SHOP['shop_name']}: we received your Apple iPhone 13, repair {repair['repairNumber']}. "
        f"Track it: {link}"
    )
    assert len(text["body"]) <= SMS_SEGMENT

    # Following the link, exactly as written in the message, opens this repair's page.
    opened = await public_client.get(LINK.findall(text["body"])[0])
    assert opened.status_code == 200
    assert opened.headers["content-type"].startswith("text/html")
    assert f"Repair {repair['repairNumber']}" in opened.text
    assert "Hi Ana," in opened.text
    as_json = await public_client.get("/api/v1" + urlsplit(link).path)
    assert as_json.status_code == 200
    assert as_json.json()["repairNumber"] == repair["repairNumber"]


async def test_a_portuguese_customer_gets_the_link_in_portuguese(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="João", language="pt", phone=PHONE)
    repair = await make_repair(client, staff, customer.id)
    link = repair["trackingUrl"]

    await courier.drain()

    [message] = courier.emails()
    assert f"Acompanhe a sua reparação a qualquer momento: {link}" in plain_text(message)
    assert f'<a href="{link}"' in html_text(message)
    assert "Acompanhar a reparação" in html_text(message)
    [text] = courier.texts()
    assert text["body"].endswith(f"reparação {repair['repairNumber']}. Acompanhe: {link}")


async def test_the_email_through_smtp_carries_the_link(
    app, client, public_client, sessionmaker, courier_factory, smtp_sink
):
    courier = await courier_factory(
        public_base_url=PUBLIC_BASE_URL, shop_timezone=SHOP_TIMEZONE, **SHOP, **smtp_sink.settings()
    )
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Rita")
    repair = await make_repair(client, staff, customer.id)

    await courier.drain()

    [received] = await smtp_sink.wait_for(1)
    assert received.rcpt_tos == [customer.email]
    [link] = LINK.findall(plain_text(received.message))
    assert link == repair["trackingUrl"]
    opened = await public_client.get(link)
    assert opened.status_code == 200
    assert repair["repairNumber"] in opened.text


async def test_each_repair_gets_its_own_link(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, phone=PHONE, email=None)
    first = await make_repair(client, staff, customer.id)
    second = await make_repair(client, staff, customer.id, deviceModel="iPad Air")

    await courier.drain()

    bodies = sorted((text["body"] for text in courier.texts()), key=lambda body: "iPad" in body)
    assert [LINK.findall(body) for body in bodies] == [[first["trackingUrl"]], [second["trackingUrl"]]]
    assert first["trackingUrl"] != second["trackingUrl"]


async def test_the_token_stays_out_of_events_but_the_customers_own_messages_keep_it(
    app, client, sessionmaker, courier
):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, phone=PHONE)
    repair = await make_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], "diagnosing")
    token = token_of(repair)

    await courier.drain()

    async with sessionmaker() as session:
        events = (await session.execute(select(DomainEvent))).scalars().all()
    assert {event.name for event in events} >= {"repair.created", "repair.status_changed", "email.sent"}
    for event in events:
        assert token not in str(event.payload), f"{event.name} carries the tracking token"
    # The notification keeps the link it was rendered with, so a retry sends the same message.
    for row in await stored_notifications(sessionmaker):
        assert row.variables["tracking_url"] == repair["trackingUrl"]


def test_a_notification_stored_before_links_existed_still_renders():
    variables = {
        "shop_name": "Fix & Go",
        "shop_phone": "+1 512 555 0100",
        "shop_email": "hello@fixgo.example",
        "customer_first_name": "Ana",
        "repair_number": "R-2026-000042",
        "device": "Apple iPhone 13",
        "status": "received",
        "status_label": "Received",
        "notes": None,
        "estimated_completion": None,
    }
    for language, closing in (("en", "We will keep you posted."), ("pt", "Vamos mantê-lo informado.")):
        for value in ({}, {"tracking_url": None}):
            message = service.render("repair_created", language, {**variables, **value})
            assert "/track/" not in message.text + message.html + message.sms
            assert message.sms.endswith(closing)


PORTAL_LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/portal/repairs/[0-9a-f-]{36}")


async def test_a_status_email_links_to_the_repairs_portal_page_and_keeps_the_tracking_link(
    app, client, sessionmaker, courier
):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="Ana", language="pt")
    repair = await make_repair(client, staff, customer.id)
    moved = await client.put(
        f"/api/v1/repairs/{repair['id']}/status",
        json={"status": "diagnosing", "notifyCustomer": True},
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text

    await courier.drain()

    portal_link = f"{PUBLIC_BASE_URL}/portal/repairs/{repair['id']}"
    [status_email] = [m for m in courier.emails() if "Em diagnóstico" in m["Subject"]]
    text = plain_text(status_email)
    assert PORTAL_LINK.findall(text) == [portal_link]
    assert f"no seu portal de cliente: {portal_link}" in text
    assert f"Ou acompanhe-a sem iniciar sessão: {repair['trackingUrl']}" in text
    assert f'<a href="{portal_link}"' in html_text(status_email)
    assert f'<a href="{repair["trackingUrl"]}"' in html_text(status_email)
    rows = [row for row in await stored_notifications(sessionmaker) if row.event == "repair_status_update"]
    assert [row.variables["portal_url"] for row in rows] == [portal_link]


def test_a_status_notification_stored_before_portal_links_existed_still_renders():
    variables = {
        "shop_name": "Fix & Go",
        "shop_phone": "+1 512 555 0100",
        "shop_email": "hello@fixgo.example",
        "customer_first_name": "Ana",
        "repair_number": "R-2026-000042",
        "device": "Apple iPhone 13",
        "status": "completed",
        "status_label": "Ready for pickup",
        "customer_note": None,
        "estimated_completion": None,
        "tracking_url": "https://shop.example.com/track/Zm9vYmFy",
    }
    for language in ("en", "pt"):
        for template in ("repair_ready_pickup", "repair_delivered", "repair_status_update"):
            message = service.render(template, language, variables)
            assert "/portal/repairs/" not in message.text + message.html + message.sms
            assert "https://shop.example.com/track/Zm9vYmFy" in message.text
        quote = service.render(
            "quote_ready",
            language,
            {**variables, "quote_number": "Q1", "amount": "$60.00", "valid_until": "December 14, 2026"},
        )
        assert quote.sms.endswith("https://shop.example.com/track/Zm9vYmFy")
