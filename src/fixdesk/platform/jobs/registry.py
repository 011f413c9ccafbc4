"""Job handlers by kind, periodic schedules, and what a handler receives (:class:`JobContext`)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class JobContext:
    """Everything a handler gets: the job, its transaction and the worker's shared services.

    ``session`` is the job's own transaction: what the handler writes commits together with the job's
    ``done`` mark, or not at all. ``services`` holds shared adapters (email and SMS providers, the HTTP
    client, the live-event broker) built once per worker process.
    """

    job_id: Any
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    session: AsyncSession
    settings: Any
    services: Any
    sessionmaker: Any = None
    """The worker's session factory, for a handler that commits work in transactions of its own besides
    the job's (the catalog import's batches, its progress)."""


Handler = Callable[[JobContext], Awaitable[Any]]


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (bad payload, deleted record): the job goes dead."""


def exponential_backoff(attempt: int, base_seconds: float = 2.0, cap_seconds: float = 3600.0) -> timedelta:
    """Delay before retry ``attempt`` (1-based): ``base·2^(attempt-1)`` capped, with "full jitter" (a random
    delay between half and all of it) so a burst of failures does not retry in lockstep."""
    ceiling = min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


@dataclass(frozen=True)
class JobKind:
    """A registered handler and its retry policy."""

    kind: str
    function: Handler
    max_attempts: int = 10
    backoff: Callable[[int], timedelta] = exponential_backoff
    lease_seconds: float | None = None


@dataclass(frozen=True)
class Periodic:
    """A job enqueued on a cron schedule (UTC), e.g. ``Periodic("purge", "0 3 * * *", "accounts.purge")``."""

    name: str
    cron: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)

    def latest_occurrence(self, now: datetime) -> datetime:
        """The most recent scheduled time at or before ``now``."""
        iterator = croniter(self.cron, now + timedelta(microseconds=1))
        return iterator.get_prev(datetime)


class Registry:
    """Handlers by kind and periodic schedules. Domains register theirs in their ``jobs.py``."""

    def __init__(self) -> None:
        self.kinds: dict[str, JobKind] = {}
        self.periodics: dict[str, Periodic] = {}

    def register(self, kind: JobKind) -> None:
        existing = self.kinds.get(kind.kind)
        if existing is not None and existing.function is not kind.function:
            raise ValueError(f"job kind {kind.kind!r} is registered twice")
        self.kinds[kind.kind] = kind

    def add_periodic(self, schedule: Periodic) -> None:
        if not croniter.is_valid(schedule.cron):
            raise ValueError(f"invalid cron expression {schedule.cron!r} for {schedule.name}")
        self.periodics[schedule.name] = schedule

    def get(self, kind: str) -> JobKind | None:
        return self.kinds.get(kind)


registry = Registry()


def handler(
    kind: str,
    *,
    max_attempts: int = 10,
    backoff: Callable[[int], timedelta] = exponential_backoff,
    lease_seconds: float | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated coroutine as the handler of ``kind``."""

    def decorate(function: Handler) -> Handler:
        registry.register(JobKind(kind, function, max_attempts, backoff, lease_seconds))
        return function

    return decorate


def periodic(name: str, cron: str, kind: str, payload: dict[str, Any] | None = None) -> None:
    """Run job ``kind`` on the cron schedule ``cron`` (UTC)."""
    registry.add_periodic(Periodic(name, cron, kind, payload or {}))


def schedule_backoff(delays_seconds: Sequence[float]) -> Callable[[int], timedelta]:
    """A backoff that follows a fixed schedule (with ±10 % jitter), e.g. webhook retries over a day."""

    def backoff(attempt: int) -> timedelta:
        delay = delays_seconds[min(attempt - 1, len(delays_seconds) - 1)]
        return timedelta(seconds=delay * random.uniform(0.9, 1.1))

    return backoff
