"""The catalog import as a background job, for the staff page that uploads a CSV and watches it run.

The page stores the upload under ``catalog-imports/<id>.csv`` in the file storage and queues
:data:`IMPORT_JOB` in the same transaction (:func:`queue_import`). The worker runs
:func:`fixdesk.catalog.transfer.import_catalog` on it and keeps the job's ``payload["progress"]`` up to
date (stage, done, total; written about twice a second in short transactions of their own, so the page can
poll the job row); when it ends, ``payload["report"]`` holds the API's import answer
(:class:`~fixdesk.catalog.schemas.CatalogImportRead`, at most 200 rejected rows listed) or
``payload["error"]`` the reason a file was refused as a whole, written with the job's ``done`` mark, and the
upload is deleted. An import is idempotent (:func:`~fixdesk.catalog.transfer.import_catalog`), so a retried
job finishes the work of an interrupted one.

Why the jobs table and no import table of its own: an upload is watched for a minute and then forgotten;
the job row already has the state, the attempts, the error and the timestamps the page shows. The price
history keeps what the import changed, with the file's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog import transfer
from fixdesk.catalog.schemas import CatalogImportRead
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.jobs.models import Job
from fixdesk.platform.jobs.queue import enqueue
from fixdesk.platform.jobs.registry import JobContext, PermanentJobError, handler
from fixdesk.platform.storage import Storage, StoredFileMissing, discard_unless_committed

IMPORT_JOB = "catalog.import_file"
STORAGE_PREFIX = "catalog-imports/"
REJECTIONS_SHOWN = 200
"""Rejected rows kept in the job for the page (the count covers them all); the CLI lists every one."""
PROGRESS_SECONDS = 0.5
"""How often the worker writes the progress to the job row."""
STAGES = ("reading", "checking", "writing")


async def queue_import(
    session: AsyncSession,
    storage: Storage,
    data: bytes,
    *,
    source_name: str,
    changed_by_id: uuid.UUID | None,
) -> uuid.UUID:
    """Store ``data`` (a catalog CSV) and queue its import in ``session``'s transaction; returns the job id.
    The stored file is deleted again if the transaction does not commit."""
    key = f"{STORAGE_PREFIX}{uuid.uuid4().hex}.csv"
    await storage.put(key, data, content_type="text/csv")
    discard_unless_committed(session, storage, key)
    payload = {
        "storageKey": key,
        "sourceName": source_name,
        "changedById": str(changed_by_id) if changed_by_id else None,
        "progress": {"stage": "queued", "done": 0, "total": 0},
    }
    job_id = await enqueue(session, IMPORT_JOB, payload, max_attempts=3)
    assert job_id is not None  # no unique key: never deduplicated
    return job_id


class _Progress:
    """The import's :class:`~fixdesk.catalog.transfer.ImportProgress`, called from the import's threads
    and read by the task that writes it to the job row."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stage_name = "reading"
        self.done = 0
        self.total = 0

    def stage(self, name: str, total: int) -> None:
        with self._lock:
            self.stage_name, self.done, self.total = name, 0, total

    def advance(self, count: int) -> None:
        with self._lock:
            self.done = min(self.total, self.done + count) if self.total else self.done + count

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"stage": self.stage_name, "done": self.done, "total": self.total}


async def _write_progress(context: JobContext, payload: dict[str, Any], progress: _Progress) -> None:
    async with context.sessionmaker() as session:
        await session.execute(
            update(Job)
            .where(Job.id == context.job_id)
            .values(payload={**payload, "progress": progress.snapshot()})
        )
        await session.commit()


async def _keep_writing_progress(
    context: JobContext, payload: dict[str, Any], progress: _Progress, finished: asyncio.Event
) -> None:
    last: dict[str, Any] | None = None
    while not finished.is_set():
        current = progress.snapshot()
        if current != last:
            await _write_progress(context, payload, progress)
            last = current
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(finished.wait(), timeout=PROGRESS_SECONDS)


# A large file takes minutes: keep the lease longer than any import so no other worker takes it over.
@handler(IMPORT_JOB, max_attempts=3, lease_seconds=3600)
async def import_file(context: JobContext) -> None:
    """Import the stored CSV of ``payload["storageKey"]`` (see the module docstring)."""
    payload = dict(context.payload)
    storage: Storage = context.services.storage
    key = payload["storageKey"]
    try:
        data = await storage.read(key)
    except StoredFileMissing as exc:
        raise PermanentJobError(f"The uploaded file {key} is gone.") from exc
    progress = _Progress()
    finished = asyncio.Event()
    writer = asyncio.create_task(_keep_writing_progress(context, payload, progress, finished))
    result: dict[str, Any]
    try:
        changed_by = payload.get("changedById")
        report = await transfer.import_catalog(
            context.sessionmaker,
            data,
            timezone=context.settings.shop_timezone,
            changed_by_id=uuid.UUID(changed_by) if changed_by else None,
            source_name=payload.get("sourceName"),
            progress=progress,
        )
        answer = CatalogImportRead.of(report, limit=REJECTIONS_SHOWN)
        result = {"report": answer.model_dump(mode="json", by_alias=True)}
    except ValidationFailed as exc:
        # The file as a whole is not a usable CSV: nothing was written, and retrying cannot help.
        result = {"error": exc.detail}
    finally:
        finished.set()
        await writer
    done = {"stage": "done", "done": progress.total, "total": progress.total}
    await context.session.execute(
        update(Job).where(Job.id == context.job_id).values(payload={**payload, "progress": done, **result})
    )
    await storage.delete(key)
