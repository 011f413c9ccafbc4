"""Domain events through the transactional outbox.

A service calls :func:`publish` in the same transaction as the change it describes: the event row and
an ``events.dispatch`` job commit with the change or not at all. The dispatch job hands the event to every
subscriber registered with :func:`subscriber` (webhooks, notifications, live WebSocket events, …); each
subscriber enqueues its own follow-up jobs with unique keys, so dispatching twice after a crash never
doubles the follow-up work.

The catalogue (:data:`CATALOG`) names every event with its payload schema; it is served at
``GET /api/v1/webhooks/events`` and listed in the README.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import JSON, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, new_id, utcnow
from fixdesk.platform.jobs import JobContext, enqueue, handler
from fixdesk.platform.jobs.queue import enqueue_many
from fixdesk.platform.jobs.registry import PermanentJobError

log = structlog.get_logger("fixdesk.events")

DISPATCH_JOB = "events.dispatch"


class DomainEvent(Base):
    """One published event (the outbox). Its id is the event id receivers deduplicate on."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who may see it live: the customer it concerns (portal clients) and the permission staff need.
    customer_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_id: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (Index("ix_events_name_occurred_at", "name", "occurred_at"),)


@dataclass(frozen=True)
class EventType:
    """A catalogue entry: the event name, what it means, its payload model and who may see it live."""

    name: str
    description: str
    payload: type[BaseModel]
    permission: str | None = None

    def schema(self) -> dict[str, Any]:
        return self.payload.model_json_schema(by_alias=True)


CATALOG: dict[str, EventType] = {}


def event_type(
    name: str, description: str, payload: type[BaseModel], *, permission: str | None = None
) -> EventType:
    """Add an event to the catalogue (called once per event at import time of its domain)."""
    entry = EventType(name, description, payload, permission)
    existing = CATALOG.get(name)
    if existing is not None and existing.payload is not payload:
        raise ValueError(f"event {name!r} is declared twice")
    CATALOG[name] = entry
    return entry


@dataclass(frozen=True)
class PublishedEvent:
    """An event as subscribers receive it."""

    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    occurred_at: datetime
    customer_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None

    def envelope(self) -> dict[str, Any]:
        """The JSON shape sent to webhooks and WebSocket clients: ``{id, event, timestamp, data}``."""
        return {
            "id": str(self.id),
            "event": self.name,
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": self.payload,
        }


async def publish(
    session: AsyncSession,
    name: str,
    payload: BaseModel,
    *,
    customer_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Record event ``name`` in the caller's transaction and queue its dispatch; returns the event id.

    Raises ``KeyError`` for an event missing from the catalogue (a programming error, caught by tests).
    """
    entry = CATALOG[name]
    if not isinstance(payload, entry.payload):
        raise TypeError(f"event {name!r} takes a {entry.payload.__name__} payload")
    event_id = new_id()
    body = payload.model_dump(mode="json", by_alias=True)
    session.add(
        DomainEvent(
            id=event_id,
            name=name,
            payload=body,
            occurred_at=utcnow(),
            customer_id=customer_id,
            actor_id=actor_id,
        )
    )
    await session.flush()
    await enqueue(session, DISPATCH_JOB, {"eventId": str(event_id)}, unique_key=f"dispatch:{event_id}")
    return event_id


PUBLISH_CHUNK_ROWS = 1_000


async def publish_many(
    session: AsyncSession, name: str, payloads: list[BaseModel], *, actor_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """:func:`publish` for many events of one kind at once (bulk changes such as a catalog import): the
    event rows and their dispatch jobs are written with chunked multi-row inserts in the caller's
    transaction. Returns the event ids, in order."""
    entry = CATALOG[name]
    if any(not isinstance(payload, entry.payload) for payload in payloads):
        raise TypeError(f"event {name!r} takes a {entry.payload.__name__} payload")
    occurred_at = utcnow()
    rows = [
        {
            "id": new_id(),
            "name": name,
            "payload": payload.model_dump(mode="json", by_alias=True),
            "occurred_at": occurred_at,
            "customer_id": None,
            "actor_id": actor_id,
        }
        for payload in payloads
    ]
    table = DomainEvent.__table__
    connection = await session.connection()  # Core executemany, without the ORM's per-row bulk handling
    for start in range(0, len(rows), PUBLISH_CHUNK_ROWS):
        await connection.execute(table.insert(), rows[start : start + PUBLISH_CHUNK_ROWS])
    ids = [row["id"] for row in rows]
    await enqueue_many(
        session,
        DISPATCH_JOB,
        [{"eventId": str(event_id)} for event_id in ids],
        unique_keys=[f"dispatch:{event_id}" for event_id in ids],
    )
    return ids


Subscriber = Callable[[JobContext, PublishedEvent], Awaitable[None]]


@dataclass
class _Subscription:
    name: str
    pattern: str
    function: Subscriber


@dataclass
class SubscriberRegistry:
    subscriptions: list[_Subscription] = field(default_factory=list)

    def add(self, name: str, pattern: str, function: Subscriber) -> None:
        if any(s.name == name for s in self.subscriptions):
            return
        self.subscriptions.append(_Subscription(name, pattern, function))

    def matching(self, event_name: str) -> list[_Subscription]:
        return [s for s in self.subscriptions if fnmatch.fnmatchcase(event_name, s.pattern)]


subscribers = SubscriberRegistry()


def subscriber(name: str, pattern: str = "*") -> Callable[[Subscriber], Subscriber]:
    """Register the decorated coroutine to receive dispatched events whose name matches ``pattern``
    (``*`` for all, ``repair.*``). Subscribers must be idempotent: enqueue follow-up work with unique keys."""

    def decorate(function: Subscriber) -> Subscriber:
        subscribers.add(name, pattern, function)
        return function

    return decorate


async def load_event(session: AsyncSession, event_id: uuid.UUID) -> PublishedEvent | None:
    row = await session.get(DomainEvent, event_id)
    if row is None:
        return None
    return PublishedEvent(row.id, row.name, row.payload, row.occurred_at, row.customer_id, row.actor_id)


@handler(DISPATCH_JOB, max_attempts=20)
async def dispatch(context: JobContext) -> None:
    """Hand one event to every matching subscriber, in the job's transaction."""
    event = await load_event(context.session, uuid.UUID(context.payload["eventId"]))
    if event is None:
        raise PermanentJobError("event not found")
    for subscription in subscribers.matching(event.name):
        await subscription.function(context, event)
