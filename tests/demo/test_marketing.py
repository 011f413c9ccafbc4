"""The demo shop's marketing (fixdesk.demo.marketing): most customers' consent per channel with when and
how, its history, the addresses sends must skip, the saved segments, the email campaigns and the SMS
broadcast, read by the API and the pages.
Loaded once per backend for a fixed moment, without the field team, the books and the sales."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC

import pytest
from sqlalchemy import select

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.db import transaction
from fixdesk.demo.loader import load_demo
from fixdesk.marketing.broadcasts.models import Broadcast, BroadcastRecipient
from fixdesk.marketing.campaigns.models import CampaignRecipient, EmailCampaign
from fixdesk.marketing.campaigns.service import start_due
from fixdesk.marketing.models import MarketingConsent, MarketingConsentChange, Segment, Suppression
from fixdesk.platform.jobs.models import Job
from tests.demo.conftest import DEMO_NOW
from tests.factories import make_user

pytestmark = pytest.mark.commits


def aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_the_demo_shops_customers_gave_consent_and_its_segments_count_live(
    engine, app, client, sessionmaker, settings, demo_clock
):
    summary = await load_demo(settings, scale=1, now=DEMO_NOW, sections=("marketing",))
    async with engine.connect() as connection:

        async def rows(table):
            return (await connection.execute(select(table))).mappings().all()

        consents = await rows(MarketingConsent.__table__)
        changes = await rows(MarketingConsentChange.__table__)
        suppressions = await rows(Suppression.__table__)
        segments = await rows(Segment.__table__)
        tagged = await rows(CustomerTag.__table__)
        customers = {row["id"]: row for row in await rows(Customer.__table__)}

    # Most customers with an address opted in, a realistic share per channel, a few withdrew since.
    assert (summary.marketing_consents, summary.suppressions, summary.segments) == (241, 13, 5)
    assert Counter((row["channel"], row["granted"]) for row in consents) == {
        ("email", True): 120,
        ("email", False): 9,
        ("sms", True): 64,
        ("sms", False): 4,
        ("whatsapp", True): 44,
    }
    with_email = sum(1 for row in customers.values() if row["email"] and row["archived_at"] is None)
    assert 0.5 < 129 / with_email < 0.7
    assert Counter(row["source"] for row in changes) == {
        "staff": 126,
        "portal": 44,
        "web_form": 36,
        "import": 35,
        "unsubscribe_link": 9,
        "sms_keyword": 4,
    }

    # Each consent's history ends in its current state, given after the customer came and before now.
    history = defaultdict(list)
    for change in changes:
        history[(change["customer_id"], change["channel"])].append(change)
    assert len(history) == len(consents)
    for consent in consents:
        own = sorted(
            history[(consent["customer_id"], consent["channel"])], key=lambda row: aware(row["changed_at"])
        )
        assert own[0]["granted"] is True
        last = own[-1]
        assert (last["granted"], last["source"], aware(last["changed_at"])) == (
            consent["granted"],
            consent["source"],
            aware(consent["changed_at"]),
        )
        customer = customers[consent["customer_id"]]
        assert aware(customer["created_at"]) <= aware(own[0]["changed_at"]) <= DEMO_NOW
        assert customer["archived_at"] is None

    # Who unsubscribed or texted STOP is suppressed at the address they were reached on.
    withdrawn = {
        (
            row["channel"],
            customers[row["customer_id"]]["email" if row["channel"] == "email" else "phone"].lower(),
        )
        for row in consents
        if not row["granted"] and row["source"] in ("unsubscribe_link", "sms_keyword")
    }
    assert {(row["channel"], row["address"]) for row in suppressions} == withdrawn
    assert Counter(row["reason"] for row in suppressions) == {"unsubscribed": 9, "stop": 4}

    # The saved segments count live through the API and the pages.
    assert sorted(row["name"] for row in segments) == [
        "At risk",
        "Battery check due",
        "Big spenders",
        "Champions",
        "VIP",
    ]
    assert sum(1 for row in tagged if row["tag"] == "battery-check") == 26
    manager = await make_user(app, sessionmaker, "manager")
    ids = {row["name"]: row["id"] for row in segments}
    battery = await client.get(f"/api/v1/segments/{ids['Battery check due']}", headers=manager.headers)
    assert battery.json()["customerCount"] == 26
    page = await client.get("/app/marketing/segments", headers=manager.headers)
    assert f'data-segment-count="{ids["Battery check due"]}">26</td>' in page.text
    # Without the sales and the books nobody has bought anything: no champions yet.
    assert f'data-segment-count="{ids["Champions"]}">0</td>' in page.text
    someone = next(row for row in consents if row["granted"] and row["channel"] == "email")
    customer_page = await client.get(f"/app/customers/{someone['customer_id']}", headers=manager.headers)
    assert 'data-consent="email" data-granted="yes"' in customer_page.text


async def test_the_demo_shop_sent_two_campaigns_with_realistic_results_and_scheduled_one(
    engine, app, client, sessionmaker, settings, demo_clock
):
    summary = await load_demo(settings, scale=1, now=DEMO_NOW, sections=("marketing",))
    async with engine.connect() as connection:

        async def rows(table):
            return (await connection.execute(select(table))).mappings().all()

        campaigns = {row["name"]: row for row in await rows(EmailCampaign.__table__)}
        recipients = await rows(CampaignRecipient.__table__)
        consents = {
            row["customer_id"]: row
            for row in await rows(MarketingConsent.__table__)
            if row["channel"] == "email"
        }
        jobs = await rows(Job.__table__)

    assert (summary.email_campaigns, summary.campaign_recipients) == (3, 212)
    assert {name: row["status"] for name, row in campaigns.items()} == {
        "Spring accessories": "sent",
        "Summer screen protector offer": "sent",
        "Your battery check is due": "scheduled",
    }
    by_campaign = defaultdict(list)
    for row in recipients:
        by_campaign[row["campaign_id"]].append(row)
    fates = {
        name: Counter(row["status"] for row in by_campaign[campaign["id"]])
        for name, campaign in campaigns.items()
    }
    # About 95 % delivered, 2 % bounced, a quarter to a third of the delivered opened, 3-6 % clicked.
    assert fates == {
        "Spring accessories": {
            "sent": 65,
            "opened": 23,
            "clicked": 3,
            "unsubscribed": 3,
            "failed": 4,
            "bounced": 3,
        },
        "Summer screen protector offer": {"sent": 79, "opened": 23, "clicked": 4, "failed": 3, "bounced": 2},
        "Your battery check is due": {},
    }

    for name in ("Spring accessories", "Summer screen protector offer"):
        campaign = campaigns[name]
        own = by_campaign[campaign["id"]]
        sent_at = aware(campaign["started_at"])
        assert campaign["recipient_count"] == len(own)
        # Everyone it went to had agreed to marketing email before it was sent.
        for row in own:
            consent = consents[row["customer_id"]]
            assert aware(consent["changed_at"]) < sent_at or not consent["granted"]
            steps = [aware(row[step]) for step in ("sent_at", "opened_at", "clicked_at") if row[step]]
            assert steps == sorted(steps)
            assert all(sent_at <= moment <= DEMO_NOW for moment in steps)
            if row["unsubscribed_at"]:
                assert sent_at < aware(row["unsubscribed_at"]) <= DEMO_NOW
                assert consent["granted"] is False
                assert consent["source"] == "unsubscribe_link"

    # Realistic results, through the API's stats.
    manager = await make_user(app, sessionmaker, "manager")
    stats = await client.get(
        f"/api/v1/email-campaigns/{campaigns['Spring accessories']['id']}/stats", headers=manager.headers
    )
    figures = {key: value for key, value in stats.json().items() if key != "campaignId"}
    assert figures == {
        "status": "sent",
        "recipients": 101,
        "queued": 0,
        "skipped": 0,
        "sent": 97,
        "delivered": 94,
        "failed": 4,
        "bounced": 3,
        "opened": 28,
        "clicked": 3,
        "unsubscribed": 3,
        "deliveryRate": 96.91,
        "bounceRate": 3.09,
        "openRate": 29.79,
        "clickRate": 3.19,
        "clickToOpenRate": 10.71,
        "unsubscribeRate": 3.19,
    }

    # Nothing is queued to send: the sent campaigns are not sent again, the scheduled one waits for its time.
    scheduled = campaigns["Your battery check is due"]
    assert aware(scheduled["schedule_at"]) > DEMO_NOW
    assert not [job for job in jobs if "campaign" in job["kind"]]
    assert not [row for row in recipients if row["status"] in ("queued", "sending")]
    async with transaction(sessionmaker) as session:
        assert await start_due(session, settings) == 0
    async with sessionmaker() as session:
        assert (await session.get(EmailCampaign, scheduled["id"])).status == "scheduled"

    page = await client.get("/app/marketing/campaigns", headers=manager.headers)
    assert page.text.count('data-campaign-status="sent"') == 2
    assert page.text.count('data-campaign-status="scheduled"') == 1


async def test_the_demo_shop_sent_an_sms_broadcast_with_realistic_delivery_and_nothing_queued(
    engine, app, client, sessionmaker, settings, demo_clock
):
    summary = await load_demo(settings, scale=1, now=DEMO_NOW, sections=("marketing",))
    async with engine.connect() as connection:

        async def rows(table):
            return (await connection.execute(select(table))).mappings().all()

        (broadcast,) = await rows(Broadcast.__table__)
        recipients = await rows(BroadcastRecipient.__table__)
        changes = await rows(MarketingConsentChange.__table__)
        jobs = await rows(Job.__table__)

    assert (summary.broadcasts, summary.broadcast_recipients) == (1, len(recipients))
    fates = Counter(row["status"] for row in recipients)
    assert fates == {"delivered": 56, "undelivered": 1, "failed": 4}
    # Its counters agree with its recipients, as the sender and Twilio's callbacks keep them.
    assert (broadcast["status"], broadcast["type"], broadcast["recipient_count"]) == (
        "sent",
        "sms",
        len(recipients),
    )
    assert (broadcast["sent_count"], broadcast["delivered_count"], broadcast["failed_count"]) == (
        len(recipients),
        fates["delivered"],
        fates["undelivered"] + fates["failed"],
    )
    started = aware(broadcast["started_at"])
    assert started < aware(broadcast["sent_at"]) < DEMO_NOW
    # Everyone it went to had agreed to marketing SMS before it was sent and had not texted STOP by then.
    sms_history = defaultdict(list)
    for change in changes:
        if change["channel"] == "sms":
            sms_history[change["customer_id"]].append((aware(change["changed_at"]), change["granted"]))
    for row in recipients:
        before = sorted(moment for moment in sms_history[row["customer_id"]] if moment[0] < started)
        assert before
        assert before[-1][1] is True
        if row["status"] == "delivered":
            assert started <= aware(row["sent_at"]) < aware(row["delivered_at"]) < DEMO_NOW
        else:
            assert row["error"]

    # Nothing is queued to send: no broadcast job, no recipient waiting or in a worker's hands.
    assert not [job for job in jobs if job["kind"].startswith("broadcasts.")]
    assert not [row for row in recipients if row["status"] in ("queued", "sending")]

    manager = await make_user(app, sessionmaker, "manager")
    shown = await client.get(f"/api/v1/messages/{broadcast['id']}", headers=manager.headers)
    # 56 delivered of 61 sent; one GSM-7 segment each: 61 × 1 × 0.0079 = 0.4819.
    assert (shown.json()["deliveryRate"], shown.json()["estimatedCost"]) == (91.8, 0.48)
    page = await client.get("/app/marketing/broadcasts", headers=manager.headers)
    assert page.text.count('data-broadcast-status="sent"') == 1
    assert f'data-delivery-rate="{broadcast["id"]}">91.80 %</td>' in page.text
    detail = await client.get(
        f"/app/marketing/broadcasts/{broadcast['id']}?status=undelivered", headers=manager.headers
    )
    assert detail.text.count('data-recipient-status="undelivered"') == fates["undelivered"]
