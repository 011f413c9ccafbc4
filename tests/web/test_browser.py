"""The pages in a real browser (Debian's Chromium driven by Playwright, against ``fixdesk serve``), at a
laptop's 1280×800 and a phone's 390×844: they render, pass axe-core without serious or critical
violations, send the security headers, and load nothing from another host and nothing the CSP refuses."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.async_api import expect

from fixdesk.web.assets import vendor_url
from fixdesk.web.security import PAGE_POLICY
from tests.support.browser import axe_violations, guarded_page
from tests.support.polling import wait_until
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.web.conftest import PORTAL_CUSTOMER_EMAIL, sign_in_customer, sign_in_staff

pytestmark = pytest.mark.browser

VIEWPORTS = ["laptop", "phone"]
SIGN_IN_PAGES = {
    "/app/login": ("Sign in to your account", "Entrar na sua conta"),
    "/portal/login": ("Follow your repair", "Acompanhe a sua reparação"),
}
# ReDoc draws Redocly's logo from cdn.redoc.ly in its menu, whatever the options; the page's CSP refuses
# it before any request leaves the browser, and the link's text stays.
REDOC_LOGO_REFUSED = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", sorted(SIGN_IN_PAGES))
async def test_sign_in_pages_render_accessibly_from_the_server_alone(browser, web_server, path, viewport):
    async with guarded_page(browser, web_server.base_url, viewport) as guarded:
        response = await guarded.goto(path)

        assert response.status == 200
        page = guarded.page
        await expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN_PAGES[path][0])
        # Every control is found by its label, as a screen reader announces it.
        await expect(page.get_by_label("Email address")).to_be_visible()
        await expect(page.get_by_label("Password")).to_be_visible()
        await expect(page.get_by_label("Remember me on this device")).to_be_visible()
        sign_in = page.get_by_role("button", name="Sign in")
        await expect(sign_in).to_be_visible()
        # The stylesheet arrived: Tabler paints the primary button in its blue.
        await expect(sign_in).to_have_css("background-color", "oklch(0.546 0.1724 254.2)")
        headers = response.headers
        assert "script-src 'self';" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"]
        assert await axe_violations(page) == []
        guarded.assert_clean()


@pytest.mark.parametrize("path", sorted(SIGN_IN_PAGES))
async def test_sign_in_pages_follow_the_browser_language(browser, web_server, path):
    async with guarded_page(browser, web_server.base_url, "phone", locale="pt-PT") as guarded:
        await guarded.goto(path)

        page = guarded.page
        await expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN_PAGES[path][1])
        await expect(page.locator("html")).to_have_attribute("lang", "pt")
        await expect(page.get_by_label("Palavra-passe")).to_be_visible()
        assert await axe_violations(page) == []
        guarded.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", ["/app", "/portal", "/app/no-such-page"])
async def test_the_shells_and_the_error_page_render_accessibly(browser, web_server, path, viewport):
    async with guarded_page(browser, web_server.base_url, viewport) as guarded:
        if path != "/app/no-such-page":
            # Signed out, a page sends the reader to its area's sign-in, and back after signing in.
            await guarded.goto(path)
            sign_in = sign_in_staff if path == "/app" else sign_in_customer
            await expect(guarded.page).to_have_url(f"{guarded.origin}{path}/login?next=%2F{path[1:]}")
            await sign_in(guarded.page)
        response = await guarded.goto(path)

        assert response.status == (404 if "no-such" in path else 200)
        assert response.headers["x-frame-options"] == "DENY"
        await expect(guarded.page.get_by_role("heading", level=1)).to_be_visible()
        assert await axe_violations(guarded.page) == []
        guarded.assert_clean()


async def test_a_customer_on_a_phone_signs_in_opens_the_repair_and_approves_its_quote(browser, web_server):
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        page = guarded.page
        await guarded.goto("/portal/login")
        await sign_in_customer(page)
        assert await axe_violations(page) == []

        await page.get_by_role("link", name="Apple iPhone 13").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Apple iPhone 13")
        await expect(page.get_by_test_id("quote-total")).to_have_text("$60.00")
        assert await axe_violations(page) == []
        await page.get_by_role("button", name="Approve the quote").click()

        await expect(page.get_by_role("status")).to_contain_text("the quote is approved")
        await expect(page.get_by_test_id("repair-status")).to_have_text("Approved")
        await expect(page.get_by_role("button", name="Approve the quote")).to_have_count(0)
        guarded.assert_clean()


async def test_axe_judges_a_page_as_styled_even_when_its_stylesheet_is_slow(browser, web_server):
    """A test may check a page as soon as its text is in the DOM; the check must still see Fixdesk's own
    stylesheet (its contrast fixes and underlined links), however late that sheet arrives."""
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        page = guarded.page
        await guarded.goto("/portal/login")
        await sign_in_customer(page)

        async def late_stylesheet(route):
            await asyncio.sleep(1.5)
            await route.continue_()

        await page.route("**/fixdesk/app.css*", late_stylesheet)
        await page.get_by_role("link", name="Apple iPhone 13").click(no_wait_after=True)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Apple iPhone 13")
        assert await axe_violations(page) == []
        guarded.assert_clean()


async def completed_repair(base_url: str, device_model: str) -> str:
    """A repair of the portal customer brought to ``completed`` (ready for pickup) by the admin through
    the API; its id."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        staff = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        found = await http.get("/api/v1/customers", params={"search": PORTAL_CUSTOMER_EMAIL}, headers=staff)
        [customer] = found.json()["items"]
        repair = await http.post(
            "/api/v1/repairs",
            json={
                "customerId": customer["id"],
                "deviceType": "phone",
                "deviceBrand": "Samsung",
                "deviceModel": device_model,
                "issueDescription": "Battery drains in an hour",
            },
            headers=staff,
        )
        assert repair.status_code == 201, repair.text
        for status in ("diagnosing", "quoted", "approved", "repairing", "testing", "completed"):
            moved = await http.put(
                f"/api/v1/repairs/{repair.json()['id']}/status",
                json={"status": status, "notifyCustomer": False},
                headers=staff,
            )
            assert moved.status_code == 200, moved.text
        return repair.json()["id"]


