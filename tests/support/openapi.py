"""The app's OpenAPI document for tests that read it while they are collected (the control-character walk,
the schemathesis fuzz): built once per test run instead of once per module and test process.

Building it means creating an app and generating the schemas of every operation, about 1.5 s of CPU. Under
xdist the first worker to need it writes it to a file named after the run (``PYTEST_XDIST_TESTRUNUID``)
and the others read that file; without xdist it is built in process. The document does not depend on the
database or on anything a test changes, so one copy serves every test of the run.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fixdesk.app import create_app
from tests.conftest import make_settings


def shared_document_path() -> Path | None:
    """Where this xdist run keeps the document (``None`` outside xdist)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    return Path(tempfile.gettempdir()) / f"fixdesk-openapi-{run}.json" if run else None


def _build() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fixdesk-openapi-") as directory:
        return create_app(make_settings("sqlite+aiosqlite:///:memory:", Path(directory))).openapi()


@functools.cache
def _document_text() -> str:
    shared = shared_document_path()
    if shared is None:
        return json.dumps(_build())
    # The first worker to get here builds it under the lock; the others wait for it (their core helps the
    # builder meanwhile) and read what it wrote.
    with open(shared.with_name(f"{shared.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return shared.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        text = json.dumps(_build())
        shared.write_text(text, encoding="utf-8")
        return text


def app_openapi_document() -> dict[str, Any]:
    """The OpenAPI document of an app with the test settings, as ``/openapi.json`` serves it: a fresh dict
    on each call (schemathesis may resolve references in the one it is given)."""
    return json.loads(_document_text())
