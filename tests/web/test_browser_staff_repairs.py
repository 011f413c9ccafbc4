"""The dashboard, the repairs board and kanban, and the repair page in a real browser (Chromium driven by
Playwright, against ``fixdesk serve``): they render under the CSP with nothing from another host, pass
axe-core without serious or critical violations, a line added on the repair page updates the totals
without a reload, and a kanban card dropped on an allowed column moves the repair.

The browser signs in once at /app/login and every page opens with that session's cookie (Playwright's
storage state); the bearer token serves only the API calls that set up and check the data.
One server for the module (its own, with an admin created before it starts), a handful of pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.factories import repair_body
from tests.support.browser import axe_violations, guarded_page
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, Server, clean_env, create_admin, start_server
from tests.web.conftest import staff_storage_state

pytestmark = pytest.mark.browser


@dataclass
class Shop:
    server: Server
    headers: dict[str, str]
    repair: dict[str, Any]
    second: dict[str, Any]


@pytest.fixture(scope="module")
def shop(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    directory = tmp_path_factory.mktemp("staff-pages")
    env = clean_env(directory / "data")
    create_admin(env)
    server = start_server(env, directory / "server.log", "--no-worker")
    try:
        server.wait_healthy()
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            login = http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
            customer = http.post(
                "/api/v1/customers", headers=headers, json={"firstName": "Marta", "lastName": "Costa"}
            )
            assert customer.status_code == 201, customer.text
            repairs = []
            for model in ("iPhone 13", "Pixel 8"):
                created = http.post(
                    "/api/v1/repairs",
                    headers=headers,
                    json=repair_body(customer.json()["id"], deviceModel=model),
                )
                assert created.status_code == 201, created.text
                repairs.append(created.json())
        yield Shop(server, headers, repairs[0], repairs[1])
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def staff_state(browser: Any, shop: Shop) -> dict[str, Any]:
    """The admin signed in through /app/login: the browser holds only the session cookie."""
    return await staff_storage_state(browser, shop.server.base_url)


@pytest.mark.parametrize(
    "path", ["/app", "/app/repairs", "/app/repairs?view=kanban", "repair", "receipt"], ids=str
)
async def test_staff_pages_render_accessibly(browser, shop, staff_state, path):
    path = {
        "repair": f"/app/repairs/{shop.repair['id']}",
        "receipt": f"/app/repairs/{shop.repair['id']}/receipt",
    }.get(path, path)
    async with guarded_page(browser, shop.server.base_url, "laptop", storage_state=staff_state) as guarded:
        response = await guarded.goto(path)

        assert response.status == 200
        await expect(guarded.page.get_by_role("heading", level=1)).to_be_visible()
        assert await axe_violations(guarded.page) == []
        guarded.assert_clean()


async def test_the_repair_page_on_a_phone(browser, shop, staff_state):
    async with guarded_page(browser, shop.server.base_url, "phone", storage_state=staff_state) as guarded:
        await guarded.goto(f"/app/repairs/{shop.repair['id']}")

        await expect(guarded.page.get_by_label("Move to")).to_be_visible()
        assert await axe_violations(guarded.page) == []
        guarded.assert_clean()


async def test_adding_a_line_updates_the_totals_without_a_reload(browser, shop, staff_state):
    async with guarded_page(browser, shop.server.base_url, "laptop", storage_state=staff_state) as guarded:
        page = guarded.page
        await guarded.goto(f"/app/repairs/{shop.second['id']}")
        await page.evaluate("window.notReloaded = true")

        await page.get_by_label("Part", exact=True).fill("Battery")
        await page.get_by_label("Unit price").fill("45.50")
        await page.get_by_role("button", name="Add part").click()

        await expect(page.locator('[data-total="total"]')).to_have_text("$45.50")
        assert await page.evaluate("window.notReloaded") is True
        guarded.assert_clean()


async def test_a_kanban_card_moves_only_to_an_allowed_column(browser, shop, staff_state):
    async with guarded_page(browser, shop.server.base_url, "laptop", storage_state=staff_state) as guarded:
        page = guarded.page
        await guarded.goto("/app/repairs?view=kanban")
        card = page.locator(f'[data-repair="{shop.repair["id"]}"]')
        await expect(page.locator('[data-column="received"]').locator(card)).to_have_count(1)

        # Testing is not a next state of received: the drop is not taken, the card stays.
        await card.drag_to(page.locator('[data-column="testing"] .kanban-cards'))
        await expect(page.locator('[data-column="received"]').locator(card)).to_have_count(1)

        async with page.expect_navigation():
            await card.drag_to(page.locator('[data-column="diagnosing"] .kanban-cards'))
        await expect(
            page.locator(f'[data-column="diagnosing"] [data-repair="{shop.repair["id"]}"]')
        ).to_have_count(1)
        guarded.assert_clean()
    with httpx.Client(base_url=shop.server.base_url, timeout=30) as http:
        stored = http.get(f"/api/v1/repairs/{shop.repair['id']}", headers=shop.headers).json()
    assert stored["status"] == "diagnosing"
