"""Fixtures of the attachment tests: a repair on the bench with its people, an upload helper, what the
storage holds, and a job worker that runs the queued jobs the way ``fixdesk worker`` does."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.platform.jobs.worker import Worker
from fixdesk.repairs.attachments.events import REPAIR_ATTACHMENT_ADDED
from fixdesk.repairs.models import RepairAttachment
from fixdesk.services import Services, build_services
from tests.conftest import Database
from tests.factories import Actor, count_rows, events_named, make_customer, make_repair, make_user
from tests.support.s3 import s3_server

__all__ = ["s3_server"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(settings: Settings) -> dict[str, bytes]:
    """Every file under ``<data dir>/files`` (the local storage), by key, temporary files included."""
    root = settings.data_dir / "files"
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


async def attachment_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[RepairAttachment]:
    """The attachment rows as committed, oldest first."""
    async with sessionmaker() as session:
        statement = select(RepairAttachment).order_by(RepairAttachment.created_at, RepairAttachment.id)
        return list((await session.execute(statement)).scalars())


async def assert_nothing_stored(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """A refused upload left no trace: no row, no file, no ``repair.attachment_added`` event."""
    assert await count_rows(sessionmaker, RepairAttachment) == 0
    assert stored_files(settings) == {}
    assert await events_named(sessionmaker, REPAIR_ATTACHMENT_ADDED) == []


async def upload(
    client: httpx.AsyncClient,
    actor: Actor,
    repair_id: str,
    content: bytes,
    *,
    file_name: str = "photo.png",
    client_type: str = "application/octet-stream",
    **fields: Any,
) -> httpx.Response:
    """POST one file with form fields (``kind`` defaults to ``before``) as ``actor``."""
    data = {
        "kind": "before",
        **{key: str(value).lower() if isinstance(value, bool) else value for key, value in fields.items()},
    }
    return await client.post(
        f"/api/v1/repairs/{repair_id}/attachments",
        files={"file": (file_name, content, client_type)},
        data=data,
        headers=actor.headers,
    )


@dataclass
class Bench:
    """A repair assigned to ``technician``, its customer, and staff of each role."""

    admin: Actor
    technician: Actor
    other_technician: Actor
    agent: Actor
    customer: Actor
    repair: dict[str, Any]

    @property
    def repair_id(self) -> str:
        return self.repair["id"]


@pytest.fixture
async def bench(app, client, sessionmaker) -> Bench:
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    other_technician = await make_user(app, sessionmaker, "technician")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id, technicianId=str(technician.id))
    return Bench(admin, technician, other_technician, agent, customer, repair)


class Jobs:
    """Runs the due jobs with services built from the app's settings (so the same storage)."""

    def __init__(self, database: Database, settings: Settings, services: Services) -> None:
        self.worker = Worker(
            database.sessionmaker,
            read_sessionmaker=database.read_sessionmaker,
            settings=settings,
            services=services,
            concurrency=1,
            run_periodic=False,
        )

    async def drain(self) -> int:
        return await self.worker.drain()


@pytest.fixture
async def jobs(app, database) -> AsyncIterator[Jobs]:
    services = build_services(app.state.settings)
    yield Jobs(database, app.state.settings, services)
    await services.aclose()
