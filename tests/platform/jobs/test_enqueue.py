"""``enqueue()`` writes in the caller's transaction: rolled back, nothing runs; committed, it runs once.
Delayed jobs wait for ``run_at``; a ``unique_key`` keeps a job single. A handler's writes commit together
with the job's ``done`` mark, or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from fixdesk.customers.models import Customer
from fixdesk.db import transaction, utcnow
from fixdesk.platform.events import DomainEvent
from fixdesk.platform.jobs import Job, JobState, enqueue
from fixdesk.platform.jobs.queue import enqueue_many
from tests.conftest import unique_email
from tests.platform.jobs import handlers
from tests.platform.jobs.conftest import count_jobs, load_job


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists_nor_runs(jobs_db, make_worker):
    async with jobs_db() as session:
        assert await enqueue(session, handlers.RECORD, {"note": "explicit rollback"}) is not None
        await session.rollback()

    async def failing_unit_of_work() -> None:
        async with transaction(jobs_db) as session:
            await enqueue(session, handlers.RECORD, {"note": "exception inside the unit of work"})
            raise RuntimeError("request failed")

    with pytest.raises(RuntimeError, match="request failed"):
        await failing_unit_of_work()

    assert await make_worker().drain() == 0
    assert await count_jobs(jobs_db) == 0
    assert handlers.calls == []


async def test_a_committed_job_runs_once_and_ends_done(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        job_id = await enqueue(session, handlers.RECORD, {"repairId": "R-2026-000001"})

    queued = await load_job(jobs_db, job_id)
    assert (queued.state, queued.attempts, queued.max_attempts) == (JobState.queued, 0, 10)
    worker = make_worker()
    assert await worker.drain() == 1

    job = await load_job(jobs_db, job_id)
    assert job.state == JobState.done
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.locked_by is None
    assert job.locked_until is None
    assert [call["payload"] for call in handlers.calls_of(job_id)] == [{"repairId": "R-2026-000001"}]
    # Nothing is due any more: a second drain runs nothing.
    assert await worker.drain() == 0
    assert len(handlers.calls_of(job_id)) == 1


async def test_a_delayed_job_waits_until_it_is_due(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        at_time = await enqueue(session, handlers.RECORD, {"n": 1}, run_at=utcnow() + timedelta(hours=1))
        after_delay = await enqueue(session, handlers.RECORD, {"n": 2}, delay=timedelta(minutes=5))
        now = await enqueue(session, handlers.RECORD, {"n": 3})

    worker = make_worker()
    assert await worker.drain() == 1
    assert (await load_job(jobs_db, now)).state == JobState.done
    for job_id in (at_time, after_delay):
        job = await load_job(jobs_db, job_id)
        assert (job.state, job.attempts) == (JobState.queued, 0)
        assert handlers.calls_of(job_id) == []
    delayed = await load_job(jobs_db, after_delay)
    assert delayed.run_at - delayed.created_at == timedelta(minutes=5)

    # Time passes (simulated): the jobs become due and the next drain runs them.
    async with transaction(jobs_db) as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_([at_time, after_delay]))
            .values(run_at=utcnow() - timedelta(seconds=1))
        )
    assert await worker.drain() == 2
    for job_id in (at_time, after_delay):
        assert (await load_job(jobs_db, job_id)).state == JobState.done
        assert len(handlers.calls_of(job_id)) == 1


async def test_a_unique_key_keeps_a_single_job(jobs_db, make_worker):
    key = "delivery:event-1:hook-1"
    async with transaction(jobs_db) as session:
        first = await enqueue(session, handlers.RECORD, {"n": 1}, unique_key=key)
        assert await enqueue(session, handlers.RECORD, {"n": 2}, unique_key=key) is None
        other = await enqueue(session, handlers.RECORD, {"n": 3}, unique_key="delivery:event-1:hook-2")
    assert first is not None
    assert other is not None
    # A later transaction (an event dispatched twice) is deduplicated too.
    async with transaction(jobs_db) as session:
        assert await enqueue(session, handlers.RECORD, {"n": 4}, unique_key=key) is None

    assert await make_worker().drain() == 2
    assert [call["payload"]["n"] for call in handlers.calls_of(first)] == [1]
    assert await count_jobs(jobs_db) == 2
    # The key stays taken after the job is done, so a late duplicate does not run the work again.
    async with transaction(jobs_db) as session:
        assert await enqueue(session, handlers.RECORD, {"n": 5}, unique_key=key) is None
    assert await count_jobs(jobs_db) == 2


async def test_enqueue_many_queues_in_bulk_by_the_same_rules(jobs_db, make_worker):
    async with jobs_db() as session:
        await enqueue_many(session, handlers.RECORD, [{"n": 0}], unique_keys=["bulk:0"])
        await session.rollback()
    async with transaction(jobs_db) as session:
        await enqueue(session, handlers.RECORD, {"n": 1}, unique_key="bulk:1")
        queued = await enqueue_many(
            session,
            handlers.RECORD,
            [{"n": n} for n in range(1, 4)],
            unique_keys=[f"bulk:{n}" for n in range(1, 4)],
        )
        # Without keys every payload is queued; max_attempts is the handler's, as with enqueue().
        assert await enqueue_many(session, handlers.ALWAYS_FAILS, [{}, {}]) == 2
    with pytest.raises(ValueError, match="one unique key per payload"):
        async with jobs_db() as session:
            await enqueue_many(session, handlers.RECORD, [{}, {}], unique_keys=["only-one"])

    assert queued == 2  # bulk:1 was already queued
    async with jobs_db() as session:
        rows = (await session.execute(select(Job).order_by(Job.kind, Job.unique_key))).scalars().all()
    assert [(job.kind, job.unique_key, job.max_attempts) for job in rows] == [
        (handlers.ALWAYS_FAILS, None, 3),
        (handlers.ALWAYS_FAILS, None, 3),
        (handlers.RECORD, "bulk:1", 10),
        (handlers.RECORD, "bulk:2", 10),
        (handlers.RECORD, "bulk:3", 10),
    ]
    await make_worker().drain()
    assert sorted(call["payload"]["n"] for call in handlers.calls if "n" in call["payload"]) == [1, 2, 3]


async def test_a_handlers_writes_commit_with_the_done_mark(jobs_db, make_worker):
    email = unique_email("written")
    async with transaction(jobs_db) as session:
        job_id = await enqueue(session, handlers.WRITES, {"email": email})

    await make_worker().drain()

    assert (await load_job(jobs_db, job_id)).state == JobState.done
    async with jobs_db() as session:
        assert await session.scalar(select(func.count()).where(Customer.email == email)) == 1


async def test_a_handler_that_writes_then_raises_leaves_no_row(jobs_db, make_worker):
    email = unique_email("rolled-back")
    async with transaction(jobs_db) as session:
        job_id = await enqueue(session, handlers.WRITES_THEN_RAISES, {"email": email})

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.dead, 2)
    assert len(handlers.calls_of(job_id)) == 2
    async with jobs_db() as session:
        # Neither the customer nor the event it published (nor the event's dispatch job) survived.
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0
        assert await session.scalar(select(func.count()).select_from(DomainEvent)) == 0
    assert await count_jobs(jobs_db) == 1
