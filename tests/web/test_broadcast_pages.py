"""The SMS and WhatsApp broadcast pages of the staff app over HTTP (issue 13, item 9): the broadcasts with
their channel, status, audience, counts and delivery rate; the send form's live audience count and cost
estimate; a refusal shown on the form with nothing saved; starting from a template; scheduling at the
shop's wall-clock time and cancelling; sending after a confirmation, then the broadcast's page with its
recipients by delivery status; under the API's permissions (a front-desk agent opens none of it)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.marketing import access
from fixdesk.marketing.broadcasts.models import Broadcast, BroadcastRecipient
from fixdesk.marketing.broadcasts.service import PREPARE_JOB
from fixdesk.platform.jobs import Job
from tests.conftest import make_settings
from tests.factories import make_customer, make_user, settle

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]

NEW = "/app/marketing/broadcasts/new"
ESTIMATE = "/app/marketing/broadcasts/estimate"


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url,
        tmp_path,
        shop_timezone="Europe/Lisbon",
        broadcast_sms_segment_price=Decimal("0.0079"),
        broadcast_whatsapp_segment_price=Decimal("0.005"),
    )


@pytest.fixture
async def shop(app, sessionmaker):
    """Three customers with a phone, two of whom (Rita and Joao) agreed to marketing SMS."""
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    people = {}
    for number, first in enumerate(("Rita", "Joao", "Marta")):
        people[first] = await make_customer(
            app, sessionmaker, first_name=first, last_name="Nunes", phone=f"+35191234567{number}"
        )
    async with transaction(sessionmaker) as session:
        for first in ("Rita", "Joao"):
            await access.record_consent(
                session, customer_id=people[first].id, channel="sms", granted=True, source="staff"
            )
    return {"manager": manager, "agent": agent, "people": people}


def _form(**values: str) -> dict[str, str]:
    form = {
        "type": "sms",
        "templateId": "",
        "content": "Hi {{ first_name }}, your battery check is due.",
        "recipientType": "all",
        "segmentId": "",
        "customerIds": "",
        "scheduleAt": "",
        "action": "send",
    }
    form.update(values)
    return form


async def _broadcasts(sessionmaker) -> list[Broadcast]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(Broadcast))).all())


async def test_the_list_shows_each_broadcasts_channel_status_audience_and_counts(
    app, client, shop, sessionmaker
):
    manager = shop["manager"]
    people = shop["people"]
    sent = await client.post(
        "/api/v1/messages/send",
        json={"type": "sms", "content": "Hello {{ first_name }}", "recipientType": "all"},
        headers=manager.headers,
    )
    scheduled = await client.post(
        "/api/v1/messages/send",
        json={
            "type": "whatsapp",
            "content": "Olá",
            "recipientType": "customers",
            "customerIds": [str(people["Rita"].id), str(people["Joao"].id)],
            "scheduleAt": "2026-07-01T09:00:00Z",
        },
        headers=manager.headers,
    )
    assert sent.status_code == scheduled.status_code == 202
    await settle(app)

    page = await client.get("/app/marketing/broadcasts", headers=manager.headers)

    assert page.status_code == 200
    assert 'href="/app/marketing/campaigns"' in page.text  # the Marketing tabs
    assert 'aria-current="page">Broadcasts</a>' in page.text
    assert ">Hello {{ first_name }}</a>" in page.text
    assert 'data-broadcast-status="sent"' in page.text
    assert 'data-broadcast-status="scheduled"' in page.text
    assert 'data-channel="whatsapp"' in page.text
    assert "Chosen customers: 2" in page.text
    assert "Every consenting customer" in page.text
    broadcast_id = sent.json()["id"]
    assert f'data-recipients="{broadcast_id}">2</td>' in page.text
    assert f'data-sent="{broadcast_id}">2</td>' in page.text
    assert f'data-delivered="{broadcast_id}">0</td>' in page.text
    assert f'data-delivery-rate="{broadcast_id}">0.00 %</td>' in page.text
    assert f'data-recipients="{scheduled.json()["id"]}">—</td>' in page.text
    assert '<div class="h2 mb-0" data-total="sms">2</div>' in page.text
    # Scheduled at 09:00 UTC: 10:00 in Lisbon's summer.
    assert "10:00" in page.text
    assert "2 broadcasts · page 1 of 1" in page.text


async def test_the_form_counts_the_audience_and_estimates_the_cost_as_it_changes(client, shop, sessionmaker):
    manager = shop["manager"]
    everyone = await client.post(ESTIMATE, data=_form(), headers=manager.headers)
    unicode = await client.post(
        ESTIMATE,
        data=_form(content="Olá {{ first_name }}! " + "x" * 70, customerIds=f"{shop['people']['Rita'].id}"),
        headers=manager.headers,
    )
    one = await client.post(
        ESTIMATE,
        data=_form(recipientType="customers", customerIds=f"{shop['people']['Rita'].id}"),
        headers=manager.headers,
    )
    no_segment = await client.post(ESTIMATE, data=_form(recipientType="segment"), headers=manager.headers)
    broken = await client.post(ESTIMATE, data=_form(content="Hi {{ nickname }}"), headers=manager.headers)
    empty = await client.post(ESTIMATE, data=_form(content="  "), headers=manager.headers)

    # Rita and Joao agreed to SMS, Marta did not. "Hi Rita, your battery check is due." is 35 GSM-7
    # characters, one segment: 2 × 1 × 0.0079 = 0.0158 → $0.02.
    assert everyone.status_code == 200
    assert "<strong data-audience-count>2</strong>" in everyone.text
    assert "data-estimate-characters>35</dd>" in everyone.text
    assert "data-estimate-encoding>GSM-7</dd>" in everyone.text
    assert "data-estimate-segments>1</dd>" in everyone.text
    assert "data-estimate-cost>$0.02</dd>" in everyone.text
    assert "<span data-estimate-price>Recipients × segments × $0.0079 a segment.</span>" in everyone.text
    # An ã makes it UCS-2: "Olá Joao! " and 70 x are 80 characters, two segments of 67.
    assert "data-estimate-encoding>UCS-2</dd>" in unicode.text
    assert "data-estimate-segments>2</dd>" in unicode.text
    assert "<strong data-audience-count>1</strong>" in one.text
    assert 'id="broadcast-count-problem"' in no_segment.text
    assert "data-estimate" not in no_segment.text
    assert broken.status_code == 200
    assert 'id="broadcast-estimate-problem"' in broken.text
    assert "nickname" in broken.text
    assert "Write the message to see its length and cost." in empty.text
    assert await _broadcasts(sessionmaker) == []


@pytest.mark.parametrize(
    ("values", "field_id"),
    [
        ({"content": ""}, "broadcast-content-error"),
        ({"content": "Hi {{ first_name }"}, "broadcast-content-error"),
        ({"action": "schedule", "scheduleAt": "2026-06-01T10:00"}, "broadcast-schedule-error"),
        ({"action": "schedule", "scheduleAt": ""}, "broadcast-schedule-error"),
        ({"recipientType": "customers", "customerIds": "not-an-id"}, "broadcast-customers-error"),
    ],
)
async def test_a_refusal_is_shown_on_the_form_and_nothing_is_saved(
    client, shop, sessionmaker, values, field_id
):
    response = await client.post(NEW, data=_form(confirmed="yes", **values), headers=shop["manager"].headers)

    assert response.status_code == 400, response.text
    assert f'id="{field_id}"' in response.text
    assert 'id="form-problem"' in response.text
    assert await _broadcasts(sessionmaker) == []
    async with sessionmaker() as session:
        assert (await session.execute(select(Job).where(Job.kind == PREPARE_JOB))).first() is None


async def test_send_now_asks_first_then_sends_and_the_page_lists_the_recipients(
    app, client, shop, sessionmaker
):
    manager = shop["manager"]
    asked = await client.post(NEW, data=_form(), headers=manager.headers)
    assert asked.status_code == 200
    assert "Send this SMS now to 2 customers?" in asked.text
    assert "Estimated cost $0.02" in asked.text
    assert await _broadcasts(sessionmaker) == []
    back = await client.post(NEW, data=_form(action="review", confirmed="yes"), headers=manager.headers)
    assert back.status_code == 200
    assert 'id="send-confirmation"' not in back.text
    assert await _broadcasts(sessionmaker) == []

    sent = await client.post(NEW, data=_form(confirmed="yes"), headers=manager.headers)
    assert sent.status_code == 303
    (broadcast,) = await _broadcasts(sessionmaker)
    assert sent.headers["location"] == f"/app/marketing/broadcasts/{broadcast.id}?done=sending"
    assert (broadcast.type, broadcast.status, broadcast.estimated_recipients) == ("sms", "sending", 2)
    assert broadcast.estimated_cost == Decimal("0.02")
    assert broadcast.created_by_id == manager.id
    await settle(app)
    async with sessionmaker() as session:
        rows = (
            await session.scalars(
                select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast.id)
            )
        ).all()
    assert sorted(row.address for row in rows) == ["+351912345670", "+351912345671"]

    page = await client.get(sent.headers["location"], headers=manager.headers)
    assert page.status_code == 200
    assert "The broadcast is being sent." in page.text
    assert '<div class="h2 mb-0" data-stat="recipients">2</div>' in page.text
    assert '<div class="h2 mb-0" data-stat="sent">2</div>' in page.text
    assert (
        '<p class="message-bubble" data-message-sample>Hi Maria, your battery check is due.</p>' in page.text
    )
    assert page.text.count('data-recipient-status="sent"') == 2
    assert "2 recipients · page 1 of 1" in page.text
    assert ">Rita Nunes</a>" in page.text
    assert "Cancel the broadcast" not in page.text
    delivered_only = await client.get(
        f"/app/marketing/broadcasts/{broadcast.id}?status=delivered", headers=manager.headers
    )
    assert "data-recipient-status" not in delivered_only.text
    assert "No recipients here" in delivered_only.text


async def test_a_broadcast_is_scheduled_at_the_shops_time_then_cancelled(client, shop, sessionmaker):
    manager = shop["manager"]
    scheduled = await client.post(
        NEW, data=_form(action="schedule", scheduleAt="2026-06-20T10:00"), headers=manager.headers
    )
    assert scheduled.status_code == 303
    (broadcast,) = await _broadcasts(sessionmaker)
    at = broadcast.schedule_at if broadcast.schedule_at.tzinfo else broadcast.schedule_at.replace(tzinfo=UTC)
    assert at == datetime(2026, 6, 20, 9, 0, tzinfo=UTC)  # 10:00 in Lisbon
    page = await client.get(scheduled.headers["location"], headers=manager.headers)
    assert "The broadcast is scheduled." in page.text
    assert "data-audience-count>2</dd>" in page.text
    assert "No recipients yet" in page.text
    assert "Cancel the broadcast" in page.text

    cancelled = await client.post(f"/app/marketing/broadcasts/{broadcast.id}/cancel", headers=manager.headers)
    again = await client.post(f"/app/marketing/broadcasts/{broadcast.id}/cancel", headers=manager.headers)

    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/app/marketing/broadcasts/{broadcast.id}?done=cancelled"
    assert again.status_code == 409
    (broadcast,) = await _broadcasts(sessionmaker)
    assert broadcast.status == "cancelled"
    page = await client.get(cancelled.headers["location"], headers=manager.headers)
    assert "The broadcast is cancelled." in page.text
    assert 'data-broadcast-status="cancelled"' in page.text
    assert "Cancel the broadcast" not in page.text


async def test_a_template_fills_the_message_and_its_channel(client, shop):
    manager = shop["manager"]
    template = await client.post(
        "/api/v1/messages/templates",
        json={"name": "Pickup", "type": "whatsapp", "content": "{{ first_name }}, your phone is ready."},
        headers=manager.headers,
    )
    assert template.status_code == 201
    form = await client.get(NEW, headers=manager.headers)
    assert ">Pickup (WhatsApp)</option>" in form.text

    used = await client.post(
        NEW, data=_form(action="template", templateId=template.json()["id"]), headers=manager.headers
    )
    missing = await client.post(NEW, data=_form(action="template"), headers=manager.headers)

    assert used.status_code == 200
    assert ">{{ first_name }}, your phone is ready.</textarea>" in used.text
    assert 'name="type" value="whatsapp" checked' in used.text
    assert missing.status_code == 400
    assert 'id="broadcast-template-error"' in missing.text


async def test_an_agent_opens_no_broadcast_page(app, client, shop, sessionmaker):
    agent = shop["agent"]
    created = await client.post(
        "/api/v1/messages/send",
        json={"type": "sms", "content": "Hi", "recipientType": "all", "scheduleAt": "2026-07-01T09:00:00Z"},
        headers=shop["manager"].headers,
    )
    broadcast = f"/app/marketing/broadcasts/{created.json()['id']}"
    for path in ("/app/marketing/broadcasts", NEW, broadcast):
        response = await client.get(path, headers=agent.headers)
        assert response.status_code == 403, path
    for path in (NEW, ESTIMATE, f"{broadcast}/cancel"):
        response = await client.post(path, data=_form(confirmed="yes"), headers=agent.headers)
        assert response.status_code == 403, path
    (row,) = await _broadcasts(sessionmaker)
    assert row.status == "scheduled"


async def test_one_broadcast_to_one_customer_is_counted_in_the_singular(app, client, shop, sessionmaker):
    manager = shop["manager"]
    english = {**manager.headers, "Accept-Language": "en"}
    portuguese = {**manager.headers, "Accept-Language": "pt-PT"}
    one = {"recipientType": "customers", "customerIds": f"{shop['people']['Rita'].id}"}

    asked = await client.post(NEW, data=_form(**one), headers=english)
    asked_in_portuguese = await client.post(NEW, data=_form(**one), headers=portuguese)
    estimate_in_portuguese = await client.post(ESTIMATE, data=_form(**one), headers=portuguese)
    sent = await client.post(NEW, data=_form(confirmed="yes", **one), headers=english)
    assert sent.status_code == 303
    await settle(app)
    listed = await client.get("/app/marketing/broadcasts", headers=english)
    listed_in_portuguese = await client.get("/app/marketing/broadcasts", headers=portuguese)
    page = await client.get(sent.headers["location"], headers=english)
    page_in_portuguese = await client.get(sent.headers["location"], headers=portuguese)

    assert "Send this SMS now to 1 customer?" in asked.text
    assert "Enviar este SMS já a 1 cliente?" in asked_in_portuguese.text
    # The segment's price by pt-PT's rules, finer than cents (the shop's currency is US dollars).
    assert "Destinatários × segmentos × 0,0079\xa0US$ por segmento." in estimate_in_portuguese.text
    assert "1 broadcast · page 1 of 1" in listed.text
    assert "1 difusão · página 1 de 1" in listed_in_portuguese.text
    assert "for 1 customer (segments per message: 1)" in page.text
    assert "1 recipient · page 1 of 1" in page.text
    assert "1 destinatário · página 1 de 1" in page_in_portuguese.text
