"""Real ``fixdesk worker`` processes on PostgreSQL: many workers run each job exactly once, a worker killed
mid-job loses the job to another after its lease, and SIGTERM finishes the job in hand before exiting."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from fixdesk.db import transaction
from fixdesk.platform.jobs import Job, JobState, enqueue
from tests.conftest import TEST_SECRET
from tests.platform.jobs.probe_handlers import CREATE_PROBE_TABLE, DROP_PROBE_TABLE, PROBE_TABLE
from tests.support.polling import wait_until

# Worker processes of their own commit on their own connections.
pytestmark = pytest.mark.commits

REPO_ROOT = Path(__file__).resolve().parents[3]
LEASE_SECONDS = 2
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class WorkerProcesses:
    """Starts ``fixdesk worker`` processes on the test database, each logging into a file of its own."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("FIXDESK_")}
        self.env.update(
            FIXDESK_DATABASE_URL=database_url,
            FIXDESK_DATA_DIR=str(tmp_path / "data"),
            FIXDESK_SECRET_KEY=TEST_SECRET,
            FIXDESK_ENV="test",
            PYTHONPATH=str(REPO_ROOT),
        )
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fixdesk",
                    "worker",
                    "--concurrency",
                    "4",
                    "--import",
                    "tests.platform.jobs.probe_handlers",
                    "--lease-seconds",
                    str(LEASE_SECONDS),
                ],
                env=self.env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.started.append((process, log))
        return process

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        """What the process logged so far, without the console renderer's colours."""
        [log] = [log for started, log in self.started if started is process]
        return ANSI_ESCAPE.sub("", log.read_text(errors="replace"))

    async def wait_until_working(self, *processes: subprocess.Popen[bytes], timeout: float = 90) -> None:
        """Wait until every process has logged ``worker_started`` (it is polling the queue)."""
        for process in processes:

            def started(process: subprocess.Popen[bytes] = process) -> bool:
                assert process.poll() is None, f"worker exited early:\n{self.log_of(process)}"
                return "worker_started" in self.log_of(process)

            await wait_until(started, timeout=timeout, interval=0.1, message="a worker process to start")

    def kill_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
def workers(backend: str, database: Any, database_url: str, tmp_path: Path) -> Iterator[WorkerProcesses]:
    """Worker processes on the test's database. It asks for ``database`` so that the processes are killed
    before that fixture empties the tables: a process still alive then could commit its periodic jobs
    after the wipe, into the next test's database."""
    if backend != "postgresql":
        pytest.skip(
            "several worker processes share a queue on PostgreSQL only (SQLite: one in-process worker)"
        )
    processes = WorkerProcesses(database_url, tmp_path)
    try:
        yield processes
    finally:
        processes.kill_all()


@pytest.fixture
async def probe_table(jobs_db, engine):
    async with engine.begin() as connection:
        await connection.execute(text(DROP_PROBE_TABLE))
        await connection.execute(text(CREATE_PROBE_TABLE))
    yield jobs_db
    async with engine.begin() as connection:
        await connection.execute(text(DROP_PROBE_TABLE))


async def probe_rows(sessionmaker, phase: str) -> list[tuple[int, str]]:
    async with sessionmaker() as session:
        result = await session.execute(
            text(f"SELECT n, worker FROM {PROBE_TABLE} WHERE phase = :phase ORDER BY n"), {"phase": phase}
        )
        return [(row.n, row.worker) for row in result]


async def jobs_of(sessionmaker, kind: str) -> list[Job]:
    async with sessionmaker() as session:
        return list((await session.execute(select(Job).where(Job.kind == kind))).scalars())


