"""Attachments kept in an S3-compatible store (issue 5, item 6): with ``FIXDESK_STORAGE_BACKEND=s3`` an
upload lands in the bucket under the prefix, downloads stream it back byte for byte, and a delete empties
the bucket once its job ran. The store is moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import attachment_rows, sha256, stored_files, upload

PREFIX = "shop-1/"


@pytest.fixture
def bucket(s3_server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
async def settings(database_url, tmp_path, s3_server, bucket):
    return make_settings(database_url, tmp_path, **s3_server.settings(bucket, PREFIX))


async def test_upload_download_and_delete_through_the_api_with_s3(
    client, sessionmaker, settings, bench, jobs, s3_server, bucket
):
    photo = files.png(width=4, height=3)
    document = files.pdf()

    uploaded = await upload(
        client, bench.technician, bench.repair_id, photo, file_name="photo.pdf", isPublic=True
    )
    kept = await upload(
        client, bench.admin, bench.repair_id, document, file_name="report.pdf", kind="document"
    )

    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["contentType"] == "image/png"
    rows = {row.file_name: row for row in await attachment_rows(sessionmaker)}
    photo_key, document_key = rows["photo.png"].storage_key, rows["report.pdf"].storage_key
    assert s3_server.keys(bucket) == sorted([PREFIX + photo_key, PREFIX + document_key])
    stored = s3_server.client().get_object(Bucket=bucket, Key=PREFIX + photo_key)
    assert stored["Body"].read() == photo
    assert stored["ContentType"] == "image/png"
    assert stored_files(settings) == {}  # nothing in the data directory

    staff_download = await client.get(uploaded.json()["downloadUrl"], headers=bench.admin.headers)
    portal_download = await client.get(
        f"/api/v1/customer/repairs/{bench.repair_id}/attachments/{uploaded.json()['id']}/download",
        headers=bench.customer.headers,
    )
    assert staff_download.status_code == portal_download.status_code == 200
    assert staff_download.content == portal_download.content == photo
    assert sha256(staff_download.content) == uploaded.json()["sha256"]
    assert staff_download.headers["content-length"] == str(len(photo))
    assert staff_download.headers["content-type"] == "image/png"

    deleted = await client.delete(
        f"/api/v1/repairs/{bench.repair_id}/attachments/{uploaded.json()['id']}",
        headers=bench.technician.headers,
    )
    assert deleted.status_code == 204
    assert PREFIX + photo_key in s3_server.keys(bucket)  # until the job runs

    await jobs.drain()

    assert s3_server.keys(bucket) == [PREFIX + document_key]
    still = await client.get(kept.json()["downloadUrl"], headers=bench.admin.headers)
    assert still.content == document


async def test_a_refused_upload_puts_nothing_in_the_bucket(client, sessionmaker, bench, s3_server, bucket):
    wrong_type = await upload(client, bench.admin, bench.repair_id, files.TEXT, file_name="x.jpg")
    not_assigned = await upload(client, bench.other_technician, bench.repair_id, files.png())

    assert (wrong_type.status_code, not_assigned.status_code) == (400, 403)
    assert s3_server.keys(bucket) == []
    assert await attachment_rows(sessionmaker) == []
