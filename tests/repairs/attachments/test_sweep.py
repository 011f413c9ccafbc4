"""The periodic sweep of orphaned attachment files (``attachments.sweep_orphans``): bytes that no row
points to (an upload whose process died before its commit) are removed once they are a day old; bytes
of attachments, recent files and files outside ``repairs/`` stay."""

from __future__ import annotations

import os
import time
import uuid

from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.platform.jobs import Job, enqueue
from fixdesk.repairs.attachments.jobs import SWEEP_JOB
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import attachment_rows, stored_files, upload

TWO_DAYS = 2 * 24 * 3600


def age(path, seconds: float) -> None:
    """Make a stored file look ``seconds`` old (its modification time is what the sweep reads)."""
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


async def test_the_sweep_removes_only_old_unreferenced_files(client, sessionmaker, settings, bench, jobs):
    await upload(client, bench.admin, bench.repair_id, files.png())
    [row] = await attachment_rows(sessionmaker)
    root = settings.data_dir / "files"
    old_orphan = f"repairs/{bench.repair_id}/{uuid.uuid4()}"
    new_orphan = f"repairs/{bench.repair_id}/{uuid.uuid4()}"
    not_ours = "exports/catalog.csv"
    for key in (old_orphan, new_orphan, not_ours):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(b"left behind")
    for key in (row.storage_key, old_orphan, not_ours):
        age(root / key, TWO_DAYS)

    async with transaction(sessionmaker) as session:
        await enqueue(session, SWEEP_JOB)
    await jobs.drain()

    assert set(stored_files(settings)) == {row.storage_key, new_orphan, not_ours}
    async with sessionmaker() as session:
        [job] = (await session.execute(select(Job).where(Job.kind == SWEEP_JOB))).scalars()
    assert job.state == "done"
    download = await client.get(
        f"/api/v1/repairs/{bench.repair_id}/attachments/{row.id}/download", headers=bench.admin.headers
    )
    assert download.content == files.png()


def test_the_sweep_is_scheduled_daily():
    from fixdesk.platform.jobs import registry

    [schedule] = [p for p in registry.periodics.values() if p.kind == SWEEP_JOB]
    assert schedule.cron == "23 4 * * *"