async def test_a_customer_on_a_phone_rates_a_completed_repair_with_the_keyboard(browser, web_server):
    await completed_repair(web_server.base_url, "Galaxy S22")
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        page = guarded.page
        await guarded.goto("/portal/login")
        await sign_in_customer(page)
        await page.get_by_role("link", name="Samsung Galaxy S22").click()
        await expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
        assert await axe_violations(page) == []

        # Radio buttons: focus the group, choose with the arrow keys, Tab on to the comment and the button.
        await page.get_by_role("radio", name="5 stars: excellent").focus()
        await page.keyboard.press("Space")
        await page.keyboard.press("ArrowDown")
        await expect(page.get_by_role("radio", name="4 stars: very good")).to_be_checked()
        await page.keyboard.press("Tab")
        await expect(page.get_by_label("Anything you want to tell us? (optional)")).to_be_focused()
        await page.keyboard.type("New battery, as good as new")
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="Send my rating")).to_be_focused()
        await page.keyboard.press("Enter")

        await expect(page.get_by_role("status")).to_contain_text("Thank you for rating your repair.")
        await expect(page.get_by_test_id("review-rating")).to_contain_text("4 stars: very good")
        await expect(page.get_by_text("New battery, as good as new")).to_be_visible()
        await expect(page.get_by_role("radio")).to_have_count(0)

        await page.get_by_role("link", name="Your details").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
        await expect(page.get_by_label("Send me updates by text message")).to_be_visible()
        assert await axe_violations(page) == []
        guarded.assert_clean()


async def test_the_staff_menu_opens_with_the_keyboard_on_a_phone(browser, web_server):
    # Tabler's script (Bootstrap's collapse) must run under the CSP for the menu to open.
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        await guarded.goto("/app/login")
        await sign_in_staff(guarded.page)
        page = guarded.page
        toggler = page.get_by_role("button", name="Show the menu")
        documentation = page.get_by_role("link", name="API documentation")
        await expect(documentation).to_be_hidden()

        await toggler.focus()
        await page.keyboard.press("Enter")

        await expect(documentation).to_be_visible()
        await expect(toggler).to_have_attribute("aria-expanded", "true")
        guarded.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_swagger_ui_lists_the_operations_offline(browser, web_server, viewport):
    async with guarded_page(browser, web_server.base_url, viewport) as guarded:
        response = await guarded.goto("/docs")

        assert response.status == 200
        page = guarded.page
        # Swagger UI draws only the operations in view (a virtualised list): the first ones show it works.
        await expect(page.locator(".opblock-summary-path", has_text="/health")).to_be_visible()
        assert await page.locator(".opblock-tag").count() >= 2
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        guarded.assert_clean()


