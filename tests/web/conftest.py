"""Fixtures of the web tests: an in-process client for the pages (no database needed), and for browser
tests a real ``fixdesk serve`` and the system Chromium.

Browser tests need Chromium (Debian's ``chromium``) and Playwright. Without ``CI=true`` they are skipped,
the reason printed in pytest's summary, when either is missing; with ``CI=true`` a missing browser fails
the run (``.ci/run`` installs it), like PostgreSQL in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from fixdesk.app import create_app
from tests.conftest import IN_CI, make_settings
from tests.support.browser import chromium_problem, launch
from tests.support.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DEV_LOGIN_CODE,
    Server,
    clean_env,
    create_admin,
    start_server,
)

PORTAL_CUSTOMER_EMAIL = "ana.customer@example.com"


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
    server = start_server(env, directory / "server.log", "--no-worker")
    try:
        server.wait_healthy()
        _add_portal_customer(server)
        yield server
    finally:
        server.stop()


def _add_portal_customer(server: Server) -> None:
    """A passwordless customer (:data:`PORTAL_CUSTOMER_EMAIL`), who signs in to the portal with the
    server's development code (``FIXDESK_DEV_LOGIN_CODE``)."""
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        login = http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        created = http.post(
            "/api/v1/customers",
            json={"firstName": "Ana", "lastName": "Silva", "email": PORTAL_CUSTOMER_EMAIL},
            headers={"Authorization": f"Bearer {login.json()['accessToken']}"},
        )
        assert created.status_code == 201, created.text


async def sign_in_staff(page: Any, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the staff form of the page's server (the page is left on the start page)."""
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/app")
    await page.wait_for_load_state("networkidle")


async def sign_in_customer(page: Any, email: str = PORTAL_CUSTOMER_EMAIL) -> None:
    """Sign a passwordless customer in through the portal's code form (the development code)."""
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Email me a sign-in code").click()
    await page.get_by_label("6-digit code").fill(DEV_LOGIN_CODE)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/portal")
    await page.wait_for_load_state("networkidle")
