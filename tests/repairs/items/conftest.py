"""Fixtures of the line item tests: a shop taxing at 8.875 % and a small catalog to price lines from."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixdesk.config import Settings
from tests.conftest import make_settings
from tests.repairs.items.bench import TAX_RATE


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings: sales tax of 8.875 % (New York City), so every total has a tax to round."""
    return make_settings(database_url, tmp_path, tax_rate=TAX_RATE)
