"""The marketing pages in Chromium (issue 13, item 9): the segment editor's count follows the filter as
one types (htmx under the pages' CSP), the segment is saved and lists its members, and a customer's
marketing consent is recorded from their page; every page passes axe, loading nothing from another host:
the flow on a laptop, then each of its pages again on a phone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import assert_pages_accessible_on, axe_violations, guarded_page, path_of
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.web.conftest import sign_in_staff

pytestmark = pytest.mark.browser


async def _customers(base_url: str) -> dict[str, Any]:
    """Two customers of this test's own, tagged with a tag no one else has."""
    tag = f"mkt-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        made = []
        for first in ("Ines", "Tomas"):
            response = await http.post(
                "/api/v1/customers",
                json={
                    "firstName": first,
                    "lastName": f"Marketing {tag}",
                    "email": f"{first}.{tag}@example.com",
                    "tags": [tag],
                },
                headers=headers,
            )
            assert response.status_code == 201, response.text
            made.append(response.json())
    return {"tag": tag, "customers": made}


async def _press(page: Any, button: str) -> None:
    async with page.expect_navigation(wait_until="networkidle"):
        await page.get_by_role("button", name=button).click()


async def test_a_segment_is_built_with_a_live_count_and_consent_recorded_in_the_browser(browser, web_server):
    shop = await _customers(web_server.base_url)
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)

        await guarded.goto("/app/marketing/segments/new")
        count = page.locator("#segment-count [data-segment-count]")
        await expect(count).to_be_visible()
        await page.get_by_label("Name", exact=True).fill(f"Segment {shop['tag']}")
        await page.get_by_label("Any of these tags").fill(shop["tag"])
        await expect(count).to_have_text("2")  # the count followed the filter without a reload
        await page.get_by_label("Spent at least").fill("abc")
        await expect(page.locator("#segment-count-problem")).to_be_visible()
        await page.get_by_label("Spent at least").fill("")
        await expect(count).to_have_text("2")
        assert await axe_violations(page) == []
        await _press(page, "Create the segment")
        await expect(page.get_by_role("status")).to_contain_text("The segment is saved.")
        await expect(page.locator("[data-segment-count]")).to_have_text("2")
        await expect(page.locator(f'[data-member="{shop["customers"][0]["id"]}"]')).to_be_visible()
        assert await axe_violations(page) == []
        segment = path_of(page)

        await guarded.goto("/app/marketing/segments")
        await expect(page.get_by_role("link", name=f"Segment {shop['tag']}")).to_be_visible()
        assert await axe_violations(page) == []

        customer = shop["customers"][0]
        await guarded.goto(f"/app/customers/{customer['id']}")
        await page.get_by_label("Channel").select_option("sms")
        await page.get_by_label("How they said so").fill("Signed the intake form")
        await _press(page, "Record the consent")
        await expect(page.get_by_role("status")).to_contain_text("The marketing consent is recorded.")
        await expect(page.locator('[data-consent="sms"]')).to_have_attribute("data-granted", "yes")
        assert await axe_violations(page) == []
        guarded.assert_clean()
        signed_in = await page.context.storage_state()

    pages = [
        "/app/marketing/segments/new",
        segment,
        "/app/marketing/segments",
        f"/app/customers/{customer['id']}",
    ]
    await assert_pages_accessible_on(browser, web_server.base_url, "phone", pages, storage_state=signed_in)
