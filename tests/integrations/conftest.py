"""Fixtures of the provider tests: the SMTP sink, the fake Twilio and SendGrid servers, an HTTP client and
settings that need no database."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixdesk.config import Settings
from tests.conftest import TEST_SECRET
from tests.support.fake_providers import fake_sendgrid, fake_twilio
from tests.support.smtp_sink import smtp_sink, smtp_sink_factory, tls_certificate

__all__ = ["fake_sendgrid", "fake_twilio", "smtp_sink", "smtp_sink_factory", "tls_certificate"]


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client configured like the process's shared one (no redirects); one per session, since
    building its TLS context takes a noticeable fraction of a second."""
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        yield client


@pytest.fixture
def provider_settings(tmp_path: Path) -> Callable[..., Settings]:
    """``make(**overrides)``: settings with a temporary data directory and no database in use."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"env": "test", "data_dir": tmp_path / "data", "secret_key": TEST_SECRET}
        values.update(overrides)
        return Settings(**values)

    return make
