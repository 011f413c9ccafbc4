"""The customers, catalog and settings pages in a real browser (Debian's Chromium driven by Playwright,
against the shared ``fixdesk serve``): every page renders for an admin and passes axe-core without
serious or critical violations, loading nothing from another host and nothing the CSP refuses; the
customer search updates as one types; a price is edited in its row with the keyboard; a destructive
action asks first and a "no" changes nothing.

The browser signs in once at /app/login and every page opens with that session's cookie (Playwright's
storage state); the admin's bearer token serves only the API calls that set up the data.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.catalog import helpers as catalog
from tests.factories import Actor
from tests.support.browser import axe_violations, guarded_page, htmx_settled
from tests.support.server import clean_env, create_admin
from tests.web.conftest import staff_storage_state

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "staff admin pages 42"


@pytest.fixture(scope="module")
async def admin(web_server: Any) -> Actor:
    """An admin of the shared server (made with ``fixdesk create-admin`` on its data directory) and their
    access token."""
    email = f"pages-{uuid.uuid4().hex[:8]}@example.com"
    create_admin(clean_env(web_server.log_path.parent / "data"), email, ADMIN_PASSWORD)
    async with httpx.AsyncClient(base_url=web_server.base_url) as http:
        login = await http.post("/api/v1/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["accessToken"]
    return Actor(uuid.UUID(int=0), email, {"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
async def admin_state(browser: Any, web_server: Any, admin: Actor) -> dict[str, Any]:
    """The admin signed in through /app/login: the browser holds only the session cookie."""
    return await staff_storage_state(browser, web_server.base_url, admin.email, ADMIN_PASSWORD)


@pytest.fixture
async def api(web_server: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_server.base_url) as http:
        yield http


async def test_every_admin_page_renders_accessibly(browser, web_server, admin, admin_state, api):
    customer = await api.post(
        "/api/v1/customers", json={"firstName": "Lúcia", "lastName": "Ramos"}, headers=admin.headers
    )
    assert customer.status_code == 201, customer.text
    paths = [
        "/app/customers",
        "/app/customers/new",
        f"/app/customers/{customer.json()['id']}",
        f"/app/customers/{customer.json()['id']}/edit",
        "/app/catalog",
        "/app/catalog/devices",
        "/app/catalog/estimate",
        "/app/catalog/import",
        "/app/settings/staff",
        "/app/settings/webhooks",
        "/app/settings/api-clients",
        "/app/settings/custom-fields",
        "/app/settings/shop",
    ]
    async with guarded_page(browser, web_server.base_url, "laptop", storage_state=admin_state) as guarded:
        for path in paths:
            response = await guarded.goto(path)
            assert response.status == 200, path
            await expect(guarded.page.get_by_role("heading", level=1)).to_be_visible()
            assert await axe_violations(guarded.page) == [], path
        guarded.assert_clean()


async def test_the_customer_search_updates_as_one_types(browser, web_server, admin, admin_state, api):
    for first, last in (("Xavier", "Quintela"), ("Yara", "Quintela"), ("Zé", "Albuquerque")):
        created = await api.post(
            "/api/v1/customers", json={"firstName": first, "lastName": last}, headers=admin.headers
        )
        assert created.status_code == 201
    async with guarded_page(browser, web_server.base_url, "phone", storage_state=admin_state) as guarded:
        await guarded.goto("/app/customers")
        page = guarded.page

        await page.get_by_label("Search customers").press_sequentially("Quintela")

        results = page.locator("#customer-results")
        await expect(results.get_by_role("link", name="Xavier Quintela")).to_be_visible()
        await expect(results.get_by_role("link", name="Yara Quintela")).to_be_visible()
        await expect(results.get_by_role("link", name="Zé Albuquerque")).to_have_count(0)
        assert "search=Quintela" in page.url
        guarded.assert_clean()


async def test_a_price_is_edited_in_its_row_with_the_keyboard(browser, web_server, admin, admin_state, api):
    brand = await catalog.brand(api, admin, f"Brand {uuid.uuid4().hex[:6]}")
    device = await catalog.device(api, admin, brand["id"], name="Handset K1")
    repair = await catalog.repair_type(api, admin, f"Repair {uuid.uuid4().hex[:6]}")
    part = await catalog.part_type(api, admin, f"Part {uuid.uuid4().hex[:6]}")
    price = await catalog.price(api, admin, device["id"], repair["id"], part["id"], "80.00")
    async with guarded_page(browser, web_server.base_url, "laptop", storage_state=admin_state) as guarded:
        await guarded.goto(f"/app/catalog?deviceModelId={device['id']}")
        page = guarded.page
        row = page.locator(f"#price-{price['id']}")

        await row.get_by_role("button", name=f"Edit the price of {repair['name']} on Handset K1").press(
            "Enter"
        )
        field = row.get_by_label("Price", exact=True)
        await expect(field).to_be_visible()
        assert await axe_violations(page) == []
        await field.fill("95.00")
        await row.get_by_label("Reason (kept in the history)").fill("New supplier")
        await field.press("Enter")

        await expect(
            row.get_by_role("button", name=f"Edit the price of {repair['name']} on Handset K1")
        ).to_have_text("$95.00")
        await htmx_settled(page)
        await row.get_by_role("button", name="History of the price").press("Enter")
        await expect(page.locator("#price-history")).to_contain_text("New supplier")
        guarded.assert_clean()
    stored = await api.get(f"/api/v1/catalog/pricing/{price['id']}", headers=admin.headers)
    assert Decimal(str(stored.json()["price"])) == Decimal("95.00")


async def test_deactivating_staff_asks_first_and_no_changes_nothing(
    browser, web_server, admin, admin_state, api
):
    email = f"agent-{uuid.uuid4().hex[:8]}@example.com"
    invited = await api.post(
        "/api/v1/users",
        json={"email": email, "firstName": "Ana", "lastName": "Agent", "role": "agent"},
        headers=admin.headers,
    )
    assert invited.status_code == 201, invited.text
    questions: list[str] = []
    async with guarded_page(browser, web_server.base_url, "laptop", storage_state=admin_state) as guarded:
        page = guarded.page

        async def say_no(dialog: Any) -> None:
            questions.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", say_no)
        await guarded.goto("/app/settings/staff")
        row = page.get_by_role("row").filter(has_text=email)
        await row.get_by_role("button", name="Deactivate").click()

        await expect(row.get_by_text("Active", exact=True)).to_be_visible()
        guarded.assert_clean()
    assert questions == ["Deactivate Ana Agent? Their sessions end at once."]
    user = await api.get(f"/api/v1/users/{invited.json()['id']}", headers=admin.headers)
    assert user.json()["isActive"] is True
