"""The technician finishes a visit on the phone with photos (issue 11, item 8), in headless Chromium
against the real server: the finish form's photo input takes the pictures, the visit is completed, and the
work order's page shows them as thumbnails that load."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.repairs.attachments import files
from tests.support.browser import axe_violations, guarded_page
from tests.web.conftest import sign_in_staff
from tests.web.test_browser_story import _as_admin

pytestmark = pytest.mark.browser

DAY = "2026-12-09"


async def _visit_under_way(http: httpx.AsyncClient) -> str:
    """A work order on :data:`DAY` assigned to the admin's own technician profile, started; its id."""
    headers = await _as_admin(http)
    me = (await http.get("/api/v1/users/me", headers=headers)).json()
    profile = await http.get("/api/v1/technicians", params={"search": me["email"]}, headers=headers)
    if profile.json()["items"]:
        technician_id = profile.json()["items"][0]["id"]
    else:
        created = await http.post(
            "/api/v1/technicians", json={"userId": me["id"], "skills": ["HVAC"]}, headers=headers
        )
        assert created.status_code == 201, created.text
        technician_id = created.json()["id"]
    customer = await http.post(
        "/api/v1/customers", json={"firstName": "Lia", "lastName": "Moss"}, headers=headers
    )
    work_order = await http.post(
        "/api/v1/work-orders",
        json={
            "customerId": customer.json()["id"],
            "serviceType": "Boiler service",
            "scheduledDate": DAY,
            "technicianIds": [technician_id],
            "override": True,
        },
        headers=headers,
    )
    assert work_order.status_code == 201, work_order.text
    work_order_id = work_order.json()["id"]
    started = await http.put(
        f"/api/v1/work-orders/{work_order_id}/status", json={"status": "in_progress"}, headers=headers
    )
    assert started.status_code == 200, started.text
    return work_order_id


async def test_finishing_a_visit_on_the_phone_with_photos(browser, web_server):
    async with httpx.AsyncClient(base_url=web_server.base_url, timeout=30) as http:
        work_order_id = await _visit_under_way(http)
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)
        await guarded.goto(f"/app/my-day?date={DAY}")
        visit = page.locator(f'[data-visit="{work_order_id}"]')
        photos = visit.get_by_label("Photos")
        assert await photos.get_attribute("capture") == "environment"
        assert await photos.get_attribute("multiple") is not None
        assert await axe_violations(page) == []

        await photos.set_input_files(
            [
                {"name": "before.png", "mimeType": "image/png", "buffer": files.png(8, 8, (20, 90, 200))},
                {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": files.jpeg()},
            ]
        )
        await visit.get_by_label("Signed off by").fill("Lia Moss")
        await visit.get_by_role("button", name="Finish the visit").click()
        await page.wait_for_url(re.compile(r"/app/my-day\?done=completed"))
        await expect(page.get_by_role("status")).to_contain_text("The visit is completed.")
        # Let the page finish loading (its icon too) before leaving it, so nothing is cut short.
        await page.wait_for_load_state("networkidle")

        await guarded.goto(f"/app/work-orders/{work_order_id}")
        thumbnails = page.locator("#photos img.photo-thumb")
        await expect(thumbnails).to_have_count(2)
        for index in range(2):
            thumbnail = thumbnails.nth(index)
            await expect(thumbnail).to_be_visible()
            # The browser decoded the stored bytes: the thumbnail is a real picture, not a broken image.
            assert await thumbnail.evaluate("image => image.complete && image.naturalWidth > 0")
        assert await axe_violations(page) == []
        guarded.assert_clean()
