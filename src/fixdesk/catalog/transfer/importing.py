"""The import: parse the CSV (in a worker thread), load what it refers to, plan the changes, then write
them in batches that each commit on their own, so other writers get their turn during a long import."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.catalog.service.cache import invalidate_catalog_cache
from fixdesk.catalog.transfer.loading import load_existing
from fixdesk.catalog.transfer.parsing import parse_csv
from fixdesk.catalog.transfer.planning import Planner
from fixdesk.catalog.transfer.report import ImportProgress, ImportReport, NoProgress
from fixdesk.catalog.transfer.upsert import write_batches
from fixdesk.db import READ_ONLY_OPTION, transaction, utcnow

IMPORT_BATCH_ROWS = 2_000
"""Records written per transaction: long enough to keep the import fast, short enough (well under a
second) that a writer waiting for SQLite's lock is never near its busy timeout."""
SQLITE_WRITER_TURN_SECONDS = 0.2
"""How long a SQLite import waits after each batch. A writer waiting for the lock sleeps in SQLite's busy
handler for at most 100 ms at a time, so it wakes within this pause and takes the lock before the next
batch; without it the import would take the lock straight back and starve every other writer. PostgreSQL
locks rows, not the database, and needs no pause."""


async def import_catalog(
    sessionmaker: async_sessionmaker[AsyncSession],
    data: bytes | str,
    *,
    timezone: str = "UTC",
    changed_by_id: uuid.UUID | None = None,
    source_name: str | None = None,
    progress: ImportProgress | None = None,
    batch_rows: int = IMPORT_BATCH_ROWS,
) -> ImportReport:
    """Upsert brands, device models, repair types, part types and prices from a catalog CSV (format in
    :mod:`fixdesk.catalog.transfer.csv_format`) and report what happened.

    The stored records the file names are read in one read-only transaction; the writes then commit in
    batches of ``batch_rows`` records from sessions of ``sessionmaker``, each its own transaction (on
    SQLite with a pause after each, :data:`SQLITE_WRITER_TURN_SECONDS`), so a long import never holds the
    database from other writers. The report is computed from the plan and is exact. A batch is idempotent
    and a price commits with its history row and event, so an import that was interrupted is finished by
    importing the same file again, which writes what is missing and nothing twice.

    ``timezone`` is the shop's IANA zone (``FIXDESK_SHOP_TIMEZONE``) for dates without a time;
    ``changed_by_id`` (a staff user) and ``source_name`` (the file name) are recorded in the price history.
    Rows with problems are listed in :attr:`ImportReport.rejected` and change nothing; the others are
    written. Raises :class:`ValidationFailed` (400, field ``file``) when the file is not a usable CSV,
    before anything is written. The catalog read cache is invalidated as each batch commits.
    """
    progress = progress or NoProgress()
    parsed = await asyncio.to_thread(parse_csv, data, timezone=timezone, progress=progress)
    report = ImportReport(rows=parsed.records, rejected=list(parsed.rejected))
    if not parsed.rows:
        report.rejected.sort(key=lambda rejection: rejection.line)
        return report
    async with sessionmaker() as session:
        # Read-only: on SQLite it does not take the write lock while the file's records are loaded.
        connection = await session.connection(execution_options={READ_ONLY_OPTION: True})
        existing = await load_existing(connection, parsed)
        sqlite = connection.dialect.name == "sqlite"
    planner = Planner(existing, utcnow())

    def plan() -> None:
        progress.stage("checking", len(parsed.rows))
        for index, row in enumerate(parsed.rows, 1):
            planner.add(row)
            if index % 1_000 == 0:
                progress.advance(1_000)
        progress.advance(len(parsed.rows) % 1_000)

    await asyncio.to_thread(plan)
    report.accepted = planner.accepted
    report.rejected.extend(planner.rejected)
    report.rejected.sort(key=lambda rejection: rejection.line)
    reason = f"CSV import of {source_name}" if source_name else "CSV import"
    batches = write_batches(
        planner,
        report,
        changed_by_id=changed_by_id,
        reason=reason,
        progress=progress,
        batch_rows=batch_rows,
    )
    for number, write in enumerate(batches, 1):
        async with transaction(sessionmaker) as session:
            await write(session)
            invalidate_catalog_cache(session)
        if sqlite and number < len(batches):
            await asyncio.sleep(SQLITE_WRITER_TURN_SECONDS)
    return report
