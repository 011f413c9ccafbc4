"""Email campaigns end to end: templates checked at save time, preview, audience count, sending through the
real job worker into a real SMTP sink (aiosmtpd on 127.0.0.1), the tracking links, one-click unsubscribe,
stats, ``campaign.sent``, and no message sent twice whatever reruns or crashes happen."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from fixdesk.db import transaction, utcnow
from fixdesk.marketing import access
from fixdesk.marketing.campaigns import sending
from fixdesk.marketing.campaigns.models import CampaignRecipient, EmailCampaign
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import build_services
from tests.conftest import make_settings
from tests.factories import event_payloads, make_customer, make_user
from tests.support.smtp_sink import SmtpSink, smtp_sink

__all__ = ["smtp_sink"]

BASE = "https://shop.example.com"
BODY = (
    "<html><body><p>Hi {{ first_name }} {{ last_name }},</p>"
    '<p>Your battery check is due. <a href="https://shop.example.com/book?src=mail">Book now</a> or see '
    '<a href="https://shop.example.com/offers">our offers</a>.</p></body></html>'
)


@pytest.fixture
async def settings(database_url: str, tmp_path: Any, smtp_sink: SmtpSink) -> Any:
    return make_settings(
        database_url,
        tmp_path,
        public_base_url=BASE,
        campaign_rate_per_second=0,
        campaign_batch_size=2,
        campaign_send_jobs=2,
        campaign_unsubscribe_mailto="unsubscribe@shop.example.com",
        **smtp_sink.settings(),
    )


async def consenting(app: Any, sessionmaker: Any, count: int, **fields: Any) -> list[Any]:
    customers = []
    for index in range(count):
        customer = await make_customer(app, sessionmaker, first_name=f"Ana{index}", **fields)
        async with transaction(sessionmaker) as session:
            await access.record_consent(
                session, customer_id=customer.id, channel="email", granted=True, source="staff"
            )
        customers.append(customer)
    return customers


async def run_jobs(app: Any, *, worker_id: str | None = None) -> int:
    settings = app.state.settings
    services = build_services(settings)
    try:
        worker = Worker(
            app.state.sessionmaker,
            read_sessionmaker=app.state.read_sessionmaker,
            settings=settings,
            services=services,
            concurrency=1,
            run_periodic=False,
            worker_id=worker_id,
        )
        return await worker.drain()
    finally:
        await services.aclose()


async def new_campaign(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Battery check", "subject": "{{ first_name }}, your battery", "body": BODY, **fields}
    response = await client.post("/api/v1/email-campaigns", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def per_recipient(sink: SmtpSink) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in sink.messages:
        for address in message.rcpt_tos:
            counts[address] = counts.get(address, 0) + 1
    return counts


async def test_templates_are_checked_when_saved(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any
) -> None:
    admin = await make_user(app, sessionmaker)
    unknown = await client.post(
        "/api/v1/email-templates",
        json={
            "name": "Bad",
            "subject": "Hi {{ first_nme }}",
            "body": "<p>x</p>",
            "templateType": "promotion",
        },
        headers=admin.headers,
    )
    assert unknown.status_code == 422
    problem = unknown.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert problem["errors"][0]["field"] == "subject"
    assert "first_nme" in problem["errors"][0]["message"]
    broken = await client.post(
        "/api/v1/email-templates",
        json={"name": "Bad", "subject": "Hi", "body": "<p>\n{% if first_name %}</p>"},
        headers=admin.headers,
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "body"
    assert "line 2" in broken.json()["errors"][0]["message"]
    sandbox = await client.post(
        "/api/v1/email-templates",
        json={"name": "Bad", "subject": "Hi", "body": "{{ first_name.__class__.__mro__ }}"},
        headers=admin.headers,
    )
    assert sandbox.status_code == 422

    created = await client.post(
        "/api/v1/email-templates",
        json={"name": "Welcome", "subject": "Welcome to {{ shop_name }}", "body": BODY, "type": "welcome"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["templateType"] == "welcome"
    assert template["variables"] == ["first_name", "last_name", "shop_name"]
    listed = await client.get("/api/v1/email-templates", headers=admin.headers)
    assert [item["name"] for item in listed.json()["items"]] == ["Welcome"]
    changed = await client.patch(
        f"/api/v1/email-templates/{template['id']}", json={"subject": "{{ nope }}"}, headers=admin.headers
    )
    assert changed.status_code == 422
    # A campaign made from the template copies its subject and body.
    campaign = await client.post(
        "/api/v1/email-campaigns",
        json={"name": "From template", "templateId": template["id"]},
        headers=admin.headers,
    )
    assert campaign.status_code == 201, campaign.text
    assert campaign.json()["subject"] == "Welcome to {{ shop_name }}"
    assert campaign.json()["templateType"] == "welcome"
    assert campaign.json()["status"] == "draft"
    deleted = await client.delete(f"/api/v1/email-templates/{template['id']}", headers=admin.headers)
    assert deleted.status_code == 204


async def test_preview_and_audience_count(client: httpx.AsyncClient, app: Any, sessionmaker: Any) -> None:
    admin = await make_user(app, sessionmaker)
    ana, _ = await consenting(app, sessionmaker, 2)
    await make_customer(app, sessionmaker)  # no consent: not in the audience
    campaign = await new_campaign(client, admin.headers)

    count = await client.get(
        f"/api/v1/email-campaigns/{campaign['id']}/audience-count", headers=admin.headers
    )
    assert count.json()["count"] == 2

    sample = await client.post(
        f"/api/v1/email-campaigns/{campaign['id']}/preview", json={}, headers=admin.headers
    )
    assert sample.status_code == 200, sample.text
    assert sample.json()["subject"] == "Ana, your battery"
    assert "Hi Ana Example," in sample.json()["html"]
    assert sample.json()["links"] == [
        "https://shop.example.com/book?src=mail",
        "https://shop.example.com/offers",
    ]

    mine = await client.post(
        f"/api/v1/email-campaigns/{campaign['id']}/preview",
        json={"customerId": str(ana.id)},
        headers=admin.headers,
    )
    assert "Hi Ana0 Silva," in mine.json()["html"]
    assert mine.json()["to"] == ana.email
    assert "Book now (https://shop.example.com/book?src=mail)" in mine.json()["text"]


async def test_a_customer_name_is_escaped_in_the_body(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any
) -> None:
    admin = await make_user(app, sessionmaker)
    (customer,) = await consenting(app, sessionmaker, 1, last_name="<b>Bold</b>")
    campaign = await new_campaign(client, admin.headers)
    preview = await client.post(
        f"/api/v1/email-campaigns/{campaign['id']}/preview",
        json={"customerId": str(customer.id)},
        headers=admin.headers,
    )
    assert "&lt;b&gt;Bold&lt;/b&gt;" in preview.json()["html"]


async def test_sending_delivers_each_message_once_with_tracking_and_unsubscribe(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any, smtp_sink: SmtpSink
) -> None:
    admin = await make_user(app, sessionmaker)
    customers = await consenting(app, sessionmaker, 5)
    await make_customer(app, sessionmaker)  # never consented
    suppressed = customers[4]
    campaign = await new_campaign(client, admin.headers)

    response = await client.post(f"/api/v1/email-campaigns/{campaign['id']}/send", headers=admin.headers)
    assert response.status_code == 202, response.text
    assert response.json()["recipientCount"] == 5
    assert response.json()["status"] == "sending"
    # Suppressed after the recipients were chosen, before its turn: skipped, never sent.
    async with transaction(sessionmaker) as session:
        await access.suppress(
            session, channel="email", address=suppressed.email, reason="unsubscribed", source="api"
        )

    await run_jobs(app)
    await run_jobs(app)  # a rerun finds nothing to send

    counts = per_recipient(smtp_sink)
    assert counts == {customer.email: 1 for customer in customers[:4]}
    received = next(m for m in smtp_sink.messages if m.rcpt_tos == [customers[0].email])
    message = received.message
    assert message["Subject"] == "Ana0, your battery"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(
        rf"<{re.escape(BASE)}/unsubscribe/[\w-]+\.[\w-]+>, <mailto:unsubscribe@shop\.example\.com\?subject=[^>]+>",
        unsubscribe,
    ), unsubscribe
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Hi Ana0 Silva," in html
    assert "shop.example.com/book" not in html  # every literal link is rewritten
    clicks = re.findall(rf'href="({re.escape(BASE)}/t/c/[^"]+)"', html)
    assert len(clicks) == 2
    pixel = re.search(rf'<img src="({re.escape(BASE)}/t/o/[^"]+\.gif)"', html)
    assert pixel is not None
    assert "Unsubscribe" in html
    assert clicks[0] in text

    stats = (
        await client.get(f"/api/v1/email-campaigns/{campaign['id']}/stats", headers=admin.headers)
    ).json()
    assert stats["status"] == "sent"
    assert (stats["recipients"], stats["sent"], stats["skipped"], stats["delivered"]) == (5, 4, 1, 4)

    # Open, click, and a click on anything that is not one of the campaign's links.
    path = lambda url: url.removeprefix(BASE)  # noqa: E731
    gif = await client.get(path(pixel.group(1)))
    assert gif.status_code == 200
    assert gif.headers["content-type"] == "image/gif"
    redirect = await client.get(path(clicks[1]))
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "https://shop.example.com/offers"
    outside = await client.get(re.sub(r"/\d+$", "/7", path(clicks[1])))
    assert outside.status_code == 404
    forged = await client.get(re.sub(r"\.[\w-]+/", ".AAAAAAAAAAAAAAAAAAAAAA/", path(clicks[1])))
    assert forged.status_code == 404

    # The unsubscribe page changes nothing; the one-click POST unsubscribes.
    url = path(unsubscribe.split(">")[0].lstrip("<"))
    page = await client.get(url)
    assert page.status_code == 200
    assert "<form" in page.text
    async with transaction(sessionmaker) as session:
        assert not await access.is_suppressed(session, "email", customers[0].email)
    one_click = await client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    async with transaction(sessionmaker) as session:
        assert await access.is_suppressed(session, "email", customers[0].email)
        audience = await access.count_audience(
            session, access.AudienceSpec(recipient_type="customers", customer_ids=[customers[0].id]), "email"
        )
    assert audience == 0

    stats = (
        await client.get(f"/api/v1/email-campaigns/{campaign['id']}/stats", headers=admin.headers)
    ).json()
    assert (stats["opened"], stats["clicked"], stats["unsubscribed"]) == (1, 1, 1)
    assert stats["openRate"] == 25.0
    assert stats["clickRate"] == 25.0
    listed = (await client.get("/api/v1/email-campaigns", headers=admin.headers)).json()["items"][0]
    assert (listed["sentCount"], listed["openedCount"], listed["clickedCount"]) == (4, 1, 1)

    (event,) = await event_payloads(sessionmaker, "campaign.sent")
    assert event["campaignId"] == campaign["id"]
    assert event["sentCount"] == 4
    assert event["skippedCount"] == 1

    again = await client.post(f"/api/v1/email-campaigns/{campaign['id']}/send", headers=admin.headers)
    assert again.status_code == 409


async def test_a_crashed_batch_is_not_sent_again(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any, smtp_sink: SmtpSink
) -> None:
    """A worker claims a batch and dies before sending (or before recording): once its claim expires, its
    rows are recorded failed, never resent; the rest of the campaign goes out once."""
    admin = await make_user(app, sessionmaker)
    customers = await consenting(app, sessionmaker, 5)
    campaign = await new_campaign(client, admin.headers)
    await client.post(f"/api/v1/email-campaigns/{campaign['id']}/send", headers=admin.headers)
    campaign_id = uuid.UUID(campaign["id"])

    async with transaction(sessionmaker) as session:
        crashed = await sending.claim_batch(session, campaign_id, "dead-worker", 2, timedelta(seconds=60))
    assert len(crashed) == 2
    # While the dead worker's claim holds, another worker sends the others and leaves those alone.
    await run_jobs(app)
    assert sorted(per_recipient(smtp_sink)) == sorted(
        c.email for c in customers if c.id not in {r.customer_id for r in crashed}
    )
    async with transaction(sessionmaker) as session:
        assert (await session.get(EmailCampaign, campaign_id)).status == "sending"
        # The lease runs out; the planned check finds it.
        await session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.claimed_by == "dead-worker")
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
        await enqueue(session, sending.FINISH_JOB, {"campaignId": str(campaign_id)})
    await run_jobs(app)

    counts = per_recipient(smtp_sink)
    assert len(counts) == 3
    assert set(counts.values()) == {1}
    async with transaction(sessionmaker) as session:
        rows = (
            await session.scalars(
                select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id)
            )
        ).all()
        failed = {row.customer_id for row in rows if row.status == "failed"}
        assert failed == {row.customer_id for row in crashed}
        assert all(row.error == sending.INTERRUPTED for row in rows if row.status == "failed")
        assert (await session.get(EmailCampaign, campaign_id, populate_existing=True)).status == "sent"


async def test_a_temporary_refusal_is_retried_and_a_permanent_one_fails(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any, smtp_sink: SmtpSink
) -> None:
    admin = await make_user(app, sessionmaker)
    customers = await consenting(app, sessionmaker, 3)
    campaign = await new_campaign(client, admin.headers)
    smtp_sink.fail_next(1, "451 4.3.0 Try again later")
    await client.post(f"/api/v1/email-campaigns/{campaign['id']}/send", headers=admin.headers)
    await run_jobs(app)
    await run_jobs(app)
    assert per_recipient(smtp_sink) == {customer.email: 1 for customer in customers}
    stats = (
        await client.get(f"/api/v1/email-campaigns/{campaign['id']}/stats", headers=admin.headers)
    ).json()
    assert (stats["sent"], stats["failed"], stats["status"]) == (3, 0, "sent")


async def test_scheduled_campaign_starts_when_due_and_cancel_stops_one(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any, smtp_sink: SmtpSink
) -> None:
    admin = await make_user(app, sessionmaker)
    await consenting(app, sessionmaker, 2)
    later = (utcnow() + timedelta(days=1)).isoformat()
    past = await client.post(
        "/api/v1/email-campaigns",
        json={
            "name": "x",
            "subject": "s",
            "body": "b",
            "scheduleAt": (utcnow() - timedelta(days=1)).isoformat(),
        },
        headers=admin.headers,
    )
    assert past.status_code == 400
    scheduled = await new_campaign(client, admin.headers, scheduleAt=later)
    assert scheduled["status"] == "scheduled"
    cancelled = await new_campaign(client, admin.headers, scheduleAt=later)
    response = await client.post(f"/api/v1/email-campaigns/{cancelled['id']}/cancel", headers=admin.headers)
    assert response.json()["status"] == "cancelled"
    async with transaction(sessionmaker) as session:
        await session.execute(update(EmailCampaign).values(schedule_at=utcnow() - timedelta(minutes=1)))
        await enqueue(session, sending.START_DUE_JOB, {})
    await run_jobs(app)
    assert len(smtp_sink.messages) == 2
    assert all(m.message["X-Fixdesk-Campaign"] == scheduled["id"] for m in smtp_sink.messages)
    got = (await client.get(f"/api/v1/email-campaigns/{scheduled['id']}", headers=admin.headers)).json()
    assert (got["status"], got["sentCount"]) == ("sent", 2)


async def test_only_campaign_staff_may_use_campaigns(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any
) -> None:
    technician = await make_user(app, sessionmaker, "technician")
    manager = await make_user(app, sessionmaker, "manager")
    assert (await client.get("/api/v1/email-campaigns", headers=technician.headers)).status_code == 403
    assert (await client.get("/api/v1/email-campaigns", headers=manager.headers)).status_code == 200


@pytest.mark.commits
async def test_two_workers_racing_send_each_message_once(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any, smtp_sink: SmtpSink
) -> None:
    """Two workers, each with several job slots, claim the same campaign's batches at once (``FOR UPDATE
    SKIP LOCKED`` on PostgreSQL, SQLite's single writer): every customer gets exactly one message."""
    admin = await make_user(app, sessionmaker)
    customers = await consenting(app, sessionmaker, 12)
    campaign = await new_campaign(client, admin.headers)
    await client.post(f"/api/v1/email-campaigns/{campaign['id']}/send", headers=admin.headers)
    settings = app.state.settings
    services = [build_services(settings), build_services(settings)]
    workers = [
        Worker(app.state.sessionmaker, settings=settings, services=service, concurrency=2, run_periodic=False)
        for service in services
    ]
    try:
        await asyncio.gather(*(worker.drain() for worker in workers))
    finally:
        for service in services:
            await service.aclose()
    assert per_recipient(smtp_sink) == {customer.email: 1 for customer in customers}
    got = (await client.get(f"/api/v1/email-campaigns/{campaign['id']}", headers=admin.headers)).json()
    assert (got["status"], got["sentCount"]) == ("sent", 12)


async def test_a_change_schedules_unschedules_and_retargets_a_campaign(
    client: httpx.AsyncClient, app: Any, sessionmaker: Any
) -> None:
    admin = await make_user(app, sessionmaker, "admin")
    (customer,) = await consenting(app, sessionmaker, 1, email="one@example.com")
    campaign = await new_campaign(client, admin.headers)
    later = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    url = f"/api/v1/email-campaigns/{campaign['id']}"

    scheduled = await client.patch(url, json={"scheduleAt": later.isoformat()}, headers=admin.headers)
    retargeted = await client.patch(
        url, json={"recipientType": "customers", "customerIds": [str(customer.id)]}, headers=admin.headers
    )
    unscheduled = await client.patch(url, json={"scheduleAt": None}, headers=admin.headers)

    assert (scheduled.json()["status"], scheduled.json()["scheduleAt"][:19]) == (
        "scheduled",
        later.isoformat()[:19],
    )
    assert retargeted.json()["recipientType"] == "customers"
    assert retargeted.json()["customerIds"] == [str(customer.id)]
    assert (unscheduled.json()["status"], unscheduled.json()["scheduleAt"]) == ("draft", None)
