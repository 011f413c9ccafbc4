"""Fixtures of the platform tests: the app's real logging configuration, captured in memory."""

import io
import json
import logging
import zlib
from collections.abc import Callable, Iterator

import pytest
import structlog

from fixdesk.platform.observability import configure_logging


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
    """Production JSON logging for one test; returns a function listing the entries logged so far.

    Also used by tests that only provoke a 500, because structlog's unconfigured default renders
    tracebacks slowly."""
    buffer = app_log(True)

    def entries() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    return entries


def fuzz_backend(operation: str) -> str:
    """The one database an operation of the OpenAPI fuzz (``tests/platform/test_openapi_fuzz.py``) runs
    on: ``sqlite`` or ``postgresql`` by a stable hash of its method and path (``"GET /api/v1/repairs"``),
    so each database serves about half of the operations, the same half on every run and machine."""
    return ("sqlite", "postgresql")[zlib.crc32(operation.encode()) % 2]
