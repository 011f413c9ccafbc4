"""The upload size limit (``FIXDESK_MAX_UPLOAD_BYTES``, here 4 KiB): a file at the limit is stored, one
byte more is ``413 PAYLOAD_TOO_LARGE`` from the service, a body far beyond it is stopped by the body-size
guard before it is read, and neither stores anything. The upload route's limit is its own: the JSON body
limit (``FIXDESK_MAX_BODY_BYTES``, here 1 KiB) still holds everywhere else."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import assert_nothing_stored, stored_files, upload

LIMIT = 4096
JSON_LIMIT = 1024


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, max_upload_bytes=LIMIT, max_body_bytes=JSON_LIMIT)


async def test_one_byte_over_the_limit_is_413_and_a_file_at_the_limit_is_stored(
    client, sessionmaker, settings, bench
):
    too_big = await upload(client, bench.admin, bench.repair_id, files.png_of_size(LIMIT + 1))

    assert too_big.status_code == 413, too_big.text
    assert too_big.headers["content-type"] == "application/problem+json"
    problem = too_big.json()
    assert problem["code"] == "PAYLOAD_TOO_LARGE"
    assert problem["maxUploadBytes"] == LIMIT
    assert f"{LIMIT + 1} bytes" in problem["detail"]
    await assert_nothing_stored(sessionmaker, settings)

    at_limit = await upload(client, bench.admin, bench.repair_id, files.png_of_size(LIMIT))
    assert at_limit.status_code == 201, at_limit.text
    assert at_limit.json()["sizeBytes"] == LIMIT
    assert len(stored_files(settings)) == 1


async def test_a_body_far_over_the_limit_is_stopped_before_it_is_read(client, sessionmaker, settings, bench):
    # Beyond the limit plus the multipart allowance: the body-size guard answers from Content-Length.
    response = await upload(client, bench.admin, bench.repair_id, files.png_of_size(200_000))

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert "request body" in response.json()["detail"]  # the guard's answer, not the service's
    await assert_nothing_stored(sessionmaker, settings)


async def test_the_upload_route_has_its_own_limit_and_json_routes_keep_theirs(
    client, sessionmaker, settings, bench
):
    photo = await upload(client, bench.admin, bench.repair_id, files.png_of_size(LIMIT))
    patch = await client.patch(
        f"/api/v1/repairs/{bench.repair_id}",
        json={"notes": "n" * (JSON_LIMIT + 1)},
        headers=bench.admin.headers,
    )

    assert photo.status_code == 201, photo.text  # larger than the JSON limit, within the upload limit
    assert patch.status_code == 413
    assert f"{JSON_LIMIT} bytes" in patch.json()["detail"]