async def test_redoc_shows_the_reference_offline(browser, web_server):
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        response = await guarded.goto("/redoc")

        assert response.status == 200
        page = guarded.page
        # ReDoc lays out the whole document in the browser before it shows anything: about 10 s for the
        # current API on an idle machine, so a loaded CI machine gets a generous bound.
        await expect(page.get_by_role("heading", name="Fixdesk API").first).to_be_visible(timeout=90_000)
        assert await page.locator("[data-section-id^='tag/']").count() > 5
        guarded.console_errors = [e for e in guarded.console_errors if not e.startswith(REDOC_LOGO_REFUSED)]
        guarded.assert_clean()


async def test_the_guard_fails_a_page_that_requests_another_host(browser, web_server):
    # The harness itself: a request to another host is aborted and reported, so a page that makes one fails
    # its test. (A document without our CSP, which would refuse the image before it is requested.)
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        await guarded.page.set_content('<img src="http://192.0.2.1/tracker.gif" alt="">', wait_until="load")

        assert guarded.off_host == ["http://192.0.2.1/tracker.gif"]
        with pytest.raises(
            AssertionError, match=r"request to another host: http://192\.0\.2\.1/tracker\.gif"
        ):
            guarded.assert_clean()


async def test_the_pages_policy_refuses_another_host_before_any_request(browser, web_server):
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        await guarded.goto("/app/login")
        page = guarded.page

        async with page.expect_console_message(lambda message: "192.0.2.1" in message.text):
            await page.evaluate(
                "() => { const image = new Image(); image.alt = '';"
                " image.src = 'http://192.0.2.1/tracker.gif'; document.body.append(image); }"
            )

        assert guarded.off_host == []
        assert "Content Security Policy" in guarded.console_errors[0]
        with pytest.raises(AssertionError, match="console error"):
            guarded.assert_clean()


COMPONENTS_JS = """
document.addEventListener("alpine:init", () => {
  Alpine.data("counter", () => ({
    count: 0,
    get label() { return "Clicked " + this.count; },
    increment() { this.count++; },
  }));
});
window.addEventListener("DOMContentLoaded", () => {
  new Chart(document.getElementById("chart"), {
    type: "bar",
    data: {labels: ["Mon", "Tue"], datasets: [{label: "Repairs", data: [3, 5]}]},
    options: {animation: false},
  });
  document.body.dataset.chart = "drawn";
});
"""


async def test_alpine_and_chart_js_work_under_the_pages_policy(browser, web_server):
    # No page uses them yet. This one is served at the server's origin with the pages' own policy, loading
    # the vendored files from the server, as the pages to come will: Alpine's CSP build evaluates nothing,
    # Chart.js draws without inline styles.
    page_html = f"""<!doctype html><html lang="en"><head><title>Check</title>
<script src="{vendor_url("chart.js", "chart.umd.min.js")}"></script>
<script src="/check/components.js" defer></script>
<script src="{vendor_url("alpinejs-csp", "alpine-csp.min.js")}" defer></script>
</head><body><main>
<div x-data="counter"><button type="button" x-on:click="increment" x-text="label">…</button></div>
<canvas id="chart" width="300" height="150" role="img" aria-label="Repairs per day"></canvas>
</main></body></html>"""
    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await page.route(
            guarded.origin + "/check/page",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                headers={"Content-Security-Policy": PAGE_POLICY},
                body=page_html,
            ),
        )
        await page.route(
            guarded.origin + "/check/components.js",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=COMPONENTS_JS),
        )
        await guarded.goto("/check/page")

        await page.get_by_role("button", name="Clicked 0").click()

        await expect(page.get_by_role("button", name="Clicked 1")).to_be_visible()
        await expect(page.locator("body")).to_have_attribute("data-chart", "drawn")
        guarded.assert_clean()


async def _portal_visitors(base_url: str) -> int:
    """The sales dashboard's unique visitors over the last 30 days (the fresh server has none older)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        staff = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        response = await http.get("/api/v1/dashboard/visitors", params={"period": "month"}, headers=staff)
        assert response.status_code == 200, response.text
        return sum(response.json()["uniqueCustomers"])


async def test_the_portal_counts_its_visitor_for_the_sales_dashboard(browser, web_server):
    """A new browser (its own storage) opening the portal is one more visitor, counted by the beacon
    (static/fixdesk/visit.js) under the pages' policy."""
    before = await _portal_visitors(web_server.base_url)
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        await guarded.goto("/portal/login")
        await sign_in_customer(guarded.page)

        async def counted() -> int | None:
            count = await _portal_visitors(web_server.base_url)
            return count if count > before else None

        assert await wait_until(counted, message="the portal's visit counted") == before + 1
        await guarded.goto("/portal/profile")  # the same visitor again
        await expect(guarded.page.get_by_role("heading", level=1)).to_be_visible()
        assert await _portal_visitors(web_server.base_url) == before + 1
        guarded.assert_clean()
