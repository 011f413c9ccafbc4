"""The worker: claims due jobs, runs them with a lease kept alive by a heartbeat, retries or buries failures,
enqueues periodic jobs, and stops gracefully (the jobs in hand finish first).

``fixdesk serve`` runs one inside the server process; ``fixdesk worker --concurrency N`` runs a standalone
one with N job slots; any number of them may run against one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import traceback
import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.db import utcnow
from fixdesk.platform.jobs import queue
from fixdesk.platform.jobs.registry import JobContext, PermanentJobError, Registry, registry

log = structlog.get_logger("fixdesk.jobs")


class Worker:
    """Runs jobs from the database until :meth:`stop` is called.

    ``lease_seconds`` is how long a claimed job stays reserved without a heartbeat; a worker that dies
    (even by SIGKILL) loses its jobs to other workers after at most that long.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        settings: Any = None,
        services: Any = None,
        concurrency: int = 4,
        poll_interval: float = 0.5,
        lease_seconds: float = 30.0,
        worker_id: str | None = None,
        job_registry: Registry = registry,
        run_periodic: bool = True,
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        # Idle polling reads through this one: on SQLite it does not take the write lock.
        self.read_sessionmaker = read_sessionmaker or sessionmaker
        self.settings = settings
        self.services = services
        self.concurrency = max(1, concurrency)
        self.poll_interval = poll_interval
        self.lease = timedelta(seconds=lease_seconds)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.registry = job_registry
        self.run_periodic = run_periodic
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._last_periodic_check = 0.0
        self.completed = 0

    # -- lifecycle ---------------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop claiming new jobs; :meth:`run` returns once the jobs in hand have finished."""
        if not self._stopping.is_set():
            log.info("worker_stopping", worker=self.worker_id, jobs_in_hand=len(self._running))
        self._stopping.set()
        self._wakeup.set()

    async def stop(self) -> None:
        self.request_stop()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def run(self) -> None:
        """Work until stopped."""
        queue._local_wakeups.add(self._wakeup)
        log.info("worker_started", worker=self.worker_id, concurrency=self.concurrency)
        try:
            while not self._stopping.is_set():
                # Cleared before polling, not after: a wake-up that arrives during the poll is kept.
                self._wakeup.clear()
                claimed = await self._tick()
                if claimed == 0 or len(self._running) >= self.concurrency:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_interval)
        finally:
            queue._local_wakeups.discard(self._wakeup)
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            log.info("worker_stopped", worker=self.worker_id, completed=self.completed)

    async def drain(self, max_seconds: float = 30.0) -> int:
        """Run jobs until none is due (tests and CLI one-offs), for at most ``max_seconds``; returns how many
        ran."""
        started = self.completed
        deadline = asyncio.get_running_loop().time() + max_seconds
        while asyncio.get_running_loop().time() < deadline:
            claimed = await self._tick()
            if self._running:
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            elif claimed == 0:
                async with self.read_sessionmaker() as session:
                    if not await queue.has_due_jobs(session):
                        break
        return self.completed - started

    # -- one round ---------------------------------------------------------------------------------------

    async def _tick(self) -> int:
        try:
            if self.run_periodic:
                await self._enqueue_periodic()
            free = self.concurrency - len(self._running)
            if free <= 0:
                return 0
            async with self.read_sessionmaker() as session:
                if not await queue.has_due_jobs(session):
                    return 0
            async with self.sessionmaker() as session:
                jobs = await queue.claim(session, self.worker_id, free, self.lease)
        except Exception:
            # The database may be restarting; keep the worker alive and try again at the next poll.
            log.exception("worker_poll_failed", worker=self.worker_id)
            return 0
        for job in jobs:
            task = asyncio.create_task(self._execute(job), name=f"job-{job.kind}-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._job_finished)
        return len(jobs)

    def _job_finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        # A slot is free: claim the next due job now, not at the next poll.
        self._wakeup.set()

    async def _enqueue_periodic(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._last_periodic_check < 1.0 or not self.registry.periodics:
            return
        self._last_periodic_check = loop_time
        now = utcnow()
        for schedule in self.registry.periodics.values():
            occurrence = schedule.latest_occurrence(now)
            async with self.sessionmaker() as session:
                if await queue.record_periodic(session, schedule.name, occurrence):
                    await queue.enqueue(
                        session,
                        schedule.kind,
                        {**schedule.payload, "occurrence": occurrence.isoformat()},
                        unique_key=f"periodic:{schedule.name}:{occurrence.isoformat()}",
                    )
                    await session.commit()
                    log.info("periodic_enqueued", name=schedule.name, occurrence=occurrence.isoformat())

    async def _heartbeat(self, job: queue.ClaimedJob, lease: timedelta) -> None:
        interval = max(0.2, lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.sessionmaker() as session:
                    if not await queue.extend_lease(session, job.id, self.worker_id, lease):
                        return
                    await session.commit()
            except Exception:
                log.warning("heartbeat_failed", job_id=str(job.id))

    async def _execute(self, job: queue.ClaimedJob) -> None:
        kind = self.registry.get(job.kind)
        lease = timedelta(seconds=kind.lease_seconds) if kind and kind.lease_seconds else self.lease
        heartbeat = asyncio.create_task(self._heartbeat(job, lease))
        bound = log.bind(job_id=str(job.id), kind=job.kind, attempt=job.attempts)
        try:
            if kind is None:
                await self._fail(job, f"No handler is registered for job kind {job.kind!r}.", retry=False)
                return
            if job.attempts > job.max_attempts:
                # Reclaimed after its worker died on the last allowed attempt.
                await self._fail(job, "Out of attempts (the last attempt's worker stopped).", retry=False)
                return
            async with self.sessionmaker() as session:
                context = JobContext(
                    job_id=job.id,
                    kind=job.kind,
                    payload=job.payload,
                    attempt=job.attempts,
                    max_attempts=job.max_attempts,
                    session=session,
                    settings=self.settings,
                    services=self.services,
                    sessionmaker=self.sessionmaker,
                )
                try:
                    await kind.function(context)
                    if not await queue.mark_done(session, job.id, self.worker_id):
                        # Another worker took the job over (our lease ran out): its run counts, not ours.
                        await session.rollback()
                        bound.warning("job_lease_lost")
                        return
                    await session.commit()
                except Exception as exc:
                    await session.rollback()
                    permanent = isinstance(exc, PermanentJobError)
                    error = f"{type(exc).__name__}: {exc}"
                    bound.warning("job_failed", error=error, permanent=permanent)
                    bound.debug("job_traceback", traceback=traceback.format_exc())
                    retry = not permanent and job.attempts < job.max_attempts
                    await self._fail(job, error, retry=retry, backoff_kind=kind)
                    return
            self.completed += 1
            bound.debug("job_done")
        except asyncio.CancelledError:
            raise
        except Exception:
            bound.exception("job_bookkeeping_failed")
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _fail(
        self, job: queue.ClaimedJob, error: str, *, retry: bool, backoff_kind: Any = None
    ) -> None:
        retry_at = None
        if retry and backoff_kind is not None:
            retry_at = utcnow() + backoff_kind.backoff(job.attempts)
        async with self.sessionmaker() as session:
            state = await queue.mark_failed(session, job, self.worker_id, error, retry_at=retry_at)
            await session.commit()
        log.info("job_recorded_failure", job_id=str(job.id), kind=job.kind, state=state)
