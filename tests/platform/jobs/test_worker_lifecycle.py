"""A running worker: it stops gracefully (the job in hand finishes, no new one starts), and the server's
lifespan runs one that picks up a committed job at once."""

from __future__ import annotations

import asyncio

import pytest

from fixdesk.db import transaction, utcnow
from fixdesk.platform.jobs import JobState, enqueue
from tests.conftest import make_settings
from tests.platform.jobs import handlers
from tests.platform.jobs.conftest import load_job
from tests.support.polling import wait_until


@pytest.mark.commits  # the running worker polls while the test enqueues
async def test_request_stop_lets_the_job_in_hand_finish_and_claims_no_more(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        in_hand = await enqueue(session, handlers.HELD)
    worker = make_worker(concurrency=1)
    running = asyncio.create_task(worker.run())
    try:

        async def started() -> bool:
            return bool(handlers.calls_of(in_hand, "start"))

        await wait_until(started, message="the held job to start")
        async with transaction(jobs_db) as session:
            waiting = await enqueue(session, handlers.HELD)

        # The job is still in hand (held until released), so the stop request comes mid-job.
        worker.request_stop()
        handlers.released.set()
        await asyncio.wait_for(running, timeout=60)
    finally:
        handlers.released.set()
        if not running.done():
            running.cancel()

    assert handlers.calls_of(in_hand, "end"), "run() returned before the job in hand finished"
    job = await load_job(jobs_db, in_hand)
    assert (job.state, job.attempts) == (JobState.done, 1)
    # The job enqueued while stopping was not started.
    untouched = await load_job(jobs_db, waiting)
    assert (untouched.state, untouched.attempts) == (JobState.queued, 0)
    assert handlers.calls_of(waiting, "start") == []


@pytest.mark.commits  # the in-process worker polls while the test enqueues
async def test_the_apps_lifespan_runs_a_worker_that_picks_up_a_committed_job(
    jobs_db, database, database_url, tmp_path
):
    # A poll interval far beyond the (generous) deadline: only the commit's wake-up can start the job
    # in time.
    settings = make_settings(database_url, tmp_path, job_poll_interval=3600.0)
    app = database.app(settings, run_worker=True)

    async with app.router.lifespan_context(app):
        assert app.state.worker is not None
        async with transaction(app.state.sessionmaker) as session:
            job_id = await enqueue(session, handlers.RECORD, {"via": "lifespan"})
        committed = utcnow()

        async def done() -> bool:
            return (await load_job(jobs_db, job_id)).state == JobState.done

        await wait_until(done, timeout=60, message="the in-process worker to run the job")
        waited = (utcnow() - committed).total_seconds()
        print(f"in-process worker finished the job {waited:.3f} s after the commit")

    assert [call["payload"] for call in handlers.calls_of(job_id)] == [{"via": "lifespan"}]


@pytest.mark.commits  # the running worker polls while the test reads the jobs
async def test_a_freed_slot_claims_the_next_job_without_waiting_for_the_poll(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        job_ids = [await enqueue(session, handlers.RECORD, {"n": n}) for n in range(3)]
    # One slot and a poll interval far beyond the deadline: only a finished job's wake-up can start the
    # next one in time.
    worker = make_worker(concurrency=1, poll_interval=3600.0)
    running = asyncio.create_task(worker.run())
    try:

        async def all_done() -> bool:
            return all([(await load_job(jobs_db, job_id)).state == JobState.done for job_id in job_ids])

        await wait_until(all_done, timeout=60, message="three jobs through one slot")
    finally:
        worker.request_stop()
        await asyncio.wait_for(running, timeout=20)
    assert [len(handlers.calls_of(job_id)) for job_id in job_ids] == [1, 1, 1]
