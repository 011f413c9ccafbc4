"""Headless Chromium for browser tests and screenshots: Debian's ``chromium`` driven by Playwright.

* :func:`chromium_problem` says why no browser can run here (``None`` when one can).
* :func:`launch` starts the system Chromium (``FIXDESK_TEST_CHROMIUM``, default ``/usr/bin/chromium``;
  Playwright's own browser download is not used) with the background traffic a closed network refuses
  turned off.
Everything is Playwright's async API: the test suite runs its async tests on one event loop per process
(pytest-asyncio), and Playwright's sync API would hold a loop of its own in the same thread.

* :func:`guarded_page` opens a page in a fresh context that records every request to another host than
  the server under test (and aborts it), every console error (a Content-Security-Policy violation is one),
  every uncaught script error and every failed request or error response; :meth:`GuardedPage.assert_clean`
  fails the test on any of them.
* :func:`axe_violations` runs axe-core (vendored by ``scripts/vendor-assets`` into ``vendor/``) on the
  page and lists the violations of the impacts asked for.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPOSITORY = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("FIXDESK_TEST_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    # As root in a container there is no user namespace for Chromium's sandbox.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No calls home: updates, sync, field trials, safe browsing lists, QUIC probes.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "laptop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
SERIOUS_IMPACTS = ("serious", "critical")


def chromium_problem() -> str | None:
    """Why browser tests cannot run here, or ``None``."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright is not installed ({exc}); pip install -e '.[dev]'"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (
            f"no Chromium at {CHROMIUM} (apt-get install chromium, or set FIXDESK_TEST_CHROMIUM to the "
            "browser's path)"
        )
    return None


async def launch(playwright: Any) -> Any:
    """Start the system Chromium headless (a Playwright ``Browser``) from ``async_playwright()``."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)


def axe_source() -> str:
    """The vendored ``axe.min.js`` (its version is recorded in ``src/fixdesk/web/vendor.json``)."""
    lock = json.loads((REPOSITORY / "src/fixdesk/web/vendor.json").read_text(encoding="utf-8"))
    return (REPOSITORY / lock["assets"]["axe-core"]["path"] / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class GuardedPage:
    """A Playwright page and what went wrong on it so far."""

    page: Any
    origin: str
    off_host: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    async def goto(self, path: str, **kwargs: Any) -> Any:
        """Open ``path`` of the server and wait until the network is quiet; returns the response."""
        kwargs.setdefault("wait_until", "networkidle")
        return await self.page.goto(self.origin + path, **kwargs)

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {url}" for url in self.off_host]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"script error: {text}" for text in self.script_errors]
            + [f"failed request: {text}" for text in self.failed_requests]
        )

    def assert_clean(self) -> None:
        """Fail unless every request stayed on the server, succeeded, and nothing logged an error."""
        problems = self.problems()
        assert problems == [], "\n".join(problems)


def _same_origin(url: str, origin: str) -> bool:
    parts, server = urlsplit(url), urlsplit(origin)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname == server.hostname and parts.port == server.port


@asynccontextmanager
async def guarded_page(
    browser: Any, origin: str, viewport: str = "laptop", locale: str = "en-US", **context_options: Any
) -> AsyncIterator[GuardedPage]:
    """A page in a fresh browser context (``viewport``: ``laptop`` 1280×800 or ``phone`` 390×844; ``locale``
    sets ``Accept-Language``) whose requests to any host but ``origin`` are aborted and recorded."""
    context = await browser.new_context(locale=locale, **VIEWPORTS[viewport], **context_options)
    # Actions and navigations wait as long as a busy CI machine may need; a broken page still fails.
    context.set_default_timeout(30_000)
    guarded = GuardedPage(page=None, origin=origin.rstrip("/"))

    async def route(route: Any) -> None:
        url = route.request.url
        if _same_origin(url, guarded.origin):
            await route.fallback()
        else:
            guarded.off_host.append(url)
            await route.abort("blockedbyclient")

    def on_console(message: Any) -> None:
        # Chromium also logs every 4xx/5xx answer as a console error; those are judged by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            guarded.console_errors.append(message.text)

    def on_response(response: Any) -> None:
        # The document's own status is the test's business (an error page is answered 404 on purpose).
        if response.status >= 400 and response.request.resource_type != "document":
            guarded.failed_requests.append(f"{response.status} {response.url}")

    def on_request_failed(request: Any) -> None:
        # A request cut short because the page navigated away (a live refresh in flight when a form is
        # submitted, a script or web font still loading when a link is followed) is the browser's
        # cancellation, net::ERR_ABORTED, not a failed answer: a server that fails answers with a status
        # (on_response) or drops the connection (another net:: error), and a blocked request has its own.
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return
        if _same_origin(request.url, guarded.origin):
            guarded.failed_requests.append(f"{request.failure} {request.url}")

    await context.route("**/*", route)
    page = await context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: guarded.script_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    guarded.page = page
    try:
        yield guarded
    finally:
        await context.close()


def path_of(page: Any) -> str:
    """The path and query of the page's current address (``/app/invoices/…?tab=1``)."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def assert_pages_accessible_on(
    browser: Any, origin: str, viewport: str, paths: list[str], *, storage_state: dict[str, Any]
) -> None:
    """Open each of ``paths`` of the server at ``origin`` in a fresh ``viewport`` context signed in with
    ``storage_state`` (Playwright's, from ``await page.context.storage_state()``) and require that each
    answers 200, has a heading, passes axe (serious and critical impacts), and that nothing on the way
    failed or left the server (:meth:`GuardedPage.assert_clean`).

    A flow test drives its pages on one viewport (the laptop) and opens the pages it went through again
    on the other (the phone) with this: each page is still drawn and checked on both, and the flow's
    typing, waiting and saving is done once."""
    async with guarded_page(browser, origin, viewport, storage_state=storage_state) as guarded:
        for path in paths:
            response = await guarded.goto(path)
            status = response.status if response is not None else None
            assert status == 200, f"{path} answered {status} on the {viewport}"
            assert await guarded.page.locator("h1").count() >= 1, f"{path} has no heading on the {viewport}"
            violations = await axe_violations(guarded.page)
            assert violations == [], f"{path} on the {viewport}: {violations}"
        guarded.assert_clean()


