"""A running worker: it stops gracefully (the job in hand finishes, no new one starts), and the server's
lifespan runs one that picks up a committed job at once."""

from __future__ import annotations

import asyncio

from fixdesk.app import create_app
from fixdesk.db import transaction, utcnow
from fixdesk.platform.jobs import JobState, enqueue
from tests.conftest import make_settings
from tests.platform.jobs import handlers
from tests.platform.jobs.conftest import load_job


async def wait_for(condition, timeout: float = 10.0, message: str = "condition") -> None:
    """Poll ``condition`` (a coroutine function) until it is true; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {message}"
        await asyncio.sleep(0.02)


async def test_request_stop_lets_the_job_in_hand_finish_and_claims_no_more(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        in_hand = await enqueue(session, handlers.SLOW, {"seconds": 1.0})
    worker = make_worker(concurrency=1)
    running = asyncio.create_task(worker.run())
    try:

        async def started() -> bool:
            return bool(handlers.calls_of(in_hand, "start"))

        await wait_for(started, message="the slow job to start")
        async with transaction(jobs_db) as session:
            waiting = await enqueue(session, handlers.SLOW, {"seconds": 1.0})

        worker.request_stop()
        await asyncio.wait_for(running, timeout=20)
    finally:
        if not running.done():
            running.cancel()

    assert handlers.calls_of(in_hand, "end"), "run() returned before the job in hand finished"
    job = await load_job(jobs_db, in_hand)
    assert (job.state, job.attempts) == (JobState.done, 1)
    # The job enqueued while stopping was not started.
    untouched = await load_job(jobs_db, waiting)
    assert (untouched.state, untouched.attempts) == (JobState.queued, 0)
    assert handlers.calls_of(waiting, "start") == []


async def test_the_apps_lifespan_runs_a_worker_that_picks_up_a_committed_job(
    jobs_db, engine, database_url, tmp_path
):
    # A poll interval far beyond the deadline: only the commit's wake-up can start the job in time.
    settings = make_settings(database_url, tmp_path, job_poll_interval=60.0)
    app = create_app(settings, engine=engine, run_worker=True)

    async with app.router.lifespan_context(app):
        assert app.state.worker is not None
        async with transaction(app.state.sessionmaker) as session:
            job_id = await enqueue(session, handlers.RECORD, {"via": "lifespan"})
        committed = utcnow()

        async def done() -> bool:
            return (await load_job(jobs_db, job_id)).state == JobState.done

        await wait_for(done, timeout=5.0, message="the in-process worker to run the job")
        waited = (utcnow() - committed).total_seconds()
        print(f"in-process worker finished the job {waited:.3f} s after the commit")

    assert [call["payload"] for call in handlers.calls_of(job_id)] == [{"via": "lifespan"}]


async def test_a_freed_slot_claims_the_next_job_without_waiting_for_the_poll(jobs_db, make_worker):
    async with transaction(jobs_db) as session:
        job_ids = [await enqueue(session, handlers.RECORD, {"n": n}) for n in range(3)]
    # One slot and a poll interval far beyond the deadline: only a finished job's wake-up can start the
    # next one in time.
    worker = make_worker(concurrency=1, poll_interval=60.0)
    running = asyncio.create_task(worker.run())
    try:

        async def all_done() -> bool:
            return all([(await load_job(jobs_db, job_id)).state == JobState.done for job_id in job_ids])

        await wait_for(all_done, timeout=10.0, message="three jobs through one slot")
    finally:
        worker.request_stop()
        await asyncio.wait_for(running, timeout=20)
    assert [len(handlers.calls_of(job_id)) for job_id in job_ids] == [1, 1, 1]
