"""Fixtures of the identity tests: a job worker that sends the app's emails into the test's outbox, and
helpers that read codes and invitation tokens out of those emails and rows out of the database."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.audit.models import AuditEvent
from fixdesk.audit.service import Action
from fixdesk.config import Settings
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import Services, build_services
from tests.conftest import Database, make_settings

CODE_PATTERN = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
INVITATION_TOKEN_PATTERN = re.compile(r"token=(inv_[A-Za-z0-9_\-]+)")


@dataclass
class Mailroom:
    """A job worker with the app's settings and real (file) email provider, and what it sent."""

    settings: Settings
    services: Services
    worker: Worker

    async def drain(self) -> int:
        """Run every due job (the emails among them); returns how many ran."""
        return await self.worker.drain()

    def emails(self, to: str | None = None) -> list[EmailMessage]:
        """The ``.eml`` files written so far, oldest first, optionally only those to ``to``."""
        outbox = self.settings.outbox_dir
        paths = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]
        return [m for m in messages if to is None or m["To"] == to]  # type: ignore[misc]

    async def code_for(self, address: str) -> str:
        """Send what is queued and return the code in the newest email to ``address``."""
        await self.drain()
        messages = self.emails(address)
        assert messages, f"no email was sent to {address}"
        found = CODE_PATTERN.findall(body_of(messages[-1]))
        assert len(found) == 1, body_of(messages[-1])
        return found[0]

    async def invitation_token_for(self, address: str) -> str:
        """Send what is queued and return the invitation token in the newest email to ``address``."""
        await self.drain()
        messages = self.emails(address)
        assert messages, f"no email was sent to {address}"
        match = INVITATION_TOKEN_PATTERN.search(body_of(messages[-1]))
        assert match is not None, body_of(messages[-1])
        return match.group(1)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


# These tests log in and try codes many times from one address; the rate limits have their own tests.
GENEROUS_AUTH_LIMIT = {"rate_limit_auth": "1000/minute"}


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    """The app's settings, with an auth rate limit these tests do not run into."""
    return make_settings(database_url, tmp_path, **GENEROUS_AUTH_LIMIT)


def make_mailroom(settings: Settings, database: Database) -> Mailroom:
    """A worker on the test's database with ``settings``' secret and outbox (close its services)."""
    services = build_services(settings)
    worker = Worker(
        database.sessionmaker,
        read_sessionmaker=database.read_sessionmaker,
        settings=settings,
        services=services,
        concurrency=1,
        run_periodic=False,
    )
    return Mailroom(settings, services, worker)


@pytest.fixture
async def mailroom(app: Any, settings: Settings, database: Database) -> AsyncIterator[Mailroom]:
    """A worker for the ``app`` fixture's database and settings (same secret, same outbox)."""
    room = make_mailroom(settings, database)
    yield room
    await room.services.aclose()


async def audit_entries(
    sessionmaker: async_sessionmaker[AsyncSession], action: Action | None = None, **filters: Any
) -> list[AuditEvent]:
    """Audit entries as committed, oldest first, optionally of one action and with column values."""
    statement = select(AuditEvent).order_by(AuditEvent.created_at, AuditEvent.id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action.value)
    for name, value in filters.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    async with sessionmaker() as session:
        return list((await session.execute(statement)).scalars())


def bearer_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Any, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    return body
