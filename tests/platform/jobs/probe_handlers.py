"""Handlers loaded into real worker processes by the multi-process tests
(``fixdesk worker --import tests.platform.jobs.probe_handlers``).

They write into ``job_probe_runs``, a table the test creates with raw SQL (it is not part of the schema):
one row per run, saying which process did it, so the test can count runs per job and per worker.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import text

from fixdesk.platform.jobs import JobContext, handler

PROBE_TABLE = "job_probe_runs"
CREATE_PROBE_TABLE = (
    f"CREATE TABLE {PROBE_TABLE} (n integer NOT NULL, worker text NOT NULL, phase text NOT NULL)"
)
DROP_PROBE_TABLE = f"DROP TABLE IF EXISTS {PROBE_TABLE}"


async def _insert(context: JobContext, phase: str) -> None:
    await context.session.execute(
        text(f"INSERT INTO {PROBE_TABLE} (n, worker, phase) VALUES (:n, :worker, :phase)"),
        {"n": context.payload["n"], "worker": str(os.getpid()), "phase": phase},
    )


@handler("probe.record")
async def record(context: JobContext) -> None:
    """Record that job ``n`` ran in this process; the row commits together with the job's done mark."""
    await _insert(context, "record")


RELEASE_TIMEOUT_SECONDS = 120


@handler("probe.hold")
async def hold(context: JobContext) -> None:
    """Record a start row (committed at once, so the test sees the job is in hand), hold the job until the
    file ``release`` exists (the test creates it when it has done what it does mid-job: a kill, a SIGTERM),
    then record an end row in the transaction that marks the job done."""
    await _insert(context, "start")
    await context.session.commit()
    release = Path(context.payload["release"])
    async with asyncio.timeout(RELEASE_TIMEOUT_SECONDS):
        while not release.exists():
            await asyncio.sleep(0.02)
    await _insert(context, "end")