STYLESHEETS_LOADED = """() => document.readyState === 'complete'
    && [...document.querySelectorAll('link[rel="stylesheet"]')].every((link) => link.sheet !== null)"""

FINITE_ANIMATIONS_SETTLED = """() => Promise.race([
    Promise.all(document.getAnimations()
        .filter((animation) => animation.effect && animation.effect.getComputedTiming().endTime !== Infinity)
        .map((animation) => animation.finished.catch(() => null))),
    new Promise((resolve) => setTimeout(resolve, 5000)),
])"""


async def axe_violations(page: Any, impacts: tuple[str, ...] = SERIOUS_IMPACTS) -> list[str]:
    """Run axe-core on the page's document and describe each violation of ``impacts``.

    The script is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
    page is checked under its real policy."""
    # Colours are judged as drawn: a transition still running (a link's or badge's colour easing in as the
    # page settles on a busy machine) would be measured half-way.
    # Endless ones (a live dot's pulse) never finish, and the wait is bounded in case one is very long.
    # A test may run axe as soon as the new page's text is in the DOM, which the parser builds before the
    # stylesheets have arrived; on a busy machine Fixdesk's own sheet (the contrast fixes, the underlined
    # links) could still be on its way, and axe would judge Tabler's colours alone.
    await page.wait_for_function(STYLESHEETS_LOADED)
    await page.evaluate(FINITE_ANIMATIONS_SETTLED)
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    result = await page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


async def htmx_settled(page: Any) -> None:
    """Wait until htmx has finished every request and swap on ``page``.

    htmx wires the ``hx-*`` attributes of swapped-in content in its settle step, 20 ms after the new
    content is visible; a person never clicks that fast, but a test that acts on a freshly swapped button
    at once would find it inert."""
    await page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )
