"""The suite's own shortcuts keep their promises: the OpenAPI document the collection-time modules read is
the app's, built once per xdist run and shared through a file (``tests/support/openapi.py``)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support import openapi


@pytest.fixture
def own_run(monkeypatch: pytest.MonkeyPatch):
    """A run id of this test's own, with the helper's per-process memory emptied before and after."""
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", f"suite-support-{uuid.uuid4().hex}")
    openapi._document_text.cache_clear()
    shared = openapi.shared_document_path()
    yield shared
    openapi._document_text.cache_clear()
    shared.unlink(missing_ok=True)
    shared.with_name(f"{shared.name}.lock").unlink(missing_ok=True)


def test_the_first_worker_builds_the_document_and_writes_it_for_the_others(own_run) -> None:
    document = openapi.app_openapi_document()

    assert document["openapi"].startswith("3.")
    assert "/api/v1/repairs/{repair_id}" in document["paths"]
    assert json.loads(own_run.read_text(encoding="utf-8")) == document


def test_a_later_worker_reads_the_document_of_its_run_instead_of_building_it(own_run) -> None:
    own_run.write_text(json.dumps({"openapi": "3.1.0", "paths": {"/written-by-another-worker": {}}}))

    assert openapi.app_openapi_document()["paths"] == {"/written-by-another-worker": {}}


def test_each_caller_gets_a_dict_of_its_own(own_run) -> None:
    first = openapi.app_openapi_document()
    first["paths"].clear()

    assert openapi.app_openapi_document()["paths"]
