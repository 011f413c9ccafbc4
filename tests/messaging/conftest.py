"""Fixtures of the messaging tests: a job worker with real providers writing into the test's data
directory (or into the SMTP sink and the fake Twilio), and helpers reading what was sent and stored."""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.db import transaction, utcnow
from fixdesk.messaging.models import Notification
from fixdesk.messaging.service import SEND_JOB
from fixdesk.platform.jobs import Job
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import Services, build_services
from tests.conftest import Database, make_settings
from tests.support.fake_providers import fake_twilio
from tests.support.smtp_sink import smtp_sink

__all__ = ["fake_twilio", "smtp_sink"]

TWILIO_AUTH_TOKEN = "twilio-auth-token-for-tests-0123456789"
PUBLIC_BASE_URL = "https://shop.example.com"


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings: a known Twilio auth token and public URL, so tests can sign status callbacks."""
    return make_settings(
        database_url, tmp_path, twilio_auth_token=TWILIO_AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )


@dataclass
class Courier:
    """A job worker with its own settings and providers, and what those providers wrote."""

    settings: Settings
    services: Services
    worker: Worker

    async def drain(self) -> int:
        """Run every due job (event dispatch, sends, follow-ups); returns how many ran."""
        return await self.worker.drain()

    def emails(self) -> list[EmailMessage]:
        """The ``.eml`` files the file provider wrote, oldest first, parsed."""
        outbox = self.settings.outbox_dir
        paths = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]  # type: ignore[misc]

    def texts(self) -> list[dict[str, Any]]:
        """The SMS/WhatsApp JSON files the file provider wrote."""
        outbox = self.settings.outbox_dir / "sms"
        paths = sorted(outbox.glob("*.json")) if outbox.exists() else []
        return [json.loads(p.read_text()) for p in paths]


CourierFactory = Callable[..., Awaitable[Courier]]


@pytest.fixture
async def courier_factory(
    database: Database, database_url: str, tmp_path: Path
) -> AsyncIterator[CourierFactory]:
    """``make(email=None, sms=None, **settings_overrides)``: a :class:`Courier` whose services are built
    from the settings (file providers by default), with ``email``/``sms`` replacing a provider."""
    made: list[Services] = []

    async def make(*, email: Any = None, sms: Any = None, **overrides: Any) -> Courier:
        values = {"twilio_auth_token": TWILIO_AUTH_TOKEN, "public_base_url": PUBLIC_BASE_URL, **overrides}
        settings = make_settings(database_url, tmp_path, **values)
        services = build_services(settings)
        made.append(services)
        if email is not None:
            services.email = email
        if sms is not None:
            services.sms = sms
        worker = Worker(
            database.sessionmaker,
            read_sessionmaker=database.read_sessionmaker,
            settings=settings,
            services=services,
            # One job at a time: the tests count sends against the hourly limits in a known order.
            concurrency=1,
            run_periodic=False,
        )
        return Courier(settings, services, worker)

    yield make
    for services in made:
        await services.aclose()


@pytest.fixture
async def courier(courier_factory: CourierFactory) -> Courier:
    """A courier with the default file providers writing into the test's data directory."""
    return await courier_factory()


async def stored_notifications(
    sessionmaker: async_sessionmaker[AsyncSession], **filters: Any
) -> list[Notification]:
    """Notifications as committed, oldest first, optionally filtered by column values."""
    statement = select(Notification).order_by(Notification.created_at, Notification.id)
    for name, value in filters.items():
        statement = statement.where(getattr(Notification, name) == value)
    async with sessionmaker() as session:
        return list((await session.execute(statement)).scalars())


async def send_jobs(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Job]:
    """The ``messaging.send`` jobs, oldest first."""
    async with sessionmaker() as session:
        statement = select(Job).where(Job.kind == SEND_JOB).order_by(Job.created_at, Job.id)
        return list((await session.execute(statement)).scalars())


async def make_failed_jobs_due(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Bring the retry time of failed jobs forward to now (there is no API for skipping a backoff)."""
    async with transaction(sessionmaker) as session:
        await session.execute(update(Job).where(Job.state == "failed").values(run_at=utcnow()))


def notification_id_of(message: EmailMessage) -> uuid.UUID:
    """The notification id inside an email's ``Message-ID: <notification-{id}@fixdesk>``."""
    value = str(message["Message-ID"]).strip("<>")
    return uuid.UUID(value.removeprefix("notification-").removesuffix("@fixdesk"))
