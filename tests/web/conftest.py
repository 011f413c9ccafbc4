"""Fixtures of the web tests: an in-process client for the pages (no database needed), and for browser
tests a real ``fixdesk serve`` and the system Chromium.

Browser tests need Chromium (Debian's ``chromium``) and Playwright. Without ``CI=true`` they are skipped,
the reason printed in pytest's summary, when either is missing; with ``CI=true`` a missing browser fails
the run (``.ci/run`` installs it), like PostgreSQL in tests/conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from fixdesk.app import create_app
from tests.conftest import IN_CI, make_settings
from tests.support.browser import chromium_problem, launch
from tests.support.polling import wait_until
from tests.support.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DEV_LOGIN_CODE,
    Server,
    clean_env,
    create_admin,
    start_server,
)

# Playwright's assertions retry until their condition holds; the bound only decides how long a broken page
# takes to fail. Its default (5 s) is shorter than a busy 2-core CI machine may need to draw a page.
expect.set_options(timeout=20_000)

PORTAL_CUSTOMER_EMAIL = "ana.customer@example.com"
# The outbox of this process's web server (set by ``web_server``): where its emails arrive.
SERVER_OUTBOX: list[Path] = []
PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


class Browser:
    """An httpx client that keeps cookies like a browser and fills forms with the page's CSRF token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def form_token(self, path: str) -> str:
        page = await self.http.get(path)
        match = CSRF_FIELD.search(page.text)
        assert match, f"no CSRF field on {path} ({page.status_code})"
        return match.group(1)

    async def submit(self, path: str, data: dict[str, str], *, form: str | None = None) -> httpx.Response:
        """GET ``form`` (default ``path`` without its query), then POST ``data`` with its token."""
        token = await self.form_token(form or path.split("?")[0])
        return await self.http.post(path, data={**data, "csrftoken": token})

    async def sign_in_staff(self, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        return await self.submit("/app/login", {"email": email, "password": password, **extra})

    async def sign_in_customer(self, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        return await self.submit("/portal/login", {"email": email, "password": password, **extra})


async def _browser(app: Any) -> AsyncIterator[Browser]:
    # https: outside development the session cookie is Secure, and a browser sends it over HTTPS only.
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield Browser(http)


@pytest.fixture
async def browser_client(app: Any) -> AsyncIterator[Browser]:
    async for browser in _browser(app):
        yield browser


@pytest.fixture
async def other_browser(app: Any) -> AsyncIterator[Browser]:
    async for browser in _browser(app):
        yield browser


def web_app(tmp_path: Any, **overrides: Any) -> Any:
    """The app with a SQLite file nobody migrates: the pages tested here read no table."""
    return create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}", tmp_path, **overrides))


@pytest.fixture
async def web_client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web_app(tmp_path), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """The system Chromium, once per test process (Playwright's async API, on the tests' event loop)."""
    problem = chromium_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem}; CI=true requires Chromium", pytrace=False)
        pytest.skip(problem)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def web_server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``fixdesk serve`` on a free port of 127.0.0.1 with a fresh SQLite database, once per test process
    (started only when a browser can run)."""
    directory = tmp_path_factory.mktemp("web-server")
    env = clean_env(directory / "data")
    create_admin(env)
    # With its job worker: a sign-in code is issued by a job once the request has answered (the same
    # work for every address), so the portal's code form needs the worker to have run it.
    server = start_server(env, directory / "server.log")
    SERVER_OUTBOX[:] = [directory / "data" / "outbox"]
    try:
        server.wait_healthy()
        _add_portal_customer(server)
        yield server
    finally:
        server.stop()


def _add_portal_customer(server: Server) -> None:
    """A passwordless customer (:data:`PORTAL_CUSTOMER_EMAIL`), who signs in to the portal with the
    server's development code (``FIXDESK_DEV_LOGIN_CODE``), with an iPhone 13 whose quote (60.00) waits
    for their answer."""
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        login = http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        created = http.post(
            "/api/v1/customers",
            json={"firstName": "Ana", "lastName": "Silva", "email": PORTAL_CUSTOMER_EMAIL},
            headers={"Authorization": f"Bearer {login.json()['accessToken']}"},
        )
        assert created.status_code == 201, created.text
        staff = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        repair = http.post(
            "/api/v1/repairs",
            json={
                "customerId": created.json()["id"],
                "deviceType": "phone",
                "deviceBrand": "Apple",
                "deviceModel": "iPhone 13",
                "issueDescription": "Cracked screen after a drop",
            },
            headers=staff,
        )
        assert repair.status_code == 201, repair.text
        repair_id = repair.json()["id"]
        moved = http.put(
            f"/api/v1/repairs/{repair_id}/status",
            json={"status": "diagnosing", "notifyCustomer": False},
            headers=staff,
        )
        assert moved.status_code == 200, moved.text
        quote = http.post(
            f"/api/v1/repairs/{repair_id}/quotes",
            json={
                "labour": [{"description": "Screen replacement", "hours": "1", "rate": "60.00"}],
                "send": True,
            },
            headers=staff,
        )
        assert quote.status_code == 201, quote.text


async def sign_in_staff(page: Any, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the staff form of the page's server (the page is left on the start page)."""
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/app")
    await page.wait_for_load_state("networkidle")


async def staff_storage_state(
    browser: Any, base_url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> dict[str, Any]:
    """The cookies of a staff session signed in through ``/app/login`` (Playwright's storage state), for
    tests that open many pages as one signed-in person: pass it as ``storage_state=`` to a new context."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(base_url.rstrip("/") + "/app/login")
        await sign_in_staff(page, email, password)
        return await context.storage_state()
    finally:
        await context.close()


def _emails_to(address: str) -> int:
    """How many messages of the web server's outbox are addressed to ``address``."""
    if not SERVER_OUTBOX or not SERVER_OUTBOX[0].exists():
        return 0
    return sum(
        1
        for path in SERVER_OUTBOX[0].rglob("*")
        if path.is_file() and address in path.read_text(errors="replace")
    )


async def sign_in_customer(page: Any, email: str = PORTAL_CUSTOMER_EMAIL) -> None:
    """Sign a passwordless customer in through the portal's code form (the development code)."""
    await page.get_by_label("Email address").fill(email)
    sent_before = _emails_to(email)
    await page.get_by_role("button", name="Email me a sign-in code").click()
    # The code exists once the job has issued it and emailed it.
    await wait_until(lambda: _emails_to(email) > sent_before, message=f"no sign-in code emailed to {email}")
    await page.get_by_label("6-digit code").fill(DEV_LOGIN_CODE)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/portal")
    await page.wait_for_load_state("networkidle")
