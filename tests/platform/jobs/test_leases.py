"""A claimed job is leased: when its worker dies, another worker takes it over once ``locked_until``
passes; a worker that lost its lease cannot mark the job done (its run does not count)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from fixdesk.customers.models import Customer
from fixdesk.db import transaction, utcnow
from fixdesk.platform.jobs import Job, JobState, enqueue, queue
from fixdesk.platform.jobs.registry import JobContext, JobKind, Registry
from tests.conftest import unique_email
from tests.platform.jobs import handlers
from tests.platform.jobs.conftest import load_job
from tests.support.polling import wait_until


async def test_the_job_of_a_dead_worker_is_rerun_after_its_lease(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        job_id = await enqueue(session, handlers.RECORD, {"n": 1})
    # A worker claims the job, then dies without finishing it (no heartbeat, no done mark).
    async with jobs_db() as session:
        [claimed] = await queue.claim(session, "ghost", 10, timedelta(seconds=1.5))
    assert (claimed.id, claimed.attempts) == (job_id, 1)
    ghost_job = await load_job(jobs_db, job_id)
    assert (ghost_job.state, ghost_job.locked_by) == (JobState.running, "ghost")

    worker = make_worker()
    # While the lease holds, nobody else touches the job.
    assert await worker.drain() == 0
    assert handlers.calls_of(job_id) == []
    # Then another worker takes it over as soon as the lease has run out (polled: no guessed sleep).
    assert await wait_until(worker.drain, message="the job to be rerun after its lease") == 1
    [rerun] = handlers.calls_of(job_id)
    assert rerun["at"] >= ghost_job.locked_until

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts, job.locked_by) == (JobState.done, 2, None)
    assert [call["attempt"] for call in handlers.calls_of(job_id)] == [2]
    # The ghost comes back: it no longer holds the job, so it can neither finish, fail nor extend it.
    async with jobs_db() as session:
        assert await queue.mark_done(session, job_id, "ghost") is False
        assert await queue.extend_lease(session, job_id, "ghost", timedelta(seconds=30)) is False
        await queue.mark_failed(session, claimed, "ghost", "late failure", retry_at=utcnow())
        await session.commit()
    job = await load_job(jobs_db, job_id)
    assert (job.state, job.last_error) == (JobState.done, None)


async def test_a_job_reclaimed_after_its_last_attempt_is_dead(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        job_id = await enqueue(session, handlers.RECORD, {"n": 1}, max_attempts=1)
    async with jobs_db() as session:
        await queue.claim(session, "ghost", 10, timedelta(seconds=30))
    async with transaction(jobs_db) as session:  # the lease runs out
        await session.execute(
            update(Job).where(Job.id == job_id).values(locked_until=utcnow() - timedelta(seconds=1))
        )

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.dead, 2)
    assert "Out of attempts" in job.last_error
    assert handlers.calls_of(job_id) == []


@pytest.mark.commits  # the thief's claim commits on its own connection while the handler's is open
async def test_a_worker_that_lost_its_lease_rolls_back_instead_of_marking_done(jobs_db, make_worker):
    """The handler outlives its lease and another worker ("thief") takes the job over meanwhile: the first
    worker's run does not count, so its writes are rolled back and the job stays with the thief."""
    email = unique_email("lost-lease")
    stolen: list[queue.ClaimedJob] = []

    async def outlives_its_lease(context: JobContext) -> None:
        async with transaction(jobs_db) as session:
            await session.execute(
                update(Job)
                .where(Job.id == context.job_id)
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )
        async with jobs_db() as session:
            stolen.extend(await queue.claim(session, "thief", 1, timedelta(seconds=30)))
        await handlers.create_customer(context.session, email)

    private = Registry()
    private.register(JobKind("test.outlives_its_lease", outlives_its_lease))
    async with transaction(jobs_db) as session:
        job_id = await enqueue(session, "test.outlives_its_lease")

    await make_worker(job_registry=private).drain()

    assert [job.id for job in stolen] == [job_id]
    job = await load_job(jobs_db, job_id)
    assert (job.state, job.locked_by, job.attempts) == (JobState.running, "thief", 2)
    async with jobs_db() as session:
        assert await session.scalar(select(func.count()).where(Customer.email == email)) == 0
        # The thief, which holds the lease now, can finish the job.
        assert await queue.mark_done(session, job_id, "thief") is True
        await session.commit()
    assert (await load_job(jobs_db, job_id)).state == JobState.done
