"""The customer's invoices in a real browser on a phone (issue 12, item 7): "My invoices" from the portal's
header, an invoice with its balance and PDF link, axe-clean, nothing from another host. The server runs
without Stripe, so no Pay button shows (the button and its redirect are tested in
tests/billing/test_portal.py)."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import axe_violations, guarded_page
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.web.conftest import PORTAL_CUSTOMER_EMAIL, sign_in_customer

pytestmark = pytest.mark.browser


async def issued_invoice(base_url: str) -> dict:
    """An issued invoice of 150.00 for the portal customer, 50.00 of it paid, made through the API."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        staff = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        found = await http.get("/api/v1/customers", params={"search": PORTAL_CUSTOMER_EMAIL}, headers=staff)
        [customer] = found.json()["items"]
        draft = await http.post(
            "/api/v1/invoices",
            json={
                "customerId": customer["id"],
                "lines": [{"description": "Battery replacement", "unitPrice": "150.00", "taxExempt": True}],
            },
            headers=staff,
        )
        assert draft.status_code == 201, draft.text
        issued = await http.post(f"/api/v1/invoices/{draft.json()['id']}/finalize", headers=staff)
        assert issued.status_code == 200, issued.text
        paid = await http.post(
            "/api/v1/payments",
            json={"invoiceId": draft.json()["id"], "amount": "50.00", "method": "cash"},
            headers=staff,
        )
        assert paid.status_code == 201, paid.text
        return issued.json()


async def test_a_customer_on_a_phone_opens_an_invoice_from_my_invoices(browser, web_server):
    invoice = await issued_invoice(web_server.base_url)
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        page = guarded.page
        await guarded.goto("/portal/login")
        await sign_in_customer(page)
        await page.get_by_role("link", name="My invoices").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("My invoices")
        assert await axe_violations(page) == []

        await page.get_by_role("link", name=invoice["invoiceNumber"]).click()
        await expect(page.get_by_test_id("invoice-balance")).to_have_text("$100.00")
        await expect(page.get_by_test_id("invoice-status")).to_have_text("Partly paid")
        await expect(page.get_by_role("link", name="Download PDF")).to_be_visible()
        await expect(page.get_by_test_id("pay")).to_have_count(0)
        assert await axe_violations(page) == []
        guarded.assert_clean()
