"""The import: parse the CSV (in a worker thread), load what it refers to, plan the changes and write
them, in the caller's one transaction."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog.service.cache import invalidate_catalog_cache
from fixdesk.catalog.transfer.loading import load_existing
from fixdesk.catalog.transfer.parsing import parse_csv
from fixdesk.catalog.transfer.planning import Planner
from fixdesk.catalog.transfer.report import ImportProgress, ImportReport, NoProgress
from fixdesk.catalog.transfer.upsert import write_plans
from fixdesk.db import utcnow


async def import_catalog(
    session: AsyncSession,
    data: bytes | str,
    *,
    timezone: str = "UTC",
    changed_by_id: uuid.UUID | None = None,
    source_name: str | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Upsert brands, device models, repair types, part types and prices from a catalog CSV (format in
    :mod:`fixdesk.catalog.transfer.csv_format`) within ``session``'s transaction (flushes, never commits) and report what happened.

    ``timezone`` is the shop's IANA zone (``FIXDESK_SHOP_TIMEZONE``) for dates without a time;
    ``changed_by_id`` (a staff user) and ``source_name`` (the file name) are recorded in the price history.
    Rows with problems are listed in :attr:`ImportReport.rejected` and change nothing; the others are
    written. Raises :class:`ValidationFailed` (400, field ``file``) when the file is not a usable CSV,
    before anything is written. The catalog read cache is invalidated when the transaction commits.
    """
    progress = progress or NoProgress()
    parsed = await asyncio.to_thread(parse_csv, data, timezone=timezone, progress=progress)
    report = ImportReport(rows=parsed.records, rejected=list(parsed.rejected))
    if not parsed.rows:
        report.rejected.sort(key=lambda rejection: rejection.line)
        return report
    existing = await load_existing(await session.connection(), parsed)
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
    await write_plans(session, planner, report, changed_by_id=changed_by_id, reason=reason, progress=progress)
    if report.changed_anything:
        invalidate_catalog_cache(session)
    return report
