"""The pages in a real browser (Debian's Chromium driven by Playwright, against ``fixdesk serve``), at a
laptop's 1280×800 and a phone's 390×844: they render, pass axe-core without serious or critical
violations, send the security headers, and load nothing from another host and nothing the CSP refuses."""

from __future__ import annotations

import pytest

from tests.support.browser import axe_violations, guarded_page

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
def test_sign_in_pages_render_accessibly_from_the_server_alone(browser, web_server, path, viewport):
    with guarded_page(browser, web_server.base_url, viewport) as guarded:
        response = guarded.goto(path)

        assert response.status == 200
        page = guarded.page
        assert page.get_by_role("heading", level=1).inner_text() == SIGN_IN_PAGES[path][0]
        # Every control is found by its label, as a screen reader announces it.
        assert page.get_by_label("Email address").is_visible()
        assert page.get_by_label("Password").is_visible()
        assert page.get_by_label("Remember me on this device").is_visible()
        assert page.get_by_role("button", name="Sign in").is_visible()
        # The stylesheet and the icon font arrived: Tabler styles the primary button.
        background = page.get_by_role("button", name="Sign in").evaluate(
            "element => getComputedStyle(element).backgroundColor"
        )
        assert background not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")
        headers = response.headers
        assert "script-src 'self';" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"]
        assert axe_violations(page) == []
        guarded.assert_clean()


@pytest.mark.parametrize("path", sorted(SIGN_IN_PAGES))
def test_sign_in_pages_follow_the_browser_language(browser, web_server, path):
    with guarded_page(browser, web_server.base_url, "phone", locale="pt-PT") as guarded:
        guarded.goto(path)

        page = guarded.page
        assert page.get_by_role("heading", level=1).inner_text() == SIGN_IN_PAGES[path][1]
        assert page.locator("html").get_attribute("lang") == "pt"
        assert page.get_by_label("Palavra-passe").is_visible()
        assert axe_violations(page) == []
        guarded.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", ["/app", "/portal", "/app/no-such-page"])
def test_the_shells_and_the_error_page_render_accessibly(browser, web_server, path, viewport):
    with guarded_page(browser, web_server.base_url, viewport) as guarded:
        response = guarded.goto(path)

        assert response.status == (404 if "no-such" in path else 200)
        assert response.headers["x-frame-options"] == "DENY"
        assert guarded.page.get_by_role("heading", level=1).is_visible()
        assert axe_violations(guarded.page) == []
        guarded.assert_clean()


def test_the_staff_menu_opens_with_the_keyboard_on_a_phone(browser, web_server):
    # Tabler's script (Bootstrap's collapse) must run under the CSP for the menu to open.
    with guarded_page(browser, web_server.base_url, "phone") as guarded:
        guarded.goto("/app")
        page = guarded.page
        toggler = page.get_by_role("button", name="Show the menu")
        assert not page.get_by_role("link", name="API documentation").is_visible()

        toggler.focus()
        page.keyboard.press("Enter")

        page.get_by_role("link", name="API documentation").wait_for(state="visible")
        assert toggler.get_attribute("aria-expanded") == "true"
        guarded.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_swagger_ui_lists_the_operations_offline(browser, web_server, viewport):
    with guarded_page(browser, web_server.base_url, viewport) as guarded:
        response = guarded.goto("/docs")

        assert response.status == 200
        page = guarded.page
        # Swagger UI draws only the operations in view (a virtualised list): the first ones show it works.
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock-summary-path", has_text="/health").is_visible()
        assert page.locator(".opblock-tag").count() >= 2
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        guarded.assert_clean()


def test_redoc_shows_the_reference_offline(browser, web_server):
    with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        response = guarded.goto("/redoc")

        assert response.status == 200
        page = guarded.page
        page.get_by_role("heading", name="Fixdesk API").first.wait_for()
        assert page.locator("[data-section-id^='tag/']").count() > 5
        guarded.console_errors = [e for e in guarded.console_errors if not e.startswith(REDOC_LOGO_REFUSED)]
        guarded.assert_clean()


def test_the_guard_fails_a_page_that_requests_another_host(browser, web_server):
    # The harness itself: a request to another host is aborted and reported, so a page that makes one fails
    # its test. (A document without our CSP, which would refuse the image before it is requested.)
    with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        guarded.page.set_content('<img src="http://192.0.2.1/tracker.gif" alt="">', wait_until="load")

        assert guarded.off_host == ["http://192.0.2.1/tracker.gif"]
        with pytest.raises(
            AssertionError, match=r"request to another host: http://192\.0\.2\.1/tracker\.gif"
        ):
            guarded.assert_clean()


def test_the_pages_policy_refuses_another_host_before_any_request(browser, web_server):
    with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        guarded.goto("/app/login")
        page = guarded.page

        with page.expect_console_message(lambda message: "192.0.2.1" in message.text):
            page.evaluate(
                "() => { const image = new Image(); image.alt = '';"
                " image.src = 'http://192.0.2.1/tracker.gif'; document.body.append(image); }"
            )

        assert guarded.off_host == []
        assert "Content Security Policy" in guarded.console_errors[0]
        with pytest.raises(AssertionError, match="console error"):
            guarded.assert_clean()
