"""Fixtures of the demo tests: the app's settings with an auth rate limit they do not run into (the demo test
logs every staff role and the portal customer in from one address; rate limits have their own tests), and
a fixed moment the demo shop is generated for.

The demo shop is generated relative to a moment (``load_demo(now=…)``); a test that generated it for the
real current time would see a different shop every day. Tests that only read rows pass :data:`DEMO_NOW`;
tests that also use the app (quote expiry, warranty standing, repair numbers, analytics periods all follow
the app's clock) run with the process's clock moved to :data:`DEMO_NOW` by :func:`demo_clock`.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixdesk.config import Settings
from tests.conftest import make_settings
from tests.support.clock import FIXED_NOW

DEMO_NOW = FIXED_NOW
"""The moment the demo tests generate the demo shop for."""


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, tmp_path, rate_limit_auth="1000/minute")


@pytest.fixture
def demo_clock(fixed_clock):
    """The process clock moved to :data:`DEMO_NOW`, for the demo generator and the app alike."""
    return fixed_clock
