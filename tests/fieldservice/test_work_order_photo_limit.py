"""The upload size limit holds for work order photos (``FIXDESK_MAX_UPLOAD_BYTES``, here 4 KiB): a file
at the limit is stored, one byte more is ``413 PAYLOAD_TOO_LARGE`` and nothing is stored."""

from __future__ import annotations

import pytest

from fixdesk.fieldservice.models import WorkOrderAttachment
from tests.conftest import make_settings
from tests.factories import count_rows, make_customer, make_user
from tests.fieldservice.helpers import make_location, make_work_order
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import stored_files

LIMIT = 4096


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, max_upload_bytes=LIMIT)


async def test_one_byte_over_the_limit_is_413_and_a_file_at_the_limit_is_stored(
    client, app, sessionmaker, settings
):
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    house = await make_location(client, manager, customer.id)
    work_order = await make_work_order(client, manager, customer.id, locationId=house["id"])
    path = f"/api/v1/work-orders/{work_order['id']}/attachments"

    too_big = await client.post(
        path, files={"file": ("big.png", files.png_of_size(LIMIT + 1), "image/png")}, headers=manager.headers
    )

    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert too_big.json()["maxUploadBytes"] == LIMIT
    assert await count_rows(sessionmaker, WorkOrderAttachment) == 0
    assert stored_files(settings) == {}

    at_limit = await client.post(
        path, files={"file": ("ok.png", files.png_of_size(LIMIT), "image/png")}, headers=manager.headers
    )
    assert at_limit.status_code == 201, at_limit.text
    assert len(stored_files(settings)) == 1
