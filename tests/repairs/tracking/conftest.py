"""Fixtures of the tracking-link and review tests: an app with a known public URL, shop contact and time
zone, a job worker whose providers write into the test's data directory (or the SMTP sink), and helpers
that bring a repair to the statuses a review needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from fixdesk.config import Settings
from tests.conftest import make_settings
from tests.factories import TO_COMPLETED, Actor, make_repair, walk
from tests.messaging.conftest import courier_factory, smtp_sink

__all__ = ["courier_factory", "smtp_sink"]

PUBLIC_BASE_URL = "https://repairs.example.com"
SHOP = {
    "shop_name": "Reis & Filhos Repairs",
    "shop_phone": "+1 512 555 0177",
    "shop_email": "desk@reis-repairs.example",
}
# West of UTC, so a time late in the UTC day falls on the previous calendar day in the shop.
SHOP_TIMEZONE = "America/Chicago"


def tracking_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(
        database_url,
        tmp_path,
        public_base_url=PUBLIC_BASE_URL,
        shop_timezone=SHOP_TIMEZONE,
        **{**SHOP, **overrides},
    )


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings: the public URL the links point at, a known shop contact and time zone."""
    return tracking_settings(database_url, tmp_path)


@pytest.fixture
async def public_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same app as seen from the public URL, so a link from a message can be followed
    exactly as written."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL) as http:
        yield http


def token_of(repair: dict) -> str:
    """The tracking token inside a repair's ``trackingUrl``."""
    path = urlsplit(repair["trackingUrl"]).path
    assert path.startswith("/track/"), repair["trackingUrl"]
    return path.removeprefix("/track/")


async def completed_repair(
    client: httpx.AsyncClient, staff: Actor, customer_id: Any, **overrides: Any
) -> dict:
    """A new repair walked to ``completed`` (ready for pickup) without notifying the customer."""
    repair = await make_repair(client, staff, customer_id, **overrides)
    return await walk(client, staff, repair["id"], *TO_COMPLETED)


@pytest.fixture
async def courier(courier_factory: Any) -> Any:
    """A job worker with the file providers and the same public URL and shop as the app."""
    return await courier_factory(public_base_url=PUBLIC_BASE_URL, shop_timezone=SHOP_TIMEZONE, **SHOP)
