"""Fixtures of the job-system tests: the test's database and workers built like the server's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.platform.jobs import Job
from fixdesk.platform.jobs.worker import Worker
from tests.conftest import Database
from tests.platform.jobs import handlers


@pytest.fixture
def jobs_db(database: Database) -> async_sessionmaker[AsyncSession]:
    """The session factory of the test's database; the handlers' record of calls starts empty."""
    handlers.calls.clear()
    handlers.released.clear()
    return database.sessionmaker


@pytest.fixture
def make_worker(database: Database, settings: Settings) -> Callable[..., Worker]:
    """Build a :class:`Worker` the way ``fixdesk worker`` does (a read-only session factory for polling),
    polling every 50 ms, on the test's database. Unless the test is marked ``commits``, its sessions share
    the test's connection, so it runs one job at a time."""

    def build(**options: Any) -> Worker:
        values: dict[str, Any] = {
            "read_sessionmaker": database.read_sessionmaker,
            "concurrency": 4 if database.commits else 1,
            "settings": settings,
            "poll_interval": 0.05,
            # The domains' own periodic jobs (purges) would add rows the assertions do not expect;
            # test_periodic.py turns this on with a registry of its own.
            "run_periodic": False,
        }
        values.update(options)
        return Worker(database.sessionmaker, **values)

    return build


async def load_job(sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> Job:
    """The job's row as it is in the database now."""
    async with sessionmaker() as session:
        job = await session.get(Job, job_id)
        assert job is not None, f"job {job_id} does not exist"
        return job


async def count_jobs(sessionmaker: async_sessionmaker[AsyncSession], kind: str | None = None) -> int:
    async with sessionmaker() as session:
        statement = select(func.count()).select_from(Job)
        if kind is not None:
            statement = statement.where(Job.kind == kind)
        return await session.scalar(statement) or 0
