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
from tests.support.server import Server, clean_env, start_server


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
    server = start_server(clean_env(directory / "data"), directory / "server.log", "--no-worker")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()
