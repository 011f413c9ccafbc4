"""The customer portal's pages over HTTP (issue 10, item 4): a signed-in customer sees their own repairs
and never another customer's, follows one repair's timeline (the notes meant for them, not the shop's
internal ones) and approves or declines its quote with the services of the customer API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import make_customer, make_repair, make_user, settle
from tests.web.conftest import CSRF_FIELD, PASSWORD, Browser

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

INTERNAL_NOTE = "Internal: the customer dropped it in the sea, no warranty"
CUSTOMER_NOTE = "We are checking the screen now."


async def quoted_repair(client: Any, staff: Any, customer_id: Any, **overrides: Any) -> tuple[dict, dict]:
    """A repair being diagnosed (with an internal and a customer note) and a sent quote of 60.00."""
    repair = await make_repair(client, staff, customer_id, **overrides)
    moved = await client.put(
        f"/api/v1/repairs/{repair['id']}/status",
        json={
            "status": "diagnosing",
            "notes": INTERNAL_NOTE,
            "customerNote": CUSTOMER_NOTE,
            "notifyCustomer": False,
        },
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text
    quote = await client.post(
        f"/api/v1/repairs/{repair['id']}/quotes",
        json={"labour": [{"description": "Screen replacement", "hours": "1", "rate": "60.00"}], "send": True},
        headers=staff.headers,
    )
    assert quote.status_code == 201, quote.text
    return repair, quote.json()


@pytest.fixture
async def shop(app: Any, sessionmaker: Any, client: Any) -> dict[str, Any]:
    admin = await make_user(app, sessionmaker, "admin")
    ana = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    bruno = await make_customer(app, sessionmaker, first_name="Bruno", portal_password=PASSWORD)
    repair, quote = await quoted_repair(client, admin, ana.id, deviceModel="iPhone 13")
    other = await make_repair(client, admin, bruno.id, deviceModel="Galaxy S21")
    return {"admin": admin, "ana": ana, "bruno": bruno, "repair": repair, "quote": quote, "other": other}


async def test_the_start_page_lists_the_customers_own_repairs_only(shop, browser_client: Browser):
    await browser_client.sign_in_customer(shop["ana"].email)

    page = await browser_client.http.get("/portal")

    assert page.status_code == 200
    assert shop["repair"]["repairNumber"] in page.text
    assert "iPhone 13" in page.text
    assert "Waiting for your approval" in page.text
    assert shop["other"]["repairNumber"] not in page.text
    assert "Galaxy S21" not in page.text


async def test_a_customer_without_repairs_sees_an_empty_state(app, sessionmaker, browser_client: Browser):
    carla = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    await browser_client.sign_in_customer(carla.email)

    page = await browser_client.http.get("/portal")

    assert page.status_code == 200
    assert "No repairs yet" in page.text


async def test_the_repair_page_shows_the_timeline_and_the_quote_but_not_internal_notes(shop, browser_client):
    await browser_client.sign_in_customer(shop["ana"].email)

    page = await browser_client.http.get(f"/portal/repairs/{shop['repair']['id']}")
    others = await browser_client.http.get(f"/portal/repairs/{shop['other']['id']}")

    assert page.status_code == 200
    assert CUSTOMER_NOTE in page.text
    assert INTERNAL_NOTE not in page.text
    assert "Screen replacement" in page.text
    assert "$60.00" in page.text
    assert "Approve the quote" in page.text
    assert '<label class="form-label" for="reason-' in page.text
    assert others.status_code == 404
    assert "Galaxy S21" not in others.text


async def test_the_customer_approves_the_quote_and_the_repair_is_approved(shop, browser_client, client):
    await browser_client.sign_in_customer(shop["ana"].email)
    repair_id, quote_id = shop["repair"]["id"], shop["quote"]["id"]
    page = await browser_client.http.get(f"/portal/repairs/{repair_id}")
    token = CSRF_FIELD.search(page.text).group(1)  # type: ignore[union-attr]

    forged = await browser_client.http.post(f"/portal/repairs/{repair_id}/quotes/{quote_id}/approve")
    assert forged.status_code == 403
    approved = await browser_client.http.post(
        f"/portal/repairs/{repair_id}/quotes/{quote_id}/approve", data={"csrftoken": token}
    )

    assert approved.status_code == 303
    after = await browser_client.http.get(approved.headers["location"])
    assert "the quote is approved" in after.text
    stored = await client.get(f"/api/v1/repairs/{repair_id}", headers=shop["admin"].headers)
    assert stored.json()["status"] == "approved"


async def test_the_customer_declines_the_quote_with_a_reason(shop, browser_client, client):
    await browser_client.sign_in_customer(shop["ana"].email)
    repair_id, quote_id = shop["repair"]["id"], shop["quote"]["id"]

    declined = await browser_client.submit(
        f"/portal/repairs/{repair_id}/quotes/{quote_id}/decline",
        {"reason": "Too expensive for an old phone"},
        form=f"/portal/repairs/{repair_id}",
    )

    assert declined.status_code == 303
    page = await browser_client.http.get(declined.headers["location"])
    assert "Too expensive for an old phone" in page.text
    quotes = await client.get(f"/api/v1/repairs/{repair_id}/quotes", headers=shop["admin"].headers)
    assert quotes.json()["items"][0]["status"] == "declined"
    assert quotes.json()["items"][0]["declineReason"] == "Too expensive for an old phone"


async def test_another_customer_cannot_decide_the_quote(shop, browser_client, client):
    await browser_client.sign_in_customer(shop["bruno"].email)
    repair_id, quote_id = shop["repair"]["id"], shop["quote"]["id"]

    refused = await browser_client.submit(
        f"/portal/repairs/{repair_id}/quotes/{quote_id}/approve", {}, form="/portal"
    )

    assert refused.status_code == 404
    stored = await client.get(f"/api/v1/repairs/{repair_id}", headers=shop["admin"].headers)
    assert stored.json()["status"] == "quoted"


async def test_the_inbox_lists_the_customers_messages_and_marks_them_read(
    app, shop, browser_client, other_browser
):
    await settle(app)  # the quote's email is written by the jobs the request queued
    await browser_client.sign_in_customer(shop["ana"].email)
    await other_browser.sign_in_customer(shop["bruno"].email)

    inbox = await browser_client.http.get("/portal/notifications")
    others = await other_browser.http.get("/portal/notifications")

    assert inbox.status_code == 200
    assert shop["repair"]["repairNumber"] in inbox.text
    assert f'href="/portal/repairs/{shop["repair"]["id"]}"' in inbox.text
    unread = re.findall(r'action="/portal/notifications/([^/]+)/read"', inbox.text)
    assert unread
    assert f"{len(unread)} unread" in inbox.text
    assert shop["repair"]["repairNumber"] not in others.text
    message_id = unread[0]

    stranger = await other_browser.submit(
        f"/portal/notifications/{message_id}/read", {}, form="/portal/notifications"
    )
    assert stranger.status_code == 404
    read = await browser_client.submit(
        f"/portal/notifications/{message_id}/read", {}, form="/portal/notifications"
    )
    assert read.status_code == 303
    assert f"{len(unread) - 1} unread" in (await browser_client.http.get("/portal/notifications")).text
