"""Who removed or published which photo (issue 9, item 5): deleting an attachment and making it public or
private again are audited (who, which repair, which file), and only a manager, an admin or the staff member
who uploaded a file may delete it; anyone else gets 403 and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixdesk.audit.models import AuditEvent
from fixdesk.audit.service import Action
from fixdesk.platform.jobs import Job
from fixdesk.repairs.attachments import service
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import attachment_rows, stored_files, upload


async def audit_rows(sessionmaker, *actions: Action) -> list[AuditEvent]:
    async with sessionmaker() as session:
        statement = (
            select(AuditEvent)
            .where(AuditEvent.action.in_([action.value for action in actions]))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
        return list((await session.execute(statement)).scalars())


async def delete_jobs(sessionmaker) -> list[Job]:
    async with sessionmaker() as session:
        return list((await session.execute(select(Job).where(Job.kind == service.DELETE_FILE_JOB))).scalars())


def url_of(bench, attachment: dict) -> str:
    return f"/api/v1/repairs/{bench.repair_id}/attachments/{attachment['id']}"


async def test_publishing_and_unpublishing_are_audited_with_who_which_repair_and_which_file(
    client, sessionmaker, bench
):
    uploaded = (
        await upload(client, bench.technician, bench.repair_id, files.png(), file_name="before.png")
    ).json()
    public_from_the_start = (
        await upload(
            client, bench.agent, bench.repair_id, files.jpeg(), file_name="intake.jpg", isPublic=True
        )
    ).json()

    published = await client.patch(
        url_of(bench, uploaded), json={"isPublic": True}, headers=bench.admin.headers
    )
    unchanged = await client.patch(
        url_of(bench, uploaded), json={"isPublic": True}, headers=bench.admin.headers
    )
    hidden = await client.patch(
        url_of(bench, uploaded), json={"isPublic": False}, headers=bench.technician.headers
    )
    described = await client.patch(
        url_of(bench, uploaded), json={"description": "x"}, headers=bench.admin.headers
    )

    assert [r.status_code for r in (published, unchanged, hidden, described)] == [200, 200, 200, 200]
    entries = await audit_rows(
        sessionmaker, Action.attachment_published, Action.attachment_unpublished, Action.attachment_deleted
    )
    assert [(e.action, e.actor_id, e.target_id) for e in entries] == [
        (Action.attachment_published, bench.agent.id, _id(public_from_the_start)),
        (Action.attachment_published, bench.admin.id, _id(uploaded)),
        (Action.attachment_unpublished, bench.technician.id, _id(uploaded)),
    ]
    assert all(e.target_type == "attachment" for e in entries)
    assert entries[0].details["atUpload"] is True
    assert entries[1].details["repairId"] == bench.repair_id
    assert entries[1].details["repairNumber"] == bench.repair["repairNumber"]
    assert entries[1].details["fileName"] == "before.png"
    assert entries[1].details["sha256"] == uploaded["sha256"]
    assert entries[1].ip_address == "127.0.0.1"


@pytest.mark.parametrize("deleter", ["admin", "uploader"])
async def test_a_manager_an_admin_or_the_uploader_deletes_and_the_deletion_is_audited(
    client, app, sessionmaker, bench, deleter
):
    uploaded = (
        await upload(client, bench.agent, bench.repair_id, files.png(), file_name="intake.png")
    ).json()
    actor = bench.admin if deleter == "admin" else bench.agent

    response = await client.delete(url_of(bench, uploaded), headers=actor.headers)

    assert response.status_code == 204, response.text
    assert await attachment_rows(sessionmaker) == []
    [entry] = await audit_rows(sessionmaker, Action.attachment_deleted)
    assert (entry.actor_type, entry.actor_id, entry.target_id) == ("user", actor.id, _id(uploaded))
    assert entry.details["repairId"] == bench.repair_id
    assert entry.details["fileName"] == "intake.png"
    assert entry.details["isPublic"] is False


async def test_a_manager_may_delete_anyones_file(client, app, sessionmaker, bench):
    from tests.factories import make_user

    manager = await make_user(app, sessionmaker, "manager")
    uploaded = (await upload(client, bench.technician, bench.repair_id, files.png())).json()

    response = await client.delete(url_of(bench, uploaded), headers=manager.headers)

    assert response.status_code == 204, response.text


async def test_staff_who_did_not_upload_a_file_cannot_delete_it_and_nothing_changes(
    client, sessionmaker, settings, bench
):
    # The technician is assigned to the repair and may change it, but did not take this photo.
    uploaded = (await upload(client, bench.agent, bench.repair_id, files.png())).json()

    as_technician = await client.delete(url_of(bench, uploaded), headers=bench.technician.headers)
    other_agent_upload = (await upload(client, bench.technician, bench.repair_id, files.jpeg())).json()
    as_agent = await client.delete(url_of(bench, other_agent_upload), headers=bench.agent.headers)

    for response in (as_technician, as_agent):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "FORBIDDEN"
    assert len(await attachment_rows(sessionmaker)) == 2
    assert len(stored_files(settings)) == 2
    assert await delete_jobs(sessionmaker) == []
    assert await audit_rows(sessionmaker, Action.attachment_deleted) == []


def _id(attachment: dict):
    import uuid

    return uuid.UUID(attachment["id"])
