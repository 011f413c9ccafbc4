"""Events and background jobs of fixdesk.repairs.attachments (loaded through the repairs manifest).

* ``attachments.delete_file`` removes a deleted attachment's bytes from storage. It is queued in the
  transaction that deleted the row, so it runs only once that deletion committed. Idempotent: deleting
  a missing object succeeds, and bytes still referenced by a row are left alone.
* ``attachments.sweep_orphans`` (daily, 04:23 UTC) removes stored files under ``repairs/`` that no
  attachment row references and that are older than a day: bytes of an upload whose process died between
  writing them and committing the row (the one case the request itself cannot clean up).
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import select

from fixdesk.db import utcnow
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError
from fixdesk.platform.storage import InvalidKey, Storage, build_storage, check_key
from fixdesk.repairs.attachments import events as attachment_events  # registers the event types
from fixdesk.repairs.attachments.service import DELETE_FILE_JOB, KEY_PREFIX
from fixdesk.repairs.models import RepairAttachment

__all__ = ["DELETE_FILE_JOB", "SWEEP_JOB", "attachment_events"]

log = structlog.get_logger(__name__)

SWEEP_JOB = "attachments.sweep_orphans"
# Far longer than any upload request takes between writing the bytes and committing the row.
ORPHAN_GRACE = timedelta(days=1)
SWEEP_BATCH = 500


def job_storage(context: JobContext) -> Storage:
    """The worker's storage (``services.storage``), or one built from the job's settings."""
    storage = getattr(context.services, "storage", None)
    if storage is not None:
        return storage
    if context.settings is None:
        raise RuntimeError("the worker was started without services or settings (no storage)")
    return build_storage(context.settings)


async def _referenced(context: JobContext, keys: list[str]) -> set[str]:
    """The ``keys`` some attachment row points to. Commits right after, so no database lock is held
    while the store is called."""
    statement = select(RepairAttachment.storage_key).where(RepairAttachment.storage_key.in_(keys))
    found = set((await context.session.execute(statement)).scalars())
    await context.session.commit()
    return found


@handler(DELETE_FILE_JOB, max_attempts=10)
async def delete_file(context: JobContext) -> None:
    """Remove a deleted attachment's bytes (payload ``storageKey``) from storage."""
    try:
        key = check_key(str(context.payload["storageKey"]))
    except (KeyError, InvalidKey) as error:
        raise PermanentJobError(f"bad payload: {error}") from error
    if await _referenced(context, [key]):
        log.warning("attachment_file_still_referenced", key=key)
        return
    await job_storage(context).delete(key)
    log.info("attachment_file_deleted", key=key)


@handler(SWEEP_JOB, max_attempts=3)
async def sweep_orphans(context: JobContext) -> int:
    """Delete stored files under ``repairs/`` older than :data:`ORPHAN_GRACE` that no row references;
    returns how many were deleted."""
    storage = job_storage(context)
    cutoff = utcnow() - ORPHAN_GRACE
    removed = 0
    batch: list[str] = []

    async def remove_unreferenced() -> int:
        referenced = await _referenced(context, batch)
        orphans = [key for key in batch if key not in referenced]
        for key in orphans:
            await storage.delete(key)
            log.info("orphaned_attachment_file_deleted", key=key)
        batch.clear()
        return len(orphans)

    async for entry in storage.list(KEY_PREFIX):
        if entry.modified_at < cutoff:
            batch.append(entry.key)
        if len(batch) >= SWEEP_BATCH:
            removed += await remove_unreferenced()
    if batch:
        removed += await remove_unreferenced()
    return removed
