"""Fixtures of the demo tests: the app's settings with an auth rate limit they do not run into (the demo test
logs every staff role and the portal customer in from one address; rate limits have their own tests)."""

from __future__ import annotations

from typing import Any

import pytest

from fixdesk.config import Settings
from tests.conftest import make_settings


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, tmp_path, rate_limit_auth="1000/minute")
