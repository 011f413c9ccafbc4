"""Dead jobs are visible and can be retried: ``/api/v1/admin/jobs`` for admins, ``fixdesk jobs`` on the
command line."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from fixdesk import migrations
from fixdesk.cli import app as cli
from fixdesk.db import create_engine, make_sessionmaker, transaction
from fixdesk.platform.jobs import JobState, enqueue
from fixdesk.platform.jobs.worker import Worker
from tests.factories import make_user
from tests.platform.jobs import handlers
from tests.platform.jobs.conftest import load_job


async def dead_job(sessionmaker, make_worker) -> uuid.UUID:
    """A job whose first attempt failed permanently (a retry by a person succeeds)."""
    async with transaction(sessionmaker) as session:
        job_id = await enqueue(session, handlers.FIRST_ATTEMPT_PERMANENT, {"notificationId": 7})
    await make_worker().drain()
    assert (await load_job(sessionmaker, job_id)).state == JobState.dead
    return job_id


async def test_an_admin_lists_dead_jobs_and_retries_one_until_it_is_done(app, client, jobs_db, make_worker):
    admin = await make_user(app, jobs_db, "admin")
    job_id = await dead_job(jobs_db, make_worker)
    async with transaction(jobs_db) as session:
        queued_id = await enqueue(session, handlers.RECORD, delay=timedelta(hours=1))

    listed = await client.get("/api/v1/admin/jobs", params={"state": "dead"}, headers=admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["id"] == str(job_id)
    assert item["kind"] == handlers.FIRST_ATTEMPT_PERMANENT
    assert item["state"] == "dead"
    assert item["attempts"] == 1
    assert "PermanentJobError: the provider rejected the message" in item["lastError"]
    assert item["payload"] == {"notificationId": 7}
    everything = await client.get("/api/v1/admin/jobs", headers=admin.headers)
    assert {row["id"] for row in everything.json()["items"]} == {str(job_id), str(queued_id)}

    retried = await client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "queued"
    assert retried.json()["maxAttempts"] > retried.json()["attempts"] == 1
    assert (await load_job(jobs_db, job_id)).state == JobState.queued

    await make_worker().drain()

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.done, 2)
    assert [call["attempt"] for call in handlers.calls_of(job_id)] == [1, 2]

    again = await client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin.headers)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "CONFLICT"
    missing = await client.post(f"/api/v1/admin/jobs/{uuid.uuid4()}/retry", headers=admin.headers)
    assert missing.status_code == 404, missing.text
    assert (await client.get("/api/v1/admin/jobs", params={"state": "dead"}, headers=admin.headers)).json()[
        "total"
    ] == 0


async def test_only_holders_of_jobs_manage_see_or_retry_jobs(app, client, jobs_db, make_worker):
    job_id = await dead_job(jobs_db, make_worker)
    for role in ("technician", "manager", "agent"):
        staff = await make_user(app, jobs_db, role)
        retried = await client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=staff.headers)
        assert retried.status_code == 403, (role, retried.text)
        listed = await client.get("/api/v1/admin/jobs", headers=staff.headers)
        assert listed.status_code == 403, (role, listed.text)
    anonymous = await client.post(f"/api/v1/admin/jobs/{job_id}/retry")
    assert anonymous.status_code == 401, anonymous.text

    job = await load_job(jobs_db, job_id)
    assert (job.state, job.attempts) == (JobState.dead, 1)


async def fixdesk_cli(data_dir: Path, *args: str) -> Result:
    """Run ``fixdesk ARGS`` in process (Typer's runner, in a thread: the command runs its own event loop, as
    from a shell) with only ``FIXDESK_DATA_DIR`` set, as on a fresh installation."""
    environment: dict[str, str | None] = {key: None for key in os.environ if key.startswith("FIXDESK_")}
    environment.update(FIXDESK_DATA_DIR=str(data_dir), COLUMNS="200")  # wide: Rich does not wrap ids
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=environment)


def job_row(database: Path, job_id: uuid.UUID) -> sqlite3.Row:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        # SQLAlchemy stores UUIDs on SQLite as 32 hex characters.
        return connection.execute("SELECT state, attempts FROM jobs WHERE id = ?", (job_id.hex,)).fetchone()
    finally:
        connection.close()


async def test_the_jobs_command_lists_dead_jobs_and_retries_one(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "fixdesk.db"
    url = f"sqlite+aiosqlite:///{database}"
    migrations.upgrade(url)
    engine = create_engine(url)
    try:
        sessionmaker = make_sessionmaker(engine)
        async with transaction(sessionmaker) as session:
            dead_id = await enqueue(session, handlers.UNKNOWN, {"n": 1})
            done_id = await enqueue(session, handlers.RECORD, {"n": 2})
        await Worker(sessionmaker, run_periodic=False).drain()
        assert (await load_job(sessionmaker, dead_id)).state == JobState.dead
        assert (await load_job(sessionmaker, done_id)).state == JobState.done
    finally:
        await engine.dispose()

    listed = await fixdesk_cli(data_dir, "jobs")
    assert listed.exit_code == 0, listed.stdout + listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if str(dead_id) in line]
    assert "dead" in line
    assert handlers.UNKNOWN in line
    assert "1/10" in line
    assert str(done_id) not in listed.stdout  # done jobs are not listed by default
    assert "1 job(s)" in listed.stdout
    assert str(done_id) in (await fixdesk_cli(data_dir, "jobs", "--state", "done")).stdout

    retried = await fixdesk_cli(data_dir, "jobs", "retry", str(dead_id))
    assert retried.exit_code == 0, retried.stdout + retried.stderr
    assert "queued again" in retried.stderr
    assert tuple(job_row(database, dead_id)) == ("queued", 1)

    # Queued now, so not retryable; and an id that is not a job's.
    for refused in (str(dead_id), "not-a-job-id"):
        result = await fixdesk_cli(data_dir, "jobs", "retry", refused)
        assert result.exit_code == 1, (refused, result.stdout + result.stderr)
        assert "Cannot retry" in result.stderr
    assert tuple(job_row(database, dead_id)) == ("queued", 1)
