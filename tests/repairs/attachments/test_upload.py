"""Uploading repair photos and documents (issue 5, item 6): the type comes from the content, the size
limit holds, kinds and visibility are recorded, the technician rule applies, and a refused upload stores
nothing (no row, no file, no event)."""

from __future__ import annotations

import re
import uuid

import pytest

from fixdesk.repairs.attachments.events import REPAIR_ATTACHMENT_ADDED
from fixdesk.repairs.attachments.service import safe_file_name
from tests.factories import events_named
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import (
    assert_nothing_stored,
    attachment_rows,
    sha256,
    stored_files,
    upload,
)

# --- the type is read from the content ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "file_name", "client_type", "detected", "stored_name"),
    [
        (files.png(), "photo.png", "image/png", "image/png", "photo.png"),
        (files.jpeg(), "IMG_0042.JPG", "image/jpeg", "image/jpeg", "IMG_0042.JPG"),
        (files.webp(), "screen.webp", "image/webp", "image/webp", "screen.webp"),
        (files.heic(), "IMG_0001.HEIC", "image/heic", "image/heic", "IMG_0001.HEIC"),
        (files.heic(b"heix"), "ten-bit.heif", "image/heif", "image/heif", "ten-bit.heif"),
        (files.pdf(), "diagnosis.pdf", "application/pdf", "application/pdf", "diagnosis.pdf"),
        # Renamed files: the content decides the type, and the name's extension follows it.
        (files.png(), "photo.pdf", "application/pdf", "image/png", "photo.png"),
        (files.pdf(), "invoice.jpg", "image/jpeg", "application/pdf", "invoice.pdf"),
        (files.jpeg(), "no-extension", "text/plain", "image/jpeg", "no-extension.jpg"),
    ],
)
async def test_the_type_is_detected_from_the_content_not_the_name_or_the_client(
    client, sessionmaker, settings, bench, content, file_name, client_type, detected, stored_name
):
    response = await upload(
        client, bench.admin, bench.repair_id, content, file_name=file_name, client_type=client_type
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["contentType"] == detected
    assert body["fileName"] == stored_name
    assert body["sizeBytes"] == len(content)
    assert body["sha256"] == sha256(content)
    [row] = await attachment_rows(sessionmaker)
    assert row.content_type == detected
    assert stored_files(settings) == {row.storage_key: content}


@pytest.mark.parametrize(
    ("content", "file_name"),
    [
        (files.TEXT, "x.jpg"),
        (files.HTML, "photo.png"),
        (files.gif(), "animation.gif"),
        (b"\x89PN", "truncated.png"),
        (b"PK\x03\x04" + b"\x00" * 60, "archive.pdf"),
    ],
)
async def test_content_that_is_not_an_accepted_type_is_refused_and_nothing_is_stored(
    client, sessionmaker, settings, bench, content, file_name
):
    response = await upload(
        client, bench.admin, bench.repair_id, content, file_name=file_name, client_type="image/jpeg"
    )

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [error["field"] for error in problem["errors"]] == ["file"]
    assert "content" in problem["errors"][0]["message"]
    await assert_nothing_stored(sessionmaker, settings)


async def test_an_empty_file_is_refused(client, sessionmaker, settings, bench):
    response = await upload(client, bench.admin, bench.repair_id, b"", file_name="empty.png")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "file", "message": "The file is empty."}]
    await assert_nothing_stored(sessionmaker, settings)


async def test_a_request_without_a_file_or_kind_is_refused(client, sessionmaker, settings, bench):
    no_file = await client.post(
        f"/api/v1/repairs/{bench.repair_id}/attachments", data={"kind": "before"}, headers=bench.admin.headers
    )
    bad_kind = await upload(client, bench.admin, bench.repair_id, files.png(), kind="sideways")

    assert no_file.status_code == 400
    assert "file" in {error["field"] for error in no_file.json()["errors"]}
    assert bad_kind.status_code == 400
    assert {error["field"] for error in bad_kind.json()["errors"]} == {"kind"}
    await assert_nothing_stored(sessionmaker, settings)


# --- what is recorded -----------------------------------------------------------------------------------


