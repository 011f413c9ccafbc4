"""The email campaign pages of the staff app over HTTP (issue 13, item 9): the campaigns with their status,
audience and results; the editor's live audience count and rendered preview; a template error shown on
the form with nothing saved; scheduling at the shop's wall-clock time; sending after a confirmation; the
results page; under the API's permissions (a front-desk agent opens none of it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from fixdesk.db import transaction
from fixdesk.marketing import access
from fixdesk.marketing.campaigns.models import CampaignRecipient, EmailCampaign
from tests.conftest import make_settings
from tests.factories import make_customer, make_user

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]

BODY = "<p>Hello {{ first_name }}, your battery check is due.</p>"


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, shop_timezone="Europe/Lisbon")


@pytest.fixture
async def shop(app, sessionmaker):
    """Three customers with an email, two of whom (Rita and Joao) agreed to marketing email."""
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    people = {}
    for first in ("Rita", "Joao", "Marta"):
        people[first] = await make_customer(app, sessionmaker, first_name=first, last_name="Nunes")
    async with transaction(sessionmaker) as session:
        for first in ("Rita", "Joao"):
            await access.record_consent(
                session, customer_id=people[first].id, channel="email", granted=True, source="staff"
            )
    return {"manager": manager, "agent": agent, "people": people}


def _form(**values: str) -> dict[str, str]:
    form = {
        "name": "Battery check",
        "subject": "{{ first_name }}, your battery",
        "body": BODY,
        "recipientType": "all",
        "segmentId": "",
        "customerIds": "",
        "scheduleAt": "",
        "action": "draft",
    }
    form.update(values)
    return form


async def _campaigns(sessionmaker) -> list[EmailCampaign]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(EmailCampaign))).all())


async def test_the_list_shows_each_campaigns_status_audience_and_rates(client, shop):
    manager = shop["manager"]
    draft = await client.post(
        "/api/v1/email-campaigns",
        json={"name": "Spring offers", "subject": "Offers", "body": BODY},
        headers=manager.headers,
    )
    chosen = await client.post(
        "/api/v1/email-campaigns",
        json={
            "name": "Two friends",
            "subject": "Hi",
            "body": BODY,
            "recipientType": "customers",
            "customerIds": [str(shop["people"]["Rita"].id), str(shop["people"]["Joao"].id)],
            "scheduleAt": "2026-07-01T09:00:00Z",
        },
        headers=manager.headers,
    )
    assert draft.status_code == chosen.status_code == 201

    page = await client.get("/app/marketing/campaigns", headers=manager.headers)

    assert page.status_code == 200
    assert 'href="/app/marketing/segments"' in page.text  # the Marketing tabs
    assert ">Spring offers</a>" in page.text
    assert ">Two friends</a>" in page.text
    assert 'data-campaign-status="draft"' in page.text
    assert 'data-campaign-status="scheduled"' in page.text
    assert "Chosen customers: 2" in page.text
    assert "Every consenting customer" in page.text
    assert f'data-sent="{draft.json()["id"]}">0</td>' in page.text
    # Scheduled at 09:00 UTC: 10:00 in Lisbon's summer.
    assert "10:00" in page.text


async def test_the_editor_counts_the_audience_and_previews_the_email_for_the_sample_customer(
    client, shop, sessionmaker
):
    manager = shop["manager"]
    everyone = await client.post("/app/marketing/campaigns/audience", data=_form(), headers=manager.headers)
    one = await client.post(
        "/app/marketing/campaigns/audience",
        data=_form(recipientType="customers", customerIds=f"{shop['people']['Rita'].id}"),
        headers=manager.headers,
    )
    no_segment = await client.post(
        "/app/marketing/campaigns/audience", data=_form(recipientType="segment"), headers=manager.headers
    )
    preview = await client.post(
        "/app/marketing/campaigns/email-preview", data=_form(), headers=manager.headers
    )
    broken = await client.post(
        "/app/marketing/campaigns/email-preview",
        data=_form(body="<p>Hello {{ nickname }}</p>"),
        headers=manager.headers,
    )

    assert "<strong data-audience-count>2</strong>" in everyone.text  # Marta did not agree
    assert "<strong data-audience-count>1</strong>" in one.text
    assert 'id="campaign-count-problem"' in no_segment.text
    assert preview.status_code == 200
    assert "<p>Hello Ana, your battery check is due.</p>" in preview.text
    assert "sandbox" in preview.headers["content-security-policy"]
    assert broken.status_code == 200
    assert "unknown variable nickname" in broken.text
    assert await _campaigns(sessionmaker) == []


async def test_a_template_error_is_shown_on_the_form_and_nothing_is_saved(client, shop, sessionmaker):
    response = await client.post(
        "/app/marketing/campaigns/new",
        data=_form(body="<p>Hello {{ first_name }</p>"),
        headers=shop["manager"].headers,
    )

    assert response.status_code == 422
    assert 'id="campaign-body-error"' in response.text
    assert "Hello {{ first_name }</p>" in response.text.replace("&lt;", "<").replace("&gt;", ">")
    assert await _campaigns(sessionmaker) == []


async def test_a_draft_is_saved_then_scheduled_at_the_shops_time(client, shop, sessionmaker):
    manager = shop["manager"]
    saved = await client.post("/app/marketing/campaigns/new", data=_form(), headers=manager.headers)
    assert saved.status_code == 303
    (campaign,) = await _campaigns(sessionmaker)
    assert saved.headers["location"] == f"/app/marketing/campaigns/{campaign.id}?done=saved"
    assert campaign.status == "draft"

    past = await client.post(
        f"/app/marketing/campaigns/{campaign.id}/edit",
        data=_form(action="schedule", scheduleAt="2026-06-01T10:00"),
        headers=manager.headers,
    )
    scheduled = await client.post(
        f"/app/marketing/campaigns/{campaign.id}/edit",
        data=_form(action="schedule", scheduleAt="2026-06-20T10:00", name="Battery check due"),
        headers=manager.headers,
    )
    page = await client.get(f"/app/marketing/campaigns/{campaign.id}", headers=manager.headers)
    editor = await client.get(f"/app/marketing/campaigns/{campaign.id}/edit", headers=manager.headers)

    assert past.status_code == 400
    assert 'id="campaign-schedule-error"' in past.text
    assert scheduled.status_code == 303
    (campaign,) = await _campaigns(sessionmaker)
    assert (campaign.name, campaign.status) == ("Battery check due", "scheduled")
    at = campaign.schedule_at if campaign.schedule_at.tzinfo else campaign.schedule_at.replace(tzinfo=UTC)
    assert at == datetime(2026, 6, 20, 9, 0, tzinfo=UTC)  # 10:00 in Lisbon
    assert 'data-campaign-status="scheduled"' in page.text
    assert "<strong data-preview-subject>Ana, your battery</strong>" in page.text
    assert "data-audience-count>2</dd>" in page.text
    assert 'value="2026-06-20T10:00"' in editor.text


async def test_send_now_asks_first_then_sends_and_the_results_page_counts(client, shop, sessionmaker):
    manager = shop["manager"]
    asked = await client.post(
        "/app/marketing/campaigns/new", data=_form(action="send"), headers=manager.headers
    )
    assert asked.status_code == 200
    assert "Send this campaign now to 2 customers?" in asked.text
    assert await _campaigns(sessionmaker) == []

    sent = await client.post(
        "/app/marketing/campaigns/new", data=_form(action="send", confirmed="yes"), headers=manager.headers
    )
    assert sent.status_code == 303
    (campaign,) = await _campaigns(sessionmaker)
    assert campaign.status in ("sending", "sent")
    async with sessionmaker() as session:
        recipients = await session.scalar(
            select(func.count())
            .select_from(CampaignRecipient)
            .where(CampaignRecipient.campaign_id == campaign.id)
        )
    assert recipients == 2
    results = await client.get(sent.headers["location"], headers=manager.headers)
    assert results.status_code == 200
    assert "The campaign is being sent." in results.text
    assert '<div class="h2 mb-0" data-stat="recipients">2</div>' in results.text
    assert 'data-stat="unsubscribed"' in results.text
    email = await client.get(f"/app/marketing/campaigns/{campaign.id}/email", headers=manager.headers)
    assert "Hello Ana, your battery check is due." in email.text


async def test_an_agent_opens_no_campaign_page(client, shop):
    agent = shop["agent"]
    for path in ("/app/marketing/campaigns", "/app/marketing/campaigns/new"):
        response = await client.get(path, headers=agent.headers)
        assert response.status_code == 403, path
    posted = await client.post("/app/marketing/campaigns/new", data=_form(), headers=agent.headers)
    assert posted.status_code == 403


async def test_a_draft_whose_segment_was_deleted_still_opens(client, shop):
    manager = shop["manager"]
    segment = await client.post(
        "/api/v1/segments", json={"name": "Everyone", "filter": {}}, headers=manager.headers
    )
    campaign = await client.post(
        "/api/v1/email-campaigns",
        json={
            "name": "To a segment",
            "subject": "Hi",
            "body": BODY,
            "recipientType": "segment",
            "segmentId": segment.json()["id"],
        },
        headers=manager.headers,
    )
    deleted = await client.delete(f"/api/v1/segments/{segment.json()['id']}", headers=manager.headers)
    assert deleted.status_code == 204

    page = await client.get(f"/app/marketing/campaigns/{campaign.json()['id']}", headers=manager.headers)
    editor = await client.get(
        f"/app/marketing/campaigns/{campaign.json()['id']}/edit", headers=manager.headers
    )

    assert page.status_code == 200
    assert "data-audience-count" not in page.text
    assert editor.status_code == 200
    assert 'id="campaign-count-problem"' in editor.text
