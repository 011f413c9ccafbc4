"""Job handlers the in-process tests enqueue, registered in the global registry like a domain's ``jobs.py``.

Each handler appends what it saw to :data:`calls` (job id, attempt, payload, when), so tests can tell
whether, how often and when it ran. Retries are immediate (:func:`no_delay`) so ``Worker.drain()`` finishes them at once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.customers import service as customers
from fixdesk.customers.schemas import CustomerCreate
from fixdesk.db import utcnow
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError

RECORD = "test.record"
FLAKY = "test.fails_twice"
ALWAYS_FAILS = "test.always_fails"
PERMANENT = "test.permanent"
FIRST_ATTEMPT_PERMANENT = "test.first_attempt_permanent"
SLOW_RETRY = "test.slow_retry"
WRITES_THEN_RAISES = "test.writes_then_raises"
WRITES = "test.writes"
HELD = "test.held"
UNKNOWN = "test.nobody_handles_this"

calls: list[dict[str, Any]] = []

released = asyncio.Event()
"""Lets the :data:`HELD` jobs finish (set by the test; cleared with :data:`calls` before each test)."""


def no_delay(attempt: int) -> timedelta:
    """Retry at once, so a test can drain every attempt without waiting."""
    return timedelta(0)


def _record(context: JobContext, phase: str = "run") -> None:
    calls.append(
        {
            "job_id": context.job_id,
            "attempt": context.attempt,
            "payload": context.payload,
            "phase": phase,
            "at": utcnow(),
        }
    )


def calls_of(job_id: Any, phase: str = "run") -> list[dict[str, Any]]:
    """What the handlers recorded for one job."""
    return [call for call in calls if call["job_id"] == job_id and call["phase"] == phase]


@handler(RECORD)
async def record(context: JobContext) -> None:
    _record(context)


@handler(FLAKY, max_attempts=5, backoff=no_delay)
async def fails_twice(context: JobContext) -> None:
    _record(context)
    if context.attempt < 3:
        raise RuntimeError(f"attempt {context.attempt} failed")


@handler(ALWAYS_FAILS, max_attempts=3, backoff=no_delay)
async def always_fails(context: JobContext) -> None:
    _record(context)
    raise ValueError(f"the printer is on fire (attempt {context.attempt})")


@handler(PERMANENT, max_attempts=5, backoff=no_delay)
async def permanent(context: JobContext) -> None:
    _record(context)
    raise PermanentJobError("the payload names a repair that does not exist")


@handler(FIRST_ATTEMPT_PERMANENT, max_attempts=3, backoff=no_delay)
async def first_attempt_permanent(context: JobContext) -> None:
    """Dead after its first attempt; succeeds when a person retries it."""
    _record(context)
    if context.attempt == 1:
        raise PermanentJobError("the provider rejected the message")


@handler(SLOW_RETRY, max_attempts=5)
async def slow_retry(context: JobContext) -> None:
    """Fails with the default backoff (exponential, with jitter)."""
    _record(context)
    raise ConnectionError("provider unreachable")


async def create_customer(session: AsyncSession, email: str) -> None:
    """Write a customer (and, through the service, its ``customer.created`` event) in ``session``."""
    await customers.create_customer(
        session, CustomerCreate(first_name="Job", last_name="Written", email=email), default_region="US"
    )


@handler(WRITES)
async def writes(context: JobContext) -> None:
    _record(context)
    await create_customer(context.session, context.payload["email"])


@handler(WRITES_THEN_RAISES, max_attempts=2, backoff=no_delay)
async def writes_then_raises(context: JobContext) -> None:
    _record(context)
    await create_customer(context.session, context.payload["email"])
    raise RuntimeError("failed after writing")


@handler(HELD)
async def held(context: JobContext) -> None:
    """Runs until the test sets :data:`released`, so the test acts while the job is in hand."""
    _record(context, "start")
    await asyncio.wait_for(released.wait(), timeout=60)
    _record(context, "end")
