"""The counter's day in two browsers (issue 10, item 6), against the real server with its job worker and
cookie sign-in only (no token on the browser):

* staff sign in, add a customer, take their device in, add a part and send a quote;
* the customer, on a phone (390×844), signs in with an emailed code, opens the repair and approves the
  quote, and the staff's repair page, left open, shows the new status without a reload (live events);
* a technician, invited by email, cannot see the settings and cannot change a repair that is not theirs,
  even by posting the form anyway.

Every page on the way passes axe-core and the guard (nothing from another host, no console error).
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import expect

from tests.factories import repair_body
from tests.support.browser import axe_violations, guarded_page, htmx_settled
from tests.support.polling import wait_until
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.web.conftest import SERVER_OUTBOX, sign_in_customer, sign_in_staff

pytestmark = pytest.mark.browser

TECHNICIAN_PASSWORD = "bench-work-every-day-2026"


def _plain_bodies_to(address: str) -> list[str]:
    """The plain-text bodies of the emails in the server's outbox addressed to ``address``, oldest first."""
    bodies = []
    for path in sorted(Path(SERVER_OUTBOX[0]).rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            bodies.append(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    return bodies


async def test_intake_quote_and_the_customers_approval_seen_live(browser, web_server):
    customer_email = f"rita-{uuid.uuid4().hex[:8]}@example.com"
    async with guarded_page(browser, web_server.base_url, "laptop") as staff:
        page = staff.page
        await staff.goto("/app/login")
        await sign_in_staff(page)

        await staff.goto("/app/customers/new")
        await page.get_by_label("First name").fill("Rita")
        await page.get_by_label("Last name").fill("Nunes")
        await page.get_by_label("Email address").fill(customer_email)
        await page.get_by_role("button", name="Add customer").click()
        await expect(page.get_by_role("heading", level=1, name=re.compile("Rita Nunes"))).to_be_visible()

        await page.get_by_role("link", name="New repair").click()
        await expect(page.get_by_role("radio", name=re.compile("Rita Nunes"))).to_be_checked()
        assert await axe_violations(page) == []
        await page.get_by_label("Brand").fill("Samsung")
        await page.get_by_label("Model", exact=True).fill("Galaxy S22")
        await page.get_by_label("What is wrong, as the customer tells it").fill("The battery lasts an hour")
        await page.get_by_role("button", name="Take the device in").click()
        await page.wait_for_url(re.compile(r"/app/repairs/[0-9a-f-]{36}$"))
        repair_path = urlsplit(page.url).path

        await page.get_by_label("Part", exact=True).fill("Battery")
        await page.get_by_label("Unit price").fill("45.50")
        await page.get_by_role("button", name="Add part").click()
        await expect(page.locator('[data-total="total"]')).to_contain_text("45.50")
        await htmx_settled(page)
        await page.get_by_label("Move to").select_option("diagnosing")
        await page.get_by_role("button", name="Change status").click()
        await expect(page.locator("#heading-status")).to_have_text("Diagnosing")
        await page.get_by_role("button", name="Create quote").click()
        await expect(page.locator("#quotes")).to_contain_text("Sent")
        assert await axe_violations(page) == []
        await page.evaluate("window.notReloaded = true")

        async with guarded_page(browser, web_server.base_url, "phone") as portal:
            phone = portal.page
            await portal.goto("/portal/login")
            await sign_in_customer(phone, email=customer_email)
            await phone.get_by_role("link", name="Samsung Galaxy S22").click()
            await phone.get_by_role("button", name="Approve the quote").click()
            await expect(phone.get_by_test_id("repair-status")).to_have_text("Approved")
            assert await axe_violations(phone) == []
            portal.assert_clean()

        # The staff page heard it: the status and the quote changed in place, without a reload.
        await expect(page.locator("#heading-status")).to_have_text("Approved")
        await expect(page.locator("#quotes")).to_contain_text("Approved")
        assert await page.evaluate("window.notReloaded") is True
        assert urlsplit(page.url).path == repair_path
        staff.assert_clean()


async def _as_admin(http: httpx.AsyncClient) -> dict[str, str]:
    """The Authorization header of the server's admin, signed in through the API."""
    login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def _invite_technician(base_url: str, address: str) -> str:
    """Invite a technician through the API as the admin; return the invitation link's path and query."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        invited = await http.post(
            "/api/v1/users",
            json={"email": address, "firstName": "Nia", "lastName": "Bench", "role": "technician"},
            headers=await _as_admin(http),
        )
        assert invited.status_code == 201, invited.text
    bodies: list[str] = await wait_until(
        lambda: _plain_bodies_to(address), message=f"no invitation to {address}"
    )
    link = urlsplit(re.search(r"https?://\S+/accept-invite\?token=\S+", bodies[-1]).group(0))  # type: ignore[union-attr]
    return f"{link.path}?{link.query}"


async def _a_repair_of_someone_else(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        headers = await _as_admin(http)
        customer = await http.post(
            "/api/v1/customers", json={"firstName": "Owen", "lastName": "Else"}, headers=headers
        )
        repair = await http.post(
            "/api/v1/repairs",
            json=repair_body(customer.json()["id"], deviceBrand="Lenovo", deviceModel="ThinkPad X1"),
            headers=headers,
        )
        assert repair.status_code == 201, repair.text
        return repair.json()


async def test_a_technician_sees_no_settings_and_cannot_change_a_repair_not_theirs(browser, web_server):
    address = f"nia-{uuid.uuid4().hex[:8]}@example.com"
    invitation = await _invite_technician(web_server.base_url, address)
    repair = await _a_repair_of_someone_else(web_server.base_url)
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await guarded.goto(invitation)
        await page.get_by_label("New password").fill(TECHNICIAN_PASSWORD)
        await page.get_by_role("button", name="Set password").click()
        await page.wait_for_url("**/app/login**")
        await sign_in_staff(page, address, TECHNICIAN_PASSWORD)

        await expect(page.get_by_role("link", name="Repairs", exact=True)).to_be_visible()
        await expect(page.get_by_role("link", name="Settings")).to_have_count(0)
        await expect(page.get_by_role("link", name="New repair")).to_have_count(0)
        await guarded.goto(f"/app/repairs/{repair['id']}")
        await expect(page.get_by_role("button", name="Change status")).to_have_count(0)
        await expect(page.locator("#status")).to_contain_text("Only the technician it is assigned to")
        assert await axe_violations(page) == []
        guarded.assert_clean()

        # Posting the form anyway, with the session and its CSRF token, is refused and changes nothing.
        token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
        refused = await page.request.post(
            f"{web_server.base_url}/app/repairs/{repair['id']}/status",
            form={"csrftoken": token or "", "status": "diagnosing", "note": ""},
            headers={"X-CSRFToken": token or ""},
        )
        settings = await page.request.get(f"{web_server.base_url}/app/settings")
        assert refused.status == 403
        assert settings.status == 403
    async with httpx.AsyncClient(base_url=web_server.base_url, timeout=30) as http:
        stored = await http.get(f"/api/v1/repairs/{repair['id']}", headers=await _as_admin(http))
    assert stored.json()["status"] == "received"


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
async def test_the_work_order_pages_render_accessibly(browser, web_server, viewport):
    async with httpx.AsyncClient(base_url=web_server.base_url, timeout=30) as http:
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
            "/api/v1/customers", json={"firstName": "Gina", "lastName": "Palmer"}, headers=headers
        )
        work_order = await http.post(
            "/api/v1/work-orders",
            json={
                "customerId": customer.json()["id"],
                "serviceType": "AC tune-up",
                "scheduledDate": "2026-12-08",
                "technicianIds": [technician_id],
                "override": True,
            },
            headers=headers,
        )
        assert work_order.status_code == 201, work_order.text
    async with guarded_page(browser, web_server.base_url, viewport) as guarded:
        await guarded.goto("/app/login")
        await sign_in_staff(guarded.page)
        for path in (
            "/app/work-orders",
            f"/app/work-orders/{work_order.json()['id']}",
            "/app/my-day?date=2026-12-08",
            "/app/dispatch?date=2026-12-08",
        ):
            await guarded.goto(path)
            await expect(guarded.page.get_by_role("heading", level=1)).to_be_visible()
            assert await axe_violations(guarded.page) == []
        guarded.assert_clean()
