"""The billing pages in Chromium (issue 12, item 10): "Create invoice" on a repair's page makes the draft,
the invoice is issued (after the confirmation) and paid in part from its page, the list and the
receivables (its chart drawn by the vendored Chart.js under the pages' CSP) follow, and every page passes
axe, loading nothing from another host: the flow on a laptop, then each of its pages again on a phone."""

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


async def _a_repair_to_bill(base_url: str) -> dict[str, Any]:
    """A new customer's repair with a part of 120.00 on it."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        customer = await http.post(
            "/api/v1/customers",
            json={"firstName": "Ines", "lastName": f"Billing-{uuid.uuid4().hex[:6]}"},
            headers=headers,
        )
        assert customer.status_code == 201, customer.text
        repair = await http.post(
            "/api/v1/repairs",
            json={
                "customerId": customer.json()["id"],
                "deviceType": "phone",
                "deviceBrand": "Apple",
                "deviceModel": "iPhone 13",
                "issueDescription": "Cracked screen",
            },
            headers=headers,
        )
        assert repair.status_code == 201, repair.text
        item = await http.post(
            f"/api/v1/repairs/{repair.json()['id']}/items",
            json={"description": "Screen assembly", "quantity": 1, "unitPrice": "120.00"},
            headers=headers,
        )
        assert item.status_code == 201, item.text
    return {"customer": customer.json(), "repair": repair.json()}


async def _press(page: Any, button: str) -> None:
    """Submit a form by its button and wait for the next page to settle (its scripts loaded)."""
    async with page.expect_navigation(wait_until="networkidle"):
        await page.get_by_role("button", name=button).click()


async def test_an_invoice_is_made_from_a_repair_issued_and_paid_in_the_browser(browser, web_server):
    bill = await _a_repair_to_bill(web_server.base_url)
    customer_name = f"{bill['customer']['firstName']} {bill['customer']['lastName']}"

    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        questions: list[str] = []

        async def confirm(dialog: Any) -> None:
            questions.append(dialog.message)
            await dialog.accept()

        page.on("dialog", confirm)
        await guarded.goto("/app/login")
        await sign_in_staff(page)
        await guarded.goto(f"/app/repairs/{bill['repair']['id']}")
        await _press(page, "Create invoice")
        await expect(page.get_by_role("status")).to_contain_text("The draft invoice is ready")
        await expect(page.locator("h1")).to_contain_text("Draft invoice")
        assert await axe_violations(page) == []

        await _press(page, "Issue (finalise)")
        await expect(page.get_by_role("status")).to_contain_text("The invoice is issued")
        assert len(questions) == 1
        assert "Issue this invoice" in questions[0]
        await expect(page.locator("h1")).to_contain_text("INV-")
        await page.get_by_label("Amount", exact=True).fill("50.00")
        await page.get_by_label("Method").select_option("card")
        await _press(page, "Record the payment")
        await expect(page.get_by_role("status")).to_contain_text("The payment is recorded")
        await expect(page.locator('h1 [data-status="partially_paid"]')).to_be_visible()
        await expect(page.locator('[data-figure="balance"]')).to_contain_text("70.00")
        assert await axe_violations(page) == []
        invoice_page = path_of(page)

        await guarded.goto("/app/invoices?status=partially_paid")
        await expect(page.locator("table")).to_contain_text(customer_name)
        assert await axe_violations(page) == []

        await guarded.goto("/app/receivables")
        await expect(page.locator("#chart-receivables")).to_be_visible()
        await expect(page.get_by_role("link", name=customer_name)).to_be_visible()  # in the aging
        assert await axe_violations(page) == []
        guarded.assert_clean()
        signed_in = await page.context.storage_state()

    pages = [
        f"/app/repairs/{bill['repair']['id']}",
        invoice_page,
        "/app/invoices?status=partially_paid",
        "/app/receivables",
    ]
    await assert_pages_accessible_on(browser, web_server.base_url, "phone", pages, storage_state=signed_in)
