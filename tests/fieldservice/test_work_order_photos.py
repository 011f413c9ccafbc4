"""Work order photos (issue 11, item 8): a technician finishing a visit attaches photos through the shared
attachments mechanism (:mod:`fixdesk.platform.attachments`): the type comes from the content, only images
are taken, a technician reaches only their own work orders, the bytes go only once a deletion committed,
and completing a visit names the photos it took, which the work order then lists."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fixdesk.audit.models import AuditEvent
from fixdesk.fieldservice.models import WorkOrderAttachment
from fixdesk.fieldservice.work_order_attachments.events import WORK_ORDER_ATTACHMENT_ADDED
from tests.factories import Actor, count_rows, events_named, make_customer, make_user, settle
from tests.fieldservice.helpers import make_location, make_technician, make_work_order
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import sha256, stored_files

pytestmark = pytest.mark.usefixtures("fixed_clock")

DAY = "2026-06-18"


async def upload(
    client: httpx.AsyncClient,
    actor: Actor,
    work_order_id: str,
    content: bytes,
    *,
    file_name: str = "photo.png",
    client_type: str = "application/octet-stream",
    **fields: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/work-orders/{work_order_id}/attachments",
        files={"file": (file_name, content, client_type)},
        data=fields,
        headers=actor.headers,
    )


@pytest.fixture
async def job(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    nia_user, nia = await make_technician(client, app, sessionmaker, manager, first_name="Nia")
    olu_user, olu = await make_technician(client, app, sessionmaker, manager, first_name="Olu")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    house = await make_location(client, manager, customer.id, addressLine1="412 Oak Street")
    work_order = await make_work_order(
        client,
        manager,
        customer.id,
        locationId=house["id"],
        scheduledDate=DAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[nia["id"]],
    )
    others = await make_work_order(
        client, manager, customer.id, locationId=house["id"], scheduledDate=DAY, technicianIds=[olu["id"]]
    )
    return {
        "manager": manager,
        "agent": agent,
        "nia": nia_user,
        "olu": olu_user,
        "id": work_order["id"],
        "number": work_order["workOrderNumber"],
        "others_id": others["id"],
    }


async def rows(sessionmaker) -> list[WorkOrderAttachment]:
    async with sessionmaker() as session:
        statement = select(WorkOrderAttachment).order_by(WorkOrderAttachment.created_at)
        return list((await session.execute(statement)).scalars())


async def test_a_photo_is_typed_by_its_content_stored_announced_listed_and_downloaded(
    client, sessionmaker, settings, job
):
    content = files.png()
    # A PNG under a PDF's name and type: the content decides, and the name follows it.
    response = await upload(
        client,
        job["nia"],
        job["id"],
        content,
        file_name="plate.pdf",
        client_type="application/pdf",
        kind="nameplate",
        description="Furnace plate",
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["contentType"], body["fileName"], body["kind"]) == ("image/png", "plate.png", "nameplate")
    assert (body["sizeBytes"], body["sha256"]) == (len(content), sha256(content))
    assert body["downloadUrl"] == f"/api/v1/work-orders/{job['id']}/attachments/{body['id']}"
    [row] = await rows(sessionmaker)
    assert row.storage_key == f"work-orders/{job['id']}/{body['id']}"
    assert stored_files(settings) == {row.storage_key: content}
    [event] = await events_named(sessionmaker, WORK_ORDER_ATTACHMENT_ADDED)
    assert event.payload["workOrderNumber"] == job["number"]
    assert event.payload["kind"] == "nameplate"

    listed = await client.get(f"/api/v1/work-orders/{job['id']}/attachments", headers=job["manager"].headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]
    assert listed.json()["total"] == 1

    download = await client.get(body["downloadUrl"], headers=job["nia"].headers)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    again = await client.get(
        body["downloadUrl"], headers={**job["nia"].headers, "If-None-Match": download.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("content", "file_name"),
    [(files.pdf(), "signed.pdf"), (files.TEXT, "photo.jpg"), (files.gif(), "animation.gif"), (b"", "e.png")],
)
async def test_what_is_not_an_accepted_image_is_refused_and_nothing_is_stored(
    client, sessionmaker, settings, job, content, file_name
):
    response = await upload(
        client, job["nia"], job["id"], content, file_name=file_name, client_type="image/jpeg"
    )

    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert [error["field"] for error in problem["errors"]] == ["file"]
    assert await count_rows(sessionmaker, WorkOrderAttachment) == 0
    assert stored_files(settings) == {}
    assert await events_named(sessionmaker, WORK_ORDER_ATTACHMENT_ADDED) == []


async def test_a_technician_reaches_only_the_photos_of_their_own_work_orders(client, sessionmaker, job):
    mine = (await upload(client, job["nia"], job["id"], files.jpeg(), file_name="a.jpg")).json()
    base = f"/api/v1/work-orders/{job['id']}/attachments"

    answers = [
        await upload(client, job["olu"], job["id"], files.png()),
        await client.get(base, headers=job["olu"].headers),
        await client.get(f"{base}/{mine['id']}", headers=job["olu"].headers),
        await client.delete(f"{base}/{mine['id']}", headers=job["olu"].headers),
        # A photo asked for under another work order is not found either.
        await client.get(
            f"/api/v1/work-orders/{job['others_id']}/attachments/{mine['id']}", headers=job["manager"].headers
        ),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404, 404]
    assert len(await rows(sessionmaker)) == 1
    # Staff with the permission reach every work order's photos.
    staff = await upload(client, job["agent"], job["others_id"], files.png())
    assert staff.status_code == 201, staff.text


async def test_deleting_removes_the_row_now_and_the_bytes_once_committed(
    client, app, sessionmaker, settings, job
):
    base = f"/api/v1/work-orders/{job['id']}/attachments"
    doomed = (await upload(client, job["nia"], job["id"], files.png())).json()
    kept = (await upload(client, job["manager"], job["id"], files.jpeg(), file_name="k.jpg")).json()
    doomed_key = f"work-orders/{job['id']}/{doomed['id']}"
    kept_key = f"work-orders/{job['id']}/{kept['id']}"

    # An agent did not upload it and is neither manager nor admin.
    refused = await client.delete(f"{base}/{doomed['id']}", headers=job["agent"].headers)
    deleted = await client.delete(f"{base}/{doomed['id']}", headers=job["nia"].headers)

    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert [row.id for row in await rows(sessionmaker)] == [uuid.UUID(kept["id"])]
    # The bytes wait for the job queued in the deleting transaction.
    assert set(stored_files(settings)) == {doomed_key, kept_key}
    await settle(app)
    assert set(stored_files(settings)) == {kept_key}
    gone = await client.get(f"{base}/{doomed['id']}", headers=job["manager"].headers)
    assert gone.status_code == 404
    async with sessionmaker() as session:
        [entry] = (
            await session.execute(select(AuditEvent).where(AuditEvent.target_id == uuid.UUID(doomed["id"])))
        ).scalars()
    assert entry.action == "attachment.deleted"
    assert entry.details["workOrderNumber"] == job["number"]


async def test_completing_a_visit_names_its_photos_and_the_work_order_lists_them(client, sessionmaker, job):
    nia = job["nia"]
    started = await client.put(
        f"/api/v1/work-orders/{job['id']}/status", json={"status": "in_progress"}, headers=nia.headers
    )
    assert started.status_code == 200, started.text
    before = (await upload(client, nia, job["id"], files.jpeg(), file_name="b.jpg", kind="before")).json()
    after = (await upload(client, nia, job["id"], files.png(), file_name="a.png", kind="after")).json()
    strangers = (await upload(client, job["manager"], job["others_id"], files.png())).json()

    # A photo of another work order (or a lost upload) is refused and nothing changes.
    refused = await client.post(
        f"/api/v1/work-orders/{job['id']}/complete",
        json={"signOffName": "Rita Nunes", "photoIds": [after["id"], strangers["id"]]},
        headers=nia.headers,
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"][0]["field"] == "photoIds"
    assert strangers["id"] in refused.json()["errors"][0]["message"]
    unchanged = await client.get(f"/api/v1/work-orders/{job['id']}", headers=nia.headers)
    assert unchanged.json()["status"] == "in_progress"

    done = await client.post(
        f"/api/v1/work-orders/{job['id']}/complete",
        json={"signOffName": "Rita Nunes", "photo_ids": [before["id"], after["id"]]},
        headers=nia.headers,
    )

    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert [(photo["id"], photo["kind"]) for photo in body["photos"]] == [
        (before["id"], "before"),
        (after["id"], "after"),
    ]
    detail = await client.get(f"/api/v1/work-orders/{job['id']}", headers=job["manager"].headers)
    assert [photo["id"] for photo in detail.json()["photos"]] == [before["id"], after["id"]]
    assert detail.json()["photos"][1]["downloadUrl"].endswith(f"/attachments/{after['id']}")
