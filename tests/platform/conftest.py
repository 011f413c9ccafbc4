"""Fixtures of the platform tests: the app's real logging configuration, captured in memory."""

import io
import json
import logging
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from fixdesk.app import create_app
from fixdesk.platform.observability import configure_logging
from tests.conftest import make_settings, wipe


@pytest.fixture
async def make_app(
    database_url: str, tmp_path: Path, engine: AsyncEngine
) -> AsyncIterator[Callable[..., Any]]:
    """Builds apps on the test database with extra settings (field names; production allowed on SQLite),
    for tests of what the settings change (headers, ``/metrics``, ``/health``). The database is emptied
    afterwards."""

    def build(**overrides: Any) -> Any:
        overrides.setdefault("allow_sqlite_in_production", True)
        return create_app(make_settings(database_url, tmp_path, **overrides), engine=engine)

    yield build
    await wipe(engine)


@pytest.fixture
def app_log() -> Iterator[Callable[[bool], io.StringIO]]:
    """A function that applies the app's logging configuration (``configure_logging``) with its output
    sent to a returned buffer instead of stderr. The previous configuration is restored afterwards."""
    saved_structlog = structlog.get_config()
    saved_handlers, saved_level = logging.root.handlers[:], logging.root.level

    def configure(json_output: bool) -> io.StringIO:
        configure_logging("INFO", json_output=json_output)
        buffer = io.StringIO()
        # Same processors and renderer as in production; only the destination changes.
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
        return buffer

    yield configure
    structlog.configure(**saved_structlog)
    logging.root.handlers[:] = saved_handlers
    logging.root.setLevel(saved_level)


@pytest.fixture
def json_log(app_log) -> Callable[[], list[dict]]:
    """Production JSON logging for one test; returns a function listing the entries logged so far."""
    buffer = app_log(True)

    def entries() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    return entries


def fuzz_backend(operation: str) -> str:
    """The one database an operation of the OpenAPI fuzz (``tests/platform/test_openapi_fuzz.py``) runs
    on: ``sqlite`` or ``postgresql`` by a stable hash of its method and path (``"GET /api/v1/repairs"``),
    so each database serves about half of the operations, the same half on every run and machine."""
    return ("sqlite", "postgresql")[zlib.crc32(operation.encode()) % 2]
