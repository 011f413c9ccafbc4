"""Failures retry with backoff up to ``max_attempts``, then the job is ``dead`` with its last error;
``PermanentJobError`` and unknown kinds go dead at once."""

from __future__ import annotations

from datetime import timedelta

from fixdesk.db import transaction, utcnow
from fixdesk.platform.jobs import JobState, enqueue
from fixdesk.platform.jobs.registry import exponential_backoff, schedule_backoff
from tests.platform.jobs import handlers
from tests.platform.jobs.conftest import load_job


async def enqueue_one(sessionmaker, kind: str, payload: dict | None = None, **options):
    async with transaction(sessionmaker) as session:
        return await enqueue(session, kind, payload or {}, **options)


async def test_a_handler_that_fails_twice_then_succeeds_ends_done_after_three_attempts(jobs_db, make_worker):
    job_id = await enqueue_one(jobs_db, handlers.FLAKY)

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert job.state == JobState.done
    assert job.attempts == 3
    assert job.last_error is None
    assert [call["attempt"] for call in handlers.calls_of(job_id)] == [1, 2, 3]


async def test_a_handler_that_always_fails_is_dead_after_max_attempts_with_its_last_error(
    jobs_db, make_worker
):
    job_id = await enqueue_one(jobs_db, handlers.ALWAYS_FAILS)
    capped = await enqueue_one(jobs_db, handlers.ALWAYS_FAILS, max_attempts=2)

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts, job.max_attempts) == (JobState.dead, 3, 3)
    assert job.last_error == "ValueError: the printer is on fire (attempt 3)"
    assert job.finished_at is not None
    assert job.locked_by is None
    assert len(handlers.calls_of(job_id)) == 3
    # max_attempts given to enqueue() overrides the handler's.
    assert ((await load_job(jobs_db, capped)).state, (await load_job(jobs_db, capped)).attempts) == (
        JobState.dead,
        2,
    )
    assert len(handlers.calls_of(capped)) == 2


async def test_a_permanent_error_is_dead_after_one_attempt(jobs_db, make_worker):
    job_id = await enqueue_one(jobs_db, handlers.PERMANENT)

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.dead, 1)
    assert "the payload names a repair that does not exist" in job.last_error
    assert len(handlers.calls_of(job_id)) == 1


async def test_a_job_of_an_unknown_kind_is_dead(jobs_db, make_worker):
    job_id = await enqueue_one(jobs_db, handlers.UNKNOWN)

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.dead, 1)
    assert handlers.UNKNOWN in job.last_error
    assert "No handler" in job.last_error


async def test_a_failed_attempt_is_retried_after_the_default_backoff(jobs_db, make_worker):
    job_id = await enqueue_one(jobs_db, handlers.SLOW_RETRY)
    before = utcnow()

    assert await make_worker().drain() == 0  # the attempt failed, and the retry is not due yet
    after = utcnow()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.failed, 1)
    assert job.last_error == "ConnectionError: provider unreachable"
    # First retry: 2 s with jitter, i.e. between 1 and 2 seconds after the failure.
    assert before + timedelta(seconds=1) <= job.run_at <= after + timedelta(seconds=2)
    assert len(handlers.calls_of(job_id)) == 1


def test_exponential_backoff_doubles_within_its_jitter_bounds_and_is_capped():
    for attempt in range(1, 12):
        ceiling = min(3600.0, 2.0 * 2 ** (attempt - 1))
        delays = [exponential_backoff(attempt).total_seconds() for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempt, min(delays), max(delays))
        # Jitter: a burst of failures does not retry in lockstep.
        assert len(set(delays)) > 100
    # Grows: every delay of attempt n+1 is at least every delay of attempt n.
    for attempt in range(1, 11):
        assert max(exponential_backoff(attempt) for _ in range(50)) <= min(
            exponential_backoff(attempt + 1) for _ in range(50)
        )
    assert exponential_backoff(1).total_seconds() <= 2.0
    assert 1800.0 <= exponential_backoff(40).total_seconds() <= 3600.0
    assert 5.0 <= exponential_backoff(3, base_seconds=10, cap_seconds=15).total_seconds() <= 15.0


def test_a_schedule_backoff_follows_its_schedule_with_ten_percent_jitter():
    backoff = schedule_backoff([5, 60, 3600])
    for attempt, expected in [(1, 5), (2, 60), (3, 3600), (4, 3600), (9, 3600)]:
        delays = [backoff(attempt).total_seconds() for _ in range(100)]
        assert all(expected * 0.9 <= delay <= expected * 1.1 for delay in delays)
        assert len(set(delays)) > 50
