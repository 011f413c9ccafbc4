"""The sales pages in Chromium (issue 13, item 9): an order is placed from the new-order form, moved on
and invoiced from its page; a new order arrives live on the sales dashboard (the WebSocket, seed 002's
"new order"), whose charts are drawn by the vendored Chart.js under the pages' CSP; the products list
flags low stock; every page passes axe, loading nothing from another host: the flow on a laptop, then each
of its pages again on a phone."""

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


async def _api(base_url: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    http = httpx.AsyncClient(base_url=base_url, timeout=30)
    login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    return http, {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def _a_shop(base_url: str) -> dict[str, Any]:
    """A new customer and two products of this test's own (one at its low-stock threshold)."""
    tag = uuid.uuid4().hex[:6].upper()
    http, headers = await _api(base_url)
    try:
        customer = await http.post(
            "/api/v1/customers", json={"firstName": "Ines", "lastName": f"Sales-{tag}"}, headers=headers
        )
        assert customer.status_code == 201, customer.text
        charger = await http.post(
            "/api/v1/products",
            json={
                "name": f"USB-C charger 20 W {tag}",
                "sku": f"CHG-{tag}",
                "price": "24.00",
                "stockQuantity": 30,
            },
            headers=headers,
        )
        assert charger.status_code == 201, charger.text
        screen = await http.post(
            "/api/v1/products",
            json={
                "name": f"iPhone 13 screen {tag}",
                "sku": f"SCR-{tag}",
                "price": "129.00",
                "stockQuantity": 2,
                "lowStockThreshold": 2,
            },
            headers=headers,
        )
        assert screen.status_code == 201, screen.text
    finally:
        await http.aclose()
    return {"tag": tag, "customer": customer.json(), "charger": charger.json(), "screen": screen.json()}


async def _press(page: Any, button: str) -> None:
    async with page.expect_navigation(wait_until="networkidle"):
        await page.get_by_role("button", name=button).click()


async def test_an_order_is_placed_invoiced_and_seen_live_in_the_browser(browser, web_server):
    shop = await _a_shop(web_server.base_url)
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)

        await guarded.goto(f"/app/products?q={shop['tag']}")
        await expect(page.locator(f'[data-low-stock="{shop["screen"]["id"]}"]')).to_be_visible()
        assert await axe_violations(page) == []

        await guarded.goto(f"/app/orders/new?customerId={shop['customer']['id']}")
        await page.get_by_label("Product 1", exact=True).select_option(shop["charger"]["id"])
        await page.get_by_label("Quantity of product 1", exact=True).fill("2")
        assert await axe_violations(page) == []
        await _press(page, "Place the order")
        await expect(page.get_by_role("status")).to_contain_text("The order is placed")
        await expect(page.locator('[data-figure="total"]')).to_contain_text("48.00")
        assert await axe_violations(page) == []
        order = path_of(page)
        await _press(page, "Start processing")
        await expect(page.locator('h1 [data-status="processing"]')).to_be_visible()
        await _press(page, "Create invoice")
        await expect(page.get_by_role("status")).to_contain_text("The draft invoice is ready")
        await expect(page.locator("h1")).to_contain_text("Draft invoice")
        invoice = path_of(page)

        await guarded.goto("/app/sales")
        await expect(page.locator("#chart-sales-revenue")).to_be_visible()
        assert await page.evaluate("() => window.Chart && Object.keys(window.Chart.instances).length") == 2
        assert await axe_violations(page) == []
        # A new order placed elsewhere (the API) appears in the live feed without reloading.
        http, headers = await _api(web_server.base_url)
        try:
            placed = await http.post(
                "/api/v1/orders",
                json={
                    "customerId": shop["customer"]["id"],
                    "items": [{"productId": shop["screen"]["id"], "quantity": 1}],
                },
                headers=headers,
            )
            assert placed.status_code == 201, placed.text
        finally:
            await http.aclose()
        live = page.locator(f'[data-live-order="{placed.json()["id"]}"]')
        await expect(live).to_contain_text(placed.json()["orderNumber"])
        await expect(live).to_contain_text(f"Ines Sales-{shop['tag']}")
        guarded.assert_clean()
        signed_in = await page.context.storage_state()

    pages = [
        f"/app/products?q={shop['tag']}",
        f"/app/orders/new?customerId={shop['customer']['id']}",
        order,
        invoice,
        "/app/sales",
    ]
    await assert_pages_accessible_on(browser, web_server.base_url, "phone", pages, storage_state=signed_in)
