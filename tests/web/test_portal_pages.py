"""The customer portal's pages over HTTP (issue 10, item 4): a signed-in customer sees their own repairs
and never another customer's, follows one repair's timeline (the notes meant for them, not the shop's
internal ones) and its public photos, approves or declines its quote and rates it once completed with the
services of the customer API, edits their profile and notification preferences, and the links in the
shop's messages open these pages after sign-in."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from fixdesk.customers.models import Customer
from fixdesk.repairs.models import RepairReview
from tests.factories import TO_COMPLETED, make_customer, make_repair, make_user, settle, walk
from tests.repairs.attachments.files import png
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


# --- rating a completed repair ---------------------------------------------------------------------------


async def reviews_of(sessionmaker: Any, repair_id: str) -> list[RepairReview]:
    async with sessionmaker() as session:
        statement = select(RepairReview).where(RepairReview.repair_id == uuid.UUID(repair_id))
        return list((await session.execute(statement)).scalars())


async def test_a_completed_repair_is_rated_once_and_the_page_shows_the_rating(
    shop, client, sessionmaker, browser_client: Browser
):
    repair = await make_repair(client, shop["admin"], shop["ana"].id, deviceModel="Pixel 7")
    await walk(client, shop["admin"], repair["id"], *TO_COMPLETED)
    await browser_client.sign_in_customer(shop["ana"].email)
    url = f"/portal/repairs/{repair['id']}"

    page = await browser_client.http.get(url)
    assert "How did we do?" in page.text
    for rating in range(1, 6):
        assert f'type="radio" name="rating" value="{rating}"' in page.text
    assert "5 stars: excellent" in page.text
    rated = await browser_client.submit(
        f"{url}/review", {"rating": "4", "comment": "Quick and friendly"}, form=url
    )

    assert rated.status_code == 303
    after = await browser_client.http.get(rated.headers["location"])
    assert "Thank you for rating your repair." in after.text
    assert "Your rating" in after.text
    assert "4 stars: very good" in after.text
    assert "Quick and friendly" in after.text
    assert 'name="rating"' not in after.text
    [review] = await reviews_of(sessionmaker, repair["id"])
    assert (review.rating, review.comment) == (4, "Quick and friendly")
    # The API's rule holds on the page too: once only.
    again = await browser_client.submit(f"{url}/review", {"rating": "1"}, form=url)
    assert again.status_code == 409
    assert "already been reviewed" in again.text
    assert [r.rating for r in await reviews_of(sessionmaker, repair["id"])] == [4]


async def test_a_rating_is_not_offered_before_completion_and_posting_one_is_refused(
    shop, sessionmaker, browser_client: Browser
):
    await browser_client.sign_in_customer(shop["ana"].email)
    url = f"/portal/repairs/{shop['repair']['id']}"

    page = await browser_client.http.get(url)
    refused = await browser_client.submit(f"{url}/review", {"rating": "5"}, form=url)

    assert "How did we do?" not in page.text
    assert 'name="rating"' not in page.text
    assert refused.status_code == 409
    assert "Only a completed or delivered repair can be reviewed" in refused.text
    assert await reviews_of(sessionmaker, shop["repair"]["id"]) == []


async def test_an_invalid_rating_is_shown_next_to_the_stars_and_another_customers_repair_is_404(
    shop, client, sessionmaker, browser_client: Browser, other_browser: Browser
):
    repair = await make_repair(client, shop["admin"], shop["ana"].id)
    await walk(client, shop["admin"], repair["id"], *TO_COMPLETED)
    await browser_client.sign_in_customer(shop["ana"].email)
    await other_browser.sign_in_customer(shop["bruno"].email)
    url = f"/portal/repairs/{repair['id']}"

    invalid = await browser_client.submit(f"{url}/review", {"rating": "9", "comment": "kept"}, form=url)
    stranger = await other_browser.submit(f"{url}/review", {"rating": "5"}, form="/portal")

    assert invalid.status_code == 400
    assert 'id="rating-error"' in invalid.text
    assert "less than or equal to 5" in invalid.text
    assert ">kept</textarea>" in invalid.text
    assert stranger.status_code == 404
    assert await reviews_of(sessionmaker, repair["id"]) == []


# --- public photos ---------------------------------------------------------------------------------------


async def upload_photo(client: Any, staff: Any, repair_id: str, **fields: Any) -> dict:
    data = {key: str(value).lower() if isinstance(value, bool) else value for key, value in fields.items()}
    response = await client.post(
        f"/api/v1/repairs/{repair_id}/attachments",
        files={"file": ("photo.png", png(), "image/png")},
        data=data,
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_repair_page_shows_public_photos_only_and_serves_them_to_their_customer_only(
    shop, client, browser_client: Browser, other_browser: Browser
):
    repair_id = shop["repair"]["id"]
    before = await upload_photo(
        client, shop["admin"], repair_id, kind="before", isPublic=True, description="Cracked corner"
    )
    after = await upload_photo(client, shop["admin"], repair_id, kind="after", isPublic=True)
    private = await upload_photo(
        client, shop["admin"], repair_id, kind="before", isPublic=False, description="Water damage inside"
    )
    await browser_client.sign_in_customer(shop["ana"].email)
    await other_browser.sign_in_customer(shop["bruno"].email)
    files = f"/portal/repairs/{repair_id}/attachments"

    page = await browser_client.http.get(f"/portal/repairs/{repair_id}")
    image = await browser_client.http.get(f"{files}/{before['id']}/file")
    hidden = await browser_client.http.get(f"{files}/{private['id']}/file")
    stranger = await other_browser.http.get(f"{files}/{before['id']}/file")
    unknown = await browser_client.http.get(f"{files}/{uuid.uuid4()}/file")

    assert page.status_code == 200
    assert "Photos" in page.text
    assert ">Before</h3>" in page.text
    assert ">After</h3>" in page.text
    assert f'src="{files}/{before["id"]}/file"' in page.text
    assert f'src="{files}/{after["id"]}/file"' in page.text
    assert 'alt="Cracked corner"' in page.text
    assert private["id"] not in page.text
    assert "Water damage inside" not in page.text
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == png()
    assert image.headers["x-content-type-options"] == "nosniff"
    assert hidden.status_code == 404
    assert stranger.status_code == 404
    assert unknown.status_code == 404


async def test_a_repair_without_public_photos_shows_no_gallery(shop, browser_client: Browser):
    await browser_client.sign_in_customer(shop["ana"].email)

    page = await browser_client.http.get(f"/portal/repairs/{shop['repair']['id']}")

    assert 'id="photos"' not in page.text


# --- profile and notification preferences ---------------------------------------------------------------


async def stored_customer(sessionmaker: Any, customer_id: Any) -> Customer:
    async with sessionmaker() as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        return customer


PROFILE_FORM = {
    "firstName": "Ana Maria",
    "lastName": "Silva",
    "phone": "+1 415 555 0100",
    "language": "pt",
    "timezone": "Europe/Lisbon",
    "addressLine1": "Rua Augusta 10",
    "addressLine2": "",
    "city": "Lisboa",
    "region": "",
    "postalCode": "1100-053",
    "notifyEmail": "on",
}


async def test_the_profile_page_shows_and_saves_what_the_api_allows(
    shop, sessionmaker, browser_client: Browser
):
    await browser_client.sign_in_customer(shop["ana"].email)

    start = await browser_client.http.get("/portal")
    page = await browser_client.http.get("/portal/profile")
    saved = await browser_client.submit("/portal/profile", PROFILE_FORM)

    assert 'href="/portal/profile"' in start.text
    assert page.status_code == 200
    assert shop["ana"].email in page.text
    assert "Send me updates by email" in page.text
    assert "Send me updates by text message" in page.text
    assert saved.status_code == 303
    after = await browser_client.http.get(saved.headers["location"])
    # The customer chose Portuguese: the portal speaks it from the next page on.
    assert "Os seus dados foram guardados." in after.text
    assert after.headers["content-language"] == "pt"
    assert 'value="Rua Augusta 10"' in after.text
    assert '<option value="Europe/Lisbon" selected>' in after.text
    customer = await stored_customer(sessionmaker, shop["ana"].id)
    assert (customer.first_name, customer.phone, customer.language) == ("Ana Maria", "+14155550100", "pt")
    assert (customer.timezone, customer.city, customer.postal_code) == ("Europe/Lisbon", "Lisboa", "1100-053")
    assert (customer.notify_email, customer.notify_sms) == (True, False)
    # An emptied optional field is cleared, as the API's null.
    cleared = await browser_client.submit("/portal/profile", {**PROFILE_FORM, "addressLine1": ""})
    assert cleared.status_code == 303
    assert (await stored_customer(sessionmaker, shop["ana"].id)).address_line1 is None


async def test_an_invalid_profile_shows_the_apis_problems_next_to_the_fields_and_saves_nothing(
    shop, sessionmaker, browser_client: Browser
):
    await browser_client.sign_in_customer(shop["ana"].email)
    before = await stored_customer(sessionmaker, shop["ana"].id)

    refused = await browser_client.submit(
        "/portal/profile", {**PROFILE_FORM, "firstName": "", "city": "Porto"}, form="/portal/profile"
    )
    bad_zone = await browser_client.submit(
        "/portal/profile", {**PROFILE_FORM, "timezone": "Mars/Olympus"}, form="/portal/profile"
    )

    assert refused.status_code == 400
    assert 'id="profile-firstName-error"' in refused.text
    assert 'aria-describedby="profile-firstName-error"' in refused.text
    assert 'value="Porto"' in refused.text  # what the customer typed is kept
    assert bad_zone.status_code == 400
    assert 'id="profile-timezone-error"' in bad_zone.text
    after = await stored_customer(sessionmaker, shop["ana"].id)
    assert (after.first_name, after.city, after.timezone, after.language) == (
        before.first_name,
        before.city,
        before.timezone,
        before.language,
    )


async def test_the_profile_needs_a_signed_in_customer(browser_client: Browser):
    page = await browser_client.http.get("/portal/profile")

    assert page.status_code in (302, 303, 307)
    assert page.headers["location"].startswith("/portal/login?next=")


# --- links in the messages --------------------------------------------------------------------------------


def outbox_emails(settings: Any, to: str) -> list[email.message.EmailMessage]:
    paths = sorted(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else []
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]
    return [message for message in messages if message["To"] == to]  # type: ignore[misc]


async def test_the_quote_emails_portal_link_leads_through_sign_in_to_the_repair(
    app, shop, browser_client: Browser
):
    await settle(app)  # the quote's email is written by the jobs the request queued
    settings = app.state.settings
    [quote_email] = [m for m in outbox_emails(settings, shop["ana"].email) if "quote" in m["Subject"]]
    text = quote_email.get_body(("plain",)).get_content()
    [link] = re.findall(r"Approve or decline it in your customer portal: (\S+)", text)
    assert link == f"{settings.resolved_public_base_url}/portal/repairs/{shop['repair']['id']}"
    path = urlsplit(link).path

    signed_out = await browser_client.http.get(path)
    assert signed_out.status_code in (302, 303, 307)
    login_url = signed_out.headers["location"]
    assert urlsplit(login_url).path == "/portal/login"
    signed_in = await browser_client.submit(
        login_url, {"email": shop["ana"].email, "password": PASSWORD}, form=login_url
    )

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == path
    landed = await browser_client.http.get(signed_in.headers["location"])
    assert landed.status_code == 200
    assert shop["repair"]["repairNumber"] in landed.text
    assert "Approve the quote" in landed.text
