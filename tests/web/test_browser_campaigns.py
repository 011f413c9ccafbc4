"""The email campaign and SMS broadcast pages in Chromium (issue 13, item 9): the campaign editor's audience
count follows the audience and its preview frame shows the email rendered for the sample customer as one
types (under the pages' CSP, the email in a sandboxed frame of its own); the broadcast form's audience count
and cost estimate (encoding, segments) follow the message as one types; sending asks first, then the
results page shows the counts and a broadcast's page its recipients. Every page passes axe, loading nothing
from another host: each flow on a laptop, then its pages again on a phone."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import assert_pages_accessible_on, axe_violations, guarded_page, path_of
from tests.support.polling import wait_until
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.web.conftest import sign_in_staff

pytestmark = pytest.mark.browser

# Set to a folder to keep screenshots of the editor and the results (for looking at the layout).
SCREENSHOTS = os.environ.get("FIXDESK_SCREENSHOTS")


async def _customers(base_url: str, channel: str = "email") -> dict[str, Any]:
    """Two customers of this test's own (with a phone number of their own) who agreed to marketing on
    ``channel``."""
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        made = []
        for first in ("Ines", "Tomas"):
            response = await http.post(
                "/api/v1/customers",
                json={
                    "firstName": first,
                    "lastName": f"Campaign {tag}",
                    "email": f"{first}.{tag}@example.com",
                    "phone": f"+1512555{int(tag[:3], 16) % 1000:03d}{len(made)}",
                },
                headers=headers,
            )
            assert response.status_code == 201, response.text
            customer = response.json()
            consent = await http.put(
                f"/api/v1/customers/{customer['id']}/consents/{channel}",
                json={"granted": True},
                headers=headers,
            )
            assert consent.status_code in (200, 201), consent.text
            made.append(customer)
    return {"tag": tag, "customers": made}


async def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=f"{SCREENSHOTS}/{name}-laptop.png", full_page=True)


async def _press(page: Any, button: str) -> None:
    async with page.expect_navigation(wait_until="networkidle"):
        await page.get_by_role("button", name=button, exact=True).click()


async def test_a_campaign_is_written_previewed_and_sent_in_the_browser(browser, web_server):
    shop = await _customers(web_server.base_url)
    ids = "\n".join(customer["id"] for customer in shop["customers"])
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)

        await guarded.goto("/app/marketing/campaigns/new")
        await page.get_by_label("Name", exact=True).fill(f"Battery {shop['tag']}")
        await page.get_by_label("Subject").fill("{{ first_name }}, your battery check is due")
        await page.get_by_label("Email (HTML)").fill(
            "<h1>Hello {{ first_name }}</h1><p>Your battery check is due.</p>"
        )
        frame = page.frame_locator("iframe[name=campaign-preview]")
        await expect(frame.locator("h1")).to_have_text("Hello Ana")  # followed the body as it changed
        await page.get_by_label("Chosen customers").check()
        await page.get_by_label("Customer ids").fill(ids)
        count = page.locator("#campaign-count [data-audience-count]")
        await expect(count).to_have_text("2")  # the count followed the audience without a reload
        await _shot(page, "campaign-editor")
        assert await axe_violations(page) == []

        await _press(page, "Send now")
        await expect(page.locator("#send-confirmation")).to_contain_text("to 2 customers")
        assert await axe_violations(page) == []
        await _press(page, "Yes, send it now")
        await expect(page.get_by_role("status")).to_contain_text("The campaign is being sent.")
        await expect(page.locator('[data-stat="recipients"]')).to_have_text("2")
        await expect(page.frame_locator("iframe.campaign-preview").locator("h1")).to_have_text("Hello Ana")
        assert await axe_violations(page) == []
        await _shot(page, "campaign-results")
        results = path_of(page)

        await guarded.goto("/app/marketing/campaigns")
        await expect(page.get_by_role("link", name=f"Battery {shop['tag']}")).to_be_visible()
        assert await axe_violations(page) == []
        await _shot(page, "campaigns")
        guarded.assert_clean()
        signed_in = await page.context.storage_state()

    pages = ["/app/marketing/campaigns/new", results, "/app/marketing/campaigns"]
    await assert_pages_accessible_on(browser, web_server.base_url, "phone", pages, storage_state=signed_in)


async def test_a_broadcast_is_written_estimated_and_sent_in_the_browser(browser, web_server):
    shop = await _customers(web_server.base_url, "sms")
    ids = "\n".join(customer["id"] for customer in shop["customers"])
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)

        await guarded.goto("/app/marketing/broadcasts/new")
        await page.get_by_label("Chosen customers").check()
        await page.get_by_label("Customer ids").fill(ids)
        count = page.locator("#broadcast-estimate [data-audience-count]")
        await expect(count).to_have_text("2")  # the count followed the audience without a reload
        message = page.get_by_label("Message", exact=True)
        await message.fill(f"Hi {{{{ first_name }}}}, your phone is ready ({shop['tag']}).")
        await expect(page.locator("[data-estimate-encoding]")).to_have_text("GSM-7")
        await expect(page.locator("[data-estimate-segments]")).to_have_text("1")
        # An ã makes the text UCS-2: the estimate follows the message as it is typed.
        await message.fill(f"Olá {{{{ first_name }}}}, o seu telemóvel está pronto ({shop['tag']}).")
        await expect(page.locator("[data-estimate-encoding]")).to_have_text("UCS-2")
        # The longest text counts: Tomas's name is longer than Ines's.
        await expect(page.locator("[data-estimate-preview]")).to_contain_text("Olá Tomas")
        await _shot(page, "broadcast-form")
        assert await axe_violations(page) == []

        await _press(page, "Send now")
        await expect(page.locator("#send-confirmation")).to_contain_text("to 2 customers")
        assert await axe_violations(page) == []
        await _press(page, "Yes, send it now")
        await expect(page.get_by_role("status")).to_contain_text("The broadcast is being sent.")

        async def recipients_shown() -> bool:
            # The server's worker chooses the recipients moments after the page answered.
            if await page.locator("[data-recipient-status]").count() == 2:
                return True
            await page.reload(wait_until="networkidle")
            return False

        await wait_until(recipients_shown, message="the broadcast's recipients on its page")
        await expect(page.locator('[data-stat="recipients"]')).to_have_text("2")
        assert await axe_violations(page) == []
        await _shot(page, "broadcast")
        sent = path_of(page)

        await guarded.goto("/app/marketing/broadcasts")
        await expect(
            page.get_by_role("link", name=f"o seu telemóvel está pronto ({shop['tag']})")
        ).to_be_visible()
        assert await axe_violations(page) == []
        await _shot(page, "broadcasts")
        guarded.assert_clean()
        signed_in = await page.context.storage_state()

    pages = ["/app/marketing/broadcasts/new", sent, "/app/marketing/broadcasts"]
    await assert_pages_accessible_on(browser, web_server.base_url, "phone", pages, storage_state=signed_in)