async def test_four_worker_processes_run_a_thousand_jobs_each_exactly_once(workers, probe_table):
    sessionmaker = probe_table
    processes = [workers.start() for _ in range(4)]
    await workers.wait_until_working(*processes)

    async with transaction(sessionmaker) as session:
        for n in range(1000):
            await enqueue(session, "probe.record", {"n": n})
    started = time.monotonic()

    async def all_done() -> bool:
        async with sessionmaker() as session:
            pending = await session.scalar(
                select(func.count()).where(Job.kind == "probe.record", Job.state != JobState.done.value)
            )
        return pending == 0

    await wait_until(all_done, timeout=120, interval=0.1, message="1,000 jobs to be done")
    elapsed = time.monotonic() - started

    rows = await probe_rows(sessionmaker, "record")
    per_worker: dict[str, int] = {}
    for _, worker in rows:
        per_worker[worker] = per_worker.get(worker, 0) + 1
    print(f"\n1,000 jobs on 4 worker processes in {elapsed:.2f} s; runs per worker process: {per_worker}")
    assert len(rows) == 1000
    assert {n for n, _ in rows} == set(range(1000))
    jobs = await jobs_of(sessionmaker, "probe.record")
    assert len(jobs) == 1000
    assert all(job.state == JobState.done for job in jobs)
    assert len(per_worker) > 1, f"only one worker process took part: {per_worker}"
    assert set(per_worker) <= {str(process.pid) for process in processes}


async def test_a_worker_killed_mid_job_has_its_job_rerun_by_another_after_the_lease(
    workers, probe_table, tmp_path
):
    sessionmaker = probe_table
    processes = [workers.start(), workers.start()]
    await workers.wait_until_working(*processes)
    release = tmp_path / "release"
    async with transaction(sessionmaker) as session:
        job_id = await enqueue(session, "probe.hold", {"n": 1, "release": str(release)})

    async def started_once() -> bool:
        return len(await probe_rows(sessionmaker, "start")) == 1

    await wait_until(started_once, timeout=60, interval=0.1, message="a worker to start the job")
    [(_, victim_pid)] = await probe_rows(sessionmaker, "start")
    [victim] = [process for process in processes if str(process.pid) == victim_pid]
    [survivor] = [process for process in processes if process is not victim]
    # The job is held until the release file exists: the kill lands mid-job, however slow the machine.
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=30) == -signal.SIGKILL
    assert await probe_rows(sessionmaker, "end") == []
    release.touch()

    async def done() -> bool:
        [job] = await jobs_of(sessionmaker, "probe.hold")
        return job.state == JobState.done

    await wait_until(done, timeout=90, interval=0.1, message="the surviving worker to finish the job")

    [job] = await jobs_of(sessionmaker, "probe.hold")
    assert (job.id, job.attempts) == (job_id, 2)
    starts = await probe_rows(sessionmaker, "start")
    assert sorted(worker for _, worker in starts) == sorted([str(victim.pid), str(survivor.pid)])
    assert await probe_rows(sessionmaker, "end") == [(1, str(survivor.pid))]
    assert "job_failed" not in workers.log_of(survivor)


async def test_sigterm_lets_a_worker_process_finish_the_job_in_hand_and_exit_cleanly(
    workers, probe_table, tmp_path
):
    sessionmaker = probe_table
    process = workers.start()
    await workers.wait_until_working(process)
    release = tmp_path / "release"
    async with transaction(sessionmaker) as session:
        job_id = await enqueue(session, "probe.hold", {"n": 2, "release": str(release)})

    async def started() -> bool:
        return bool(await probe_rows(sessionmaker, "start"))

    await wait_until(started, timeout=60, interval=0.1, message="the worker to start the job")
    process.send_signal(signal.SIGTERM)
    # The job in hand is held until the release file exists, so SIGTERM arrives mid-job; the worker
    # must still be there (waiting for the job), not gone.
    await wait_until(
        lambda: "worker_stopping" in workers.log_of(process) or process.poll() is not None,
        timeout=60,
        message="the worker to take the SIGTERM",
    )
    assert process.poll() is None, workers.log_of(process)
    # At least the held job; the worker's own periodic jobs may be in hand too when the signal lands.
    in_hand = re.search(r"jobs_in_hand=(\d+)", workers.log_of(process))
    assert in_hand, workers.log_of(process)
    assert int(in_hand.group(1)) >= 1, workers.log_of(process)
    release.touch()
    returncode = process.wait(timeout=60)

    assert returncode == 0, workers.log_of(process)
    assert await probe_rows(sessionmaker, "end") == [(2, str(process.pid))]
    [job] = await jobs_of(sessionmaker, "probe.hold")
    assert (job.id, job.state, job.attempts) == (job_id, JobState.done, 1)
    assert "worker_stopped" in workers.log_of(process)
