"""Fixtures of the quote tests: the line items' taxed shop with a known public URL, a job worker writing
messages into the test's data directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fixdesk.config import Settings
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import build_services
from tests.conftest import Database, make_settings
from tests.repairs.items.bench import TAX_RATE

PUBLIC_BASE_URL = "https://shop.example.com"


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """Sales tax of 8.875 % and a public URL, so tracking links in messages are known."""
    return make_settings(database_url, tmp_path, tax_rate=TAX_RATE, public_base_url=PUBLIC_BASE_URL)


@pytest.fixture
async def worker(database: Database, settings: Settings) -> AsyncIterator[Worker]:
    """A job worker (event dispatch, notification sends) with the file providers of the app's settings."""
    services = build_services(settings)
    yield Worker(
        database.sessionmaker,
        read_sessionmaker=database.read_sessionmaker,
        settings=settings,
        services=services,
        concurrency=1,
        run_periodic=False,
    )
    await services.aclose()
