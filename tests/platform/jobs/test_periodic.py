"""Periodic jobs: every worker's scheduler tries to enqueue each occurrence, exactly one succeeds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fixdesk.db import utcnow
from fixdesk.platform.jobs import Job, JobState, Periodic, PeriodicRun
from fixdesk.platform.jobs.registry import JobContext, JobKind, Registry

KIND = "test.periodic_purge"


def periodic_registry(cron: str, runs: list[dict]) -> Registry:
    async def purge(context: JobContext) -> None:
        runs.append(context.payload)

    private = Registry()
    private.register(JobKind(KIND, purge))
    private.add_periodic(Periodic("purge", cron, KIND, {"olderThanDays": 30}))
    return private


async def periodic_rows(sessionmaker) -> tuple[list[Job], list[PeriodicRun]]:
    async with sessionmaker() as session:
        jobs = list((await session.execute(select(Job).where(Job.kind == KIND))).scalars())
        runs = list((await session.execute(select(PeriodicRun))).scalars())
    return jobs, runs


@pytest.mark.commits  # three schedulers race on their own connections
async def test_three_workers_enqueue_one_job_per_occurrence(jobs_db, make_worker):
    # Yearly, so the three schedulers cannot straddle two occurrences during the test.
    private = periodic_registry("0 0 1 1 *", [])
    workers = [
        make_worker(job_registry=private, run_periodic=True, worker_id=f"w{index}") for index in range(3)
    ]

    await asyncio.gather(*(worker._enqueue_periodic() for worker in workers))
    await asyncio.gather(
        *(worker._enqueue_periodic() for worker in workers)
    )  # throttled: at most once a second

    jobs, runs = await periodic_rows(jobs_db)
    occurrence = datetime(utcnow().year, 1, 1, tzinfo=UTC)
    assert [(run.name, run.occurrence) for run in runs] == [("purge", occurrence)]
    assert len(jobs) == 1
    assert jobs[0].payload == {"olderThanDays": 30, "occurrence": occurrence.isoformat()}
    assert jobs[0].unique_key == f"periodic:purge:{occurrence.isoformat()}"


@pytest.mark.commits  # three workers drain at once on their own connections
async def test_every_minute_schedule_runs_its_latest_occurrence_once(jobs_db, make_worker):
    runs: list[dict] = []
    private = periodic_registry("* * * * *", runs)
    started = utcnow()

    ran = sum(
        await asyncio.gather(
            *(make_worker(job_registry=private, run_periodic=True).drain() for _ in range(3))
        )
    )

    jobs, periodic_runs = await periodic_rows(jobs_db)
    # One job per minute the drains spanned (one, or two when a minute boundary fell inside).
    assert 1 <= len(jobs) == len(periodic_runs) == ran == len(runs) <= 2
    assert all(job.state == JobState.done and job.attempts == 1 for job in jobs)
    occurrences = sorted(datetime.fromisoformat(run["occurrence"]) for run in runs)
    assert occurrences == sorted(run.occurrence for run in periodic_runs)
    assert started.replace(second=0, microsecond=0) <= occurrences[0] <= occurrences[-1] <= utcnow()
    assert all(occurrence.second == 0 and occurrence.microsecond == 0 for occurrence in occurrences)


def test_an_invalid_cron_expression_is_refused():
    with pytest.raises(ValueError, match="invalid cron expression"):
        Registry().add_periodic(Periodic("broken", "every tuesday", KIND))
