"""Changing and deleting repair attachments (issue 5, item 6): PATCH of kind, visibility and description;
DELETE removes the row at once and the bytes once the job ran; a rolled-back delete or upload leaves the
storage as it was."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.jobs import Job, enqueue
from fixdesk.platform.permissions import Principal
from fixdesk.platform.storage import LocalStorage, storage_for
from fixdesk.repairs.attachments import service
from fixdesk.repairs.attachments.schemas import AttachmentUpload
from fixdesk.repairs.models import AttachmentKind
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import attachment_rows, stored_files, upload
from tests.support.polling import wait_until


def staff_principal(actor, role: str = "admin") -> Principal:
    return Principal(id=actor.id, type="user", role=role, permissions=permissions_for(role))


async def delete_jobs(sessionmaker) -> list[Job]:
    async with sessionmaker() as session:
        statement = select(Job).where(Job.kind == service.DELETE_FILE_JOB).order_by(Job.created_at)
        return list((await session.execute(statement)).scalars())


# --- PATCH ----------------------------------------------------------------------------------------------


async def test_patch_changes_kind_visibility_and_description(client, sessionmaker, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png(), description="Cracked")).json()
    url = f"/api/v1/repairs/{bench.repair_id}/attachments/{uploaded['id']}"

    changed = await client.patch(
        url,
        json={"kind": "after", "isPublic": True, "description": "Fixed"},
        headers=bench.technician.headers,
    )
    cleared = await client.patch(url, json={"description": "   "}, headers=bench.agent.headers)

    assert changed.status_code == 200, changed.text
    assert (changed.json()["kind"], changed.json()["isPublic"], changed.json()["description"]) == (
        "after",
        True,
        "Fixed",
    )
    assert cleared.status_code == 200
    assert cleared.json()["description"] is None
    assert cleared.json()["kind"] == "after"  # untouched fields stay
    [row] = await attachment_rows(sessionmaker)
    assert (row.kind, row.is_public, row.description) == ("after", True, None)
    # The file itself never changes.
    assert (row.sha256, row.size_bytes) == (uploaded["sha256"], uploaded["sizeBytes"])


async def test_a_refused_patch_changes_nothing(client, sessionmaker, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png(), description="Cracked")).json()
    url = f"/api/v1/repairs/{bench.repair_id}/attachments/{uploaded['id']}"

    null_kind = await client.patch(url, json={"kind": None, "description": "x"}, headers=bench.admin.headers)
    null_public = await client.patch(url, json={"isPublic": None}, headers=bench.admin.headers)
    bad_kind = await client.patch(url, json={"kind": "sideways"}, headers=bench.admin.headers)
    unknown_field = await client.patch(url, json={"sha256": "0" * 64}, headers=bench.admin.headers)
    not_assigned = await client.patch(url, json={"isPublic": True}, headers=bench.other_technician.headers)
    as_customer = await client.patch(url, json={"isPublic": True}, headers=bench.customer.headers)
    unknown = await client.patch(
        f"/api/v1/repairs/{bench.repair_id}/attachments/{uuid.uuid4()}", json={}, headers=bench.admin.headers
    )

    assert null_kind.status_code == 400
    assert null_kind.json()["errors"] == [{"field": "kind", "message": "may not be null"}]
    assert null_public.status_code == 400
    assert bad_kind.status_code == 400
    assert unknown_field.status_code == 400
    assert not_assigned.status_code == 403
    assert as_customer.status_code == 403
    assert unknown.status_code == 404
    [row] = await attachment_rows(sessionmaker)
    assert (row.kind, row.is_public, row.description, row.sha256) == (
        "before",
        False,
        "Cracked",
        uploaded["sha256"],
    )


# --- DELETE ---------------------------------------------------------------------------------------------


async def test_delete_removes_the_row_at_once_and_the_bytes_when_the_job_runs(
    client, sessionmaker, settings, bench, jobs
):
    kept = (await upload(client, bench.admin, bench.repair_id, files.jpeg(), file_name="kept.jpg")).json()
    # The technician deletes a photo they took themselves (anyone else's needs a manager or an admin).
    doomed = (
        await upload(client, bench.technician, bench.repair_id, files.png(), file_name="doomed.png")
    ).json()
    rows = {row.file_name: row for row in await attachment_rows(sessionmaker)}
    doomed_key, kept_key = rows["doomed.png"].storage_key, rows["kept.jpg"].storage_key

    response = await client.delete(
        f"/api/v1/repairs/{bench.repair_id}/attachments/{doomed['id']}", headers=bench.technician.headers
    )

    assert response.status_code == 204
    assert response.content == b""
    assert [row.file_name for row in await attachment_rows(sessionmaker)] == ["kept.jpg"]
    gone = await client.get(doomed["downloadUrl"], headers=bench.admin.headers)
    assert gone.status_code == 404
    # The bytes wait for the job, queued in the deleting transaction.
    assert set(stored_files(settings)) == {doomed_key, kept_key}
    [job] = await delete_jobs(sessionmaker)
    assert job.payload["storageKey"] == doomed_key

    await jobs.drain()

    assert set(stored_files(settings)) == {kept_key}
    [job] = await delete_jobs(sessionmaker)
    assert job.state == "done"
    still_there = await client.get(kept["downloadUrl"], headers=bench.admin.headers)
    assert still_there.content == files.jpeg()


async def test_the_delete_job_is_idempotent_and_never_removes_referenced_bytes(
    client, sessionmaker, settings, bench, jobs
):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png())).json()
    [row] = await attachment_rows(sessionmaker)
    async with transaction(sessionmaker) as session:
        # A key that is already gone, and one a row still points to.
        await enqueue(
            session, service.DELETE_FILE_JOB, {"storageKey": f"repairs/{bench.repair_id}/{uuid.uuid4()}"}
        )
        await enqueue(session, service.DELETE_FILE_JOB, {"storageKey": row.storage_key})
        await enqueue(session, service.DELETE_FILE_JOB, {"storageKey": "../outside"})

    await jobs.drain()

    states = sorted(job.state for job in await delete_jobs(sessionmaker))
    assert states == ["dead", "done", "done"]  # the invalid key can never succeed
    assert set(stored_files(settings)) == {row.storage_key}
    download = await client.get(uploaded["downloadUrl"], headers=bench.admin.headers)
    assert download.status_code == 200


async def test_a_refused_delete_keeps_row_and_bytes(client, sessionmaker, settings, bench):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png())).json()
    url = f"/api/v1/repairs/{bench.repair_id}/attachments/{uploaded['id']}"

    not_assigned = await client.delete(url, headers=bench.other_technician.headers)
    as_customer = await client.delete(url, headers=bench.customer.headers)
    wrong_repair = await client.delete(
        f"/api/v1/repairs/{uuid.uuid4()}/attachments/{uploaded['id']}", headers=bench.admin.headers
    )

    assert [not_assigned.status_code, as_customer.status_code, wrong_repair.status_code] == [403, 403, 404]
    assert len(await attachment_rows(sessionmaker)) == 1
    assert len(stored_files(settings)) == 1
    assert await delete_jobs(sessionmaker) == []


async def test_a_rolled_back_delete_keeps_the_row_the_bytes_and_queues_nothing(
    client, sessionmaker, settings, bench
):
    uploaded = (await upload(client, bench.admin, bench.repair_id, files.png())).json()

    async with sessionmaker() as session:
        await service.delete_attachment(
            session, staff_principal(bench.admin), uuid.UUID(bench.repair_id), uuid.UUID(uploaded["id"])
        )
        await session.rollback()

    assert len(await attachment_rows(sessionmaker)) == 1
    assert len(stored_files(settings)) == 1
    assert await delete_jobs(sessionmaker) == []


# --- an upload whose transaction does not commit ------------------------------------------------------------


def _upload(content: bytes) -> AttachmentUpload:
    return AttachmentUpload(file=io.BytesIO(content), file_name="photo.png", kind=AttachmentKind.before)


async def test_bytes_of_an_upload_whose_transaction_rolls_back_are_deleted(sessionmaker, settings, bench):
    storage = LocalStorage(settings.data_dir / "files")
    principal = staff_principal(bench.admin)

    async with sessionmaker() as session:
        attachment = await service.add_attachment(
            session,
            principal,
            uuid.UUID(bench.repair_id),
            _upload(files.png()),
            storage=storage,
            settings=settings,
        )
        # Written before the commit, as it must be: the row may only point at bytes that exist.
        assert stored_files(settings) == {attachment.storage_key: files.png()}
        await session.rollback()

    assert stored_files(settings) == {}
    assert await attachment_rows(sessionmaker) == []


async def test_bytes_of_a_committed_upload_stay_even_when_a_savepoint_rolls_back(
    sessionmaker, settings, bench
):
    storage = LocalStorage(settings.data_dir / "files")
    principal = staff_principal(bench.admin)

    async with transaction(sessionmaker) as session:
        first = await service.add_attachment(
            session,
            principal,
            uuid.UUID(bench.repair_id),
            _upload(files.png()),
            storage=storage,
            settings=settings,
        )
        savepoint = await session.begin_nested()
        await savepoint.rollback()

    # A session that is closed without committing counts as rolled back.
    async with sessionmaker() as session:
        abandoned = await service.add_attachment(
            session,
            principal,
            uuid.UUID(bench.repair_id),
            _upload(files.jpeg()),
            storage=storage,
            settings=settings,
        )

    assert stored_files(settings) == {first.storage_key: files.png()}
    assert abandoned.storage_key not in stored_files(settings)
    assert [row.id for row in await attachment_rows(sessionmaker)] == [first.id]


# --- in a running server ----------------------------------------------------------------------------------


@pytest.mark.commits  # the in-process worker polls while requests run
async def test_a_running_server_stores_with_its_services_and_its_worker_removes_deleted_bytes(
    settings, database, sessionmaker, bench
):
    app = database.app(settings, run_worker=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            uploaded = (await upload(client, bench.technician, bench.repair_id, files.png())).json()
            assert storage_for(app) is app.state.services.storage
            [row] = await attachment_rows(sessionmaker)
            assert stored_files(settings) == {row.storage_key: files.png()}

            deleted = await client.delete(
                f"/api/v1/repairs/{bench.repair_id}/attachments/{uploaded['id']}", headers=bench.admin.headers
            )
            assert deleted.status_code == 204

            # The in-process worker runs the job on its own; wait (bounded) for the bytes to go.
            await wait_until(lambda: not stored_files(settings), message="the worker to delete the bytes")
    [job] = await delete_jobs(sessionmaker)
    assert job.state == "done"
