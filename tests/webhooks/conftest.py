"""Fixtures for the webhook tests: settings that allow 127.0.0.1 endpoints, a receiver, and a worker that
runs the queued jobs (the ``app`` fixture runs none)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.db import transaction, utcnow
from fixdesk.platform.jobs import Job, JobState
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import Services, build_services
from tests.conftest import make_settings
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, tmp_path, webhooks_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = build_services(settings)
    yield built
    await built.aclose()


class Jobs:
    """Runs queued jobs the way a worker process does."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, services: Services
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.services = services

    async def drain(self, settings: Settings | None = None) -> int:
        """Run every due job (with other ``settings`` if given); returns how many finished."""
        worker = Worker(
            self.sessionmaker,
            settings=settings or self.settings,
            services=self.services,
            # One job at a time: the test's sessions share one connection (tests/conftest.py).
            concurrency=1,
            poll_interval=0.05,
            run_periodic=False,
        )
        return await worker.drain()

    async def make_retries_due(self) -> None:
        """Move every job waiting for a retry to now, instead of waiting out the backoff."""
        async with transaction(self.sessionmaker) as session:
            await session.execute(
                update(Job).where(Job.state == JobState.failed.value).values(run_at=utcnow())
            )


@pytest.fixture
def jobs(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, services: Services) -> Jobs:
    return Jobs(sessionmaker, settings, services)