async def test_kind_visibility_description_and_uploader_are_recorded(client, sessionmaker, settings, bench):
    intake = await upload(client, bench.agent, bench.repair_id, files.jpeg(), file_name="intake.jpg")
    after = await upload(
        client,
        bench.technician,
        bench.repair_id,
        files.png(),
        file_name="after.png",
        kind="after",
        isPublic=True,
        description="  Screen replaced, no dead pixels  ",
    )
    # snake_case form fields are accepted too.
    document = await upload(
        client,
        bench.admin,
        bench.repair_id,
        files.pdf(),
        file_name="report.pdf",
        kind="document",
        is_public=True,
    )

    assert [r.status_code for r in (intake, after, document)] == [201, 201, 201]
    assert intake.json()["kind"] == "before"
    assert intake.json()["isPublic"] is False
    assert intake.json()["description"] is None
    assert intake.json()["uploadedById"] == str(bench.agent.id)
    assert after.json()["kind"] == "after"
    assert after.json()["isPublic"] is True
    assert after.json()["description"] == "Screen replaced, no dead pixels"
    assert after.json()["uploadedById"] == str(bench.technician.id)
    assert document.json()["kind"] == "document"
    assert document.json()["isPublic"] is True
    rows = {row.file_name: row for row in await attachment_rows(sessionmaker)}
    assert {name: (row.kind, row.is_public) for name, row in rows.items()} == {
        "intake.jpg": ("before", False),
        "after.png": ("after", True),
        "report.pdf": ("document", True),
    }
    for name, row in rows.items():
        # Keys are ours: the repair and a fresh UUIDv7, never the client's file name.
        assert re.fullmatch(rf"repairs/{bench.repair_id}/[0-9a-f-]{{36}}", row.storage_key)
        assert uuid.UUID(row.storage_key.rsplit("/", 1)[1]).version == 7
        assert name not in row.storage_key
        assert str(row.id) == row.storage_key.rsplit("/", 1)[1]
    body = after.json()
    assert body["downloadUrl"] == f"/api/v1/repairs/{bench.repair_id}/attachments/{body['id']}/download"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\ana\\Pictures\\crack.png", "crack.png"),
        ("evil\u202egnp.exe", "evilgnp.png"),  # a right-to-left override disguising an extension
        # DEL and C1 controls are removed; a C0 control refuses the upload (test_control_characters.py).
        ("line\x7fbreak\x85.png", "linebreak.png"),
        ("   ...   ", "attachment.png"),
        ("Écran cassé 📱.png", "Écran cassé 📱.png"),
        ("a" * 400 + ".png", "a" * 196 + ".png"),
    ],
)
async def test_the_display_name_is_made_safe(client, sessionmaker, bench, given, expected):
    response = await upload(client, bench.admin, bench.repair_id, files.png(), file_name=given)

    assert response.status_code == 201, response.text
    assert response.json()["fileName"] == expected
    [row] = await attachment_rows(sessionmaker)
    assert row.file_name == expected


def test_safe_file_name_removes_every_control_character():
    assert safe_file_name("in\r\nject\x00ed\t.pdf", "application/pdf") == "injected.pdf"
    assert safe_file_name(None, "image/jpeg") == "attachment.jpg"
    assert safe_file_name("scan.JPEG", "image/jpeg") == "scan.JPEG"
    assert safe_file_name("photo.heif", "image/heic") == "photo.heif"


async def test_an_upload_publishes_attachment_added_for_the_customer_only_when_public(
    client, sessionmaker, bench
):
    private = await upload(client, bench.admin, bench.repair_id, files.png())
    public = await upload(client, bench.admin, bench.repair_id, files.png(), isPublic=True)

    events = await events_named(sessionmaker, REPAIR_ATTACHMENT_ADDED)
    assert [event.payload["id"] for event in events] == [private.json()["id"], public.json()["id"]]
    first, second = events
    assert first.payload["repairNumber"] == bench.repair["repairNumber"]
    assert first.payload["customerId"] == str(bench.customer.id)
    assert first.payload["sha256"] == sha256(files.png())
    assert first.payload["isPublic"] is False
    # Live events reach a customer's portal only when the event names them: a private photo never does.
    assert first.customer_id is None
    assert second.customer_id == bench.customer.id
    assert first.actor_id == bench.admin.id


# --- who may upload -------------------------------------------------------------------------------------


async def test_a_technician_uploads_only_to_repairs_assigned_to_them(client, sessionmaker, settings, bench):
    refused = await upload(client, bench.other_technician, bench.repair_id, files.png())

    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
    await assert_nothing_stored(sessionmaker, settings)

    allowed = await upload(client, bench.technician, bench.repair_id, files.png())
    assert allowed.status_code == 201


async def test_an_unknown_repair_is_404_and_a_customer_may_not_upload(client, sessionmaker, settings, bench):
    unknown = await upload(client, bench.admin, str(uuid.uuid4()), files.png())
    as_customer = await upload(client, bench.customer, bench.repair_id, files.png())
    anonymous = await client.post(
        f"/api/v1/repairs/{bench.repair_id}/attachments",
        files={"file": ("photo.png", files.png(), "image/png")},
        data={"kind": "before"},
    )

    assert unknown.status_code == 404
    assert as_customer.status_code == 403
    assert anonymous.status_code == 401
    await assert_nothing_stored(sessionmaker, settings)
