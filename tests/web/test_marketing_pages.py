"""The marketing pages of the staff app over HTTP (issue 13, item 9): segments with their live counts and
seed 002's segmentation summary, the segment editor whose count follows the filter, saving, editing and
deleting a segment, its members; a customer's marketing consent on their page, changed by staff and
audited; under the API's rules and permissions (the front desk opens no segment)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixdesk.audit.models import AuditEvent
from fixdesk.marketing.models import MarketingConsent, MarketingConsentChange, Segment
from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.sales.helpers import make_product, place_order

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def shop(app, client, sessionmaker):
    """Four customers: Rita and Joao tagged vip, Rita and Marta with an order (40.00 and 10.00)."""
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    people = {}
    for first, tags in (("Rita", ["vip"]), ("Joao", ["vip", "corporate"]), ("Marta", []), ("Ana", [])):
        people[first] = await make_customer(
            app, sessionmaker, first_name=first, last_name="Nunes", tags=tags, phone=None
        )
    case = await make_product(
        client, manager, name="Clear case", sku="CASE-1", price="10.00", stockQuantity=50
    )
    for first, quantity in (("Rita", 4), ("Marta", 1)):
        response = await place_order(client, manager, people[first].id, (case["id"], quantity))
        assert response.status_code == 201, response.text
    return {"manager": manager, "agent": agent, "people": people}


def _filter(**values: str) -> dict[str, str]:
    form = dict.fromkeys(
        (
            "name",
            "description",
            "tagsAny",
            "tagsAll",
            "minTotalSpend",
            "maxTotalSpend",
            "lastVisitBefore",
            "lastVisitAfter",
            "customFieldKey",
            "customFieldValue",
        ),
        "",
    )
    form.update(values)
    return form


def _count(page_text: str) -> str:
    marker = "<strong data-segment-count>"
    start = page_text.index(marker) + len(marker)
    return page_text[start : page_text.index("</strong>", start)]


async def test_the_segments_page_shows_the_segmentation_and_each_segments_live_count(client, shop):
    manager = shop["manager"]
    for name, wanted in (("VIP", {"tagsAny": ["vip"]}), ("Big spenders", {"minTotalSpend": "30.00"})):
        saved = await client.post(
            "/api/v1/segments", json={"name": name, "filter": wanted}, headers=manager.headers
        )
        assert saved.status_code == 201, saved.text
    listed = await client.get("/api/v1/segments", headers=manager.headers)
    ids = {item["name"]: item["id"] for item in listed.json()["items"]}
    vip, saved_id = ids["VIP"], ids["Big spenders"]

    page = await client.get("/app/marketing/segments", headers=manager.headers)
    menu = await client.get("/app/marketing", headers=manager.headers)

    assert page.status_code == 200
    assert 'href="/app/marketing"' in page.text  # the menu's "Marketing"
    assert menu.status_code == 303
    assert menu.headers["location"] == "/app/marketing/segments"
    assert '<div class="h2 mb-0" data-segmentation="with-orders">2</div>' in page.text
    assert '<div class="h2 mb-0" data-segmentation="without-orders">2</div>' in page.text
    assert '<div class="h2 mb-0" data-segmentation="conversion-rate">50.00 %</div>' in page.text
    assert f'<td class="text-end" data-segment-count="{vip}">2</td>' in page.text
    assert f'<td class="text-end" data-segment-count="{saved_id}">1</td>' in page.text
    assert "2 segments · page 1 of 1" in page.text
    # The count is live: a third vip customer joins the segment without it being saved again.
    await client.post(
        "/api/v1/customers",
        json={"firstName": "Lia", "lastName": "Reis", "tags": ["vip"]},
        headers=manager.headers,
    )
    again = await client.get("/app/marketing/segments", headers=manager.headers)
    assert f'<td class="text-end" data-segment-count="{vip}">3</td>' in again.text


async def test_the_editors_count_follows_the_filter_as_it_changes(client, shop):
    manager = shop["manager"]
    editor = await client.get("/app/marketing/segments/new", headers=manager.headers)
    everyone = await client.post("/app/marketing/segments/preview", data=_filter(), headers=manager.headers)
    vip = await client.post(
        "/app/marketing/segments/preview", data=_filter(tagsAny="vip"), headers=manager.headers
    )
    vip_corporate = await client.post(
        "/app/marketing/segments/preview", data=_filter(tagsAll="vip, corporate"), headers=manager.headers
    )
    spenders = await client.post(
        "/app/marketing/segments/preview",
        data=_filter(tagsAny="vip", minTotalSpend="30"),
        headers=manager.headers,
    )
    # Rita bought first and spent 40.00, Marta last and 10.00: R 1 and 3, F 1 (a tie), M 3 and 1, so Rita
    # is "lost" and Marta "about to sleep" (fixdesk.marketing.segments).
    lost = await client.post(
        "/app/marketing/segments/preview", data={**_filter(), "rfmSegments": "lost"}, headers=manager.headers
    )
    lost_or_sleeping = await client.post(
        "/app/marketing/segments/preview",
        data={**_filter(), "rfmSegments": ["lost", "about_to_sleep"]},
        headers=manager.headers,
    )
    wrong = await client.post(
        "/app/marketing/segments/preview",
        data=_filter(minTotalSpend="50", maxTotalSpend="10"),
        headers=manager.headers,
    )
    bad_day = await client.post(
        "/app/marketing/segments/preview", data=_filter(lastVisitAfter="31/12/2025"), headers=manager.headers
    )

    assert editor.status_code == 200
    assert 'hx-post="/app/marketing/segments/preview"' in editor.text
    assert _count(editor.text) == "4"
    assert [_count(r.text) for r in (everyone, vip, vip_corporate, spenders)] == ["4", "2", "1", "1"]
    assert [_count(lost.text), _count(lost_or_sleeping.text)] == ["1", "2"]
    assert wrong.status_code == 200
    assert "minTotalSpend must not exceed maxTotalSpend" in wrong.text
    assert "data-segment-count" not in wrong.text
    assert "must be a day (YYYY-MM-DD)" in bad_day.text


async def test_a_segment_is_saved_shown_with_its_members_edited_and_deleted(client, shop, sessionmaker):
    manager, people = shop["manager"], shop["people"]
    created = await client.post(
        "/app/marketing/segments/new",
        data={**_filter(name="VIP", description="Our best", tagsAny="vip"), "statuses": "active"},
        headers=manager.headers,
    )
    assert created.status_code == 303, created.text
    page = await client.get(created.headers["location"], headers=manager.headers)
    taken = await client.post(
        "/app/marketing/segments/new", data=_filter(name="vip", tagsAny="corporate"), headers=manager.headers
    )
    segment_id = created.headers["location"].split("/")[-1].split("?")[0]
    edit_form = await client.get(f"/app/marketing/segments/{segment_id}/edit", headers=manager.headers)
    edited = await client.post(
        f"/app/marketing/segments/{segment_id}/edit",
        data=_filter(name="VIP corporate", tagsAll="vip, corporate"),
        headers=manager.headers,
    )
    after_edit = await client.get(f"/app/marketing/segments/{segment_id}", headers=manager.headers)

    assert "The segment is saved." in page.text
    assert _count(page.text) == "2"
    assert f'data-member="{people["Rita"].id}"' in page.text
    assert f'data-member="{people["Joao"].id}"' in page.text
    assert f'data-member="{people["Marta"].id}"' not in page.text
    assert "40.00" in page.text  # Rita's spend
    assert taken.status_code == 409
    assert "exists already" in taken.text
    assert 'value="corporate"' in taken.text  # what was filled is kept
    assert 'value="vip"' in edit_form.text
    assert 'value="active" checked' in edit_form.text
    assert edited.status_code == 303
    assert edited.headers["location"].endswith("?done=updated")
    assert _count(after_edit.text) == "1"
    assert f'data-member="{people["Rita"].id}"' not in after_edit.text
    async with sessionmaker() as session:
        stored = (await session.execute(select(Segment))).scalars().all()
    assert [(row.name, row.filter) for row in stored] == [
        ("VIP corporate", {"tagsAll": ["vip", "corporate"]})
    ]

    deleted = await client.post(f"/app/marketing/segments/{segment_id}/delete", headers=manager.headers)
    assert deleted.status_code == 303
    listing = await client.get(deleted.headers["location"], headers=manager.headers)
    assert "The segment is deleted." in listing.text
    assert "No segments yet" in listing.text


async def test_the_front_desk_opens_no_segment(client, shop):
    agent = shop["agent"]
    home = await client.get("/app/customers", headers=agent.headers)
    listing = await client.get("/app/marketing/segments", headers=agent.headers)
    editor = await client.get("/app/marketing/segments/new", headers=agent.headers)
    preview = await client.post("/app/marketing/segments/preview", data=_filter(), headers=agent.headers)
    create = await client.post(
        "/app/marketing/segments/new", data=_filter(name="Mine"), headers=agent.headers
    )

    assert home.status_code == 200
    assert 'href="/app/marketing"' not in home.text
    assert [r.status_code for r in (listing, editor, preview, create)] == [403, 403, 403, 403]


async def test_a_consent_change_is_recorded_from_the_customer_page_and_audited(client, shop, sessionmaker):
    agent, rita = shop["agent"], shop["people"]["Rita"]
    before = await client.get(f"/app/customers/{rita.id}", headers=agent.headers)
    recorded = await client.post(
        f"/app/customers/{rita.id}/consents",
        data={"channel": "email", "granted": "yes", "evidence": "Signed form 2231 at the counter"},
        headers=agent.headers,
    )
    after = await client.get(recorded.headers["location"], headers=agent.headers)
    bad_channel = await client.post(
        f"/app/customers/{rita.id}/consents", data={"channel": "fax", "granted": "yes"}, headers=agent.headers
    )
    too_long = await client.post(
        f"/app/customers/{rita.id}/consents",
        data={"channel": "sms", "granted": "yes", "evidence": "x" * 2001},
        headers=agent.headers,
    )

    assert before.status_code == 200
    assert '<li class="list-group-item" data-consent="email" data-granted="no">' in before.text
    assert "Never asked" in before.text
    assert recorded.status_code == 303
    assert "The marketing consent is recorded." in after.text
    assert '<li class="list-group-item" data-consent="email" data-granted="yes">' in after.text
    assert "Staff · Signed form 2231 at the counter" in after.text
    assert '<li class="list-group-item" data-consent="sms" data-granted="no">' in after.text
    assert bad_channel.status_code == 400
    assert 'id="consent-problem"' in bad_channel.text
    assert too_long.status_code == 400
    assert 'id="consent-problem"' in too_long.text
    async with sessionmaker() as session:
        consents = (await session.execute(select(MarketingConsent))).scalars().all()
        changes = (await session.execute(select(MarketingConsentChange))).scalars().all()
        audited = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "marketing.consent_changed")
                )
            )
            .scalars()
            .all()
        )
    assert [(c.channel, c.granted, c.source, c.evidence) for c in consents] == [
        ("email", True, "staff", "Signed form 2231 at the counter")
    ]
    assert [(c.actor_type, c.actor_id) for c in changes] == [("user", agent.id)]
    assert [(a.customer_id, a.details["channel"], a.details["granted"]) for a in audited] == [
        (rita.id, "email", True)
    ]


async def test_who_may_not_change_consent_sees_it_without_the_form(app, client, shop, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    rita = shop["people"]["Rita"]
    page = await client.get(f"/app/customers/{rita.id}", headers=technician.headers)
    posted = await client.post(
        f"/app/customers/{rita.id}/consents",
        data={"channel": "email", "granted": "yes"},
        headers=technician.headers,
    )
    if page.status_code == 200:
        assert 'action="/app/customers/' not in page.text.split('id="consent"')[-1]
    assert posted.status_code == 403
