"""Queue operations on the jobs table: enqueue, claim, finish, fail, retry."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from fixdesk.db import new_id, utcnow
from fixdesk.platform.errors import Conflict, NotFound
from fixdesk.platform.jobs.models import RUNNABLE_STATES, Job, JobState, PeriodicRun
from fixdesk.platform.jobs.registry import registry

DEFAULT_MAX_ATTEMPTS = 10
MAX_ERROR_LENGTH = 4000

# Workers in this process wait on these; a commit that enqueued jobs sets them so work starts at once
# instead of at the next poll.
_local_wakeups: set[asyncio.Event] = set()


@event.listens_for(Session, "after_commit")
def _wake_local_workers(session: Session) -> None:
    if session.info.pop("fixdesk_jobs_enqueued", False):
        for waiter in list(_local_wakeups):
            waiter.set()


@event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:
    session.info.pop("fixdesk_jobs_enqueued", None)


def insert_ignoring_conflicts(session: AsyncSession, model: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's dialect (SQLite or PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return builder(model).on_conflict_do_nothing()


def _default_max_attempts(kind: str) -> int:
    kind_info = registry.get(kind)
    return kind_info.max_attempts if kind_info else DEFAULT_MAX_ATTEMPTS


def _job_row(
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime,
    max_attempts: int,
    unique_key: str | None,
) -> dict[str, Any]:
    """The values of a new queued job row."""
    return {
        "id": new_id(),
        "kind": kind,
        "payload": payload,
        "state": JobState.queued.value,
        "run_at": run_at,
        "attempts": 0,
        "max_attempts": max_attempts,
        "unique_key": unique_key,
        "created_at": now,
    }


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    delay: timedelta | None = None,
    max_attempts: int | None = None,
    unique_key: str | None = None,
) -> uuid.UUID | None:
    """Queue job ``kind`` with a JSON ``payload`` inside the caller's transaction.

    The job exists only if the transaction commits. ``run_at``/``delay`` postpone it. With a
    ``unique_key`` a second enqueue of the same key is ignored and returns ``None`` (how follow-up work
    stays single when an event is dispatched twice). ``max_attempts`` defaults to the handler's.
    Returns the job id.
    """
    now = utcnow()
    values = _job_row(
        kind,
        payload or {},
        now=now,
        run_at=run_at or (now + delay if delay else now),
        max_attempts=max_attempts or _default_max_attempts(kind),
        unique_key=unique_key,
    )
    if unique_key is None:
        await session.execute(Job.__table__.insert().values(**values))
        inserted = True
    else:
        result = await session.execute(insert_ignoring_conflicts(session, Job).values(**values))
        inserted = result.rowcount == 1
    if not inserted:
        return None
    session.sync_session.info["fixdesk_jobs_enqueued"] = True
    return values["id"]


ENQUEUE_CHUNK_ROWS = 1_000


async def enqueue_many(
    session: AsyncSession, kind: str, payloads: list[dict[str, Any]], *, unique_keys: list[str] | None = None
) -> int:
    """Queue one job ``kind`` per payload inside the caller's transaction, with chunked multi-row inserts
    (bulk work such as a catalog import's events); the same rules as :func:`enqueue`. With
    ``unique_keys`` (one per payload) a key already queued is skipped. Returns how many were queued."""
    if unique_keys is not None and len(unique_keys) != len(payloads):
        raise ValueError("give one unique key per payload")
    now = utcnow()
    max_attempts = _default_max_attempts(kind)
    rows = [
        _job_row(
            kind,
            payload,
            now=now,
            run_at=now,
            max_attempts=max_attempts,
            unique_key=unique_keys[index] if unique_keys is not None else None,
        )
        for index, payload in enumerate(payloads)
    ]
    table = Job.__table__
    # Core on the session's connection, executemany: SQLAlchemy batches the rows into multi-row INSERTs
    # (insertmanyvalues, which RETURNING needs) without the ORM's per-row bulk handling.
    connection = await session.connection()
    queued = 0
    for start in range(0, len(rows), ENQUEUE_CHUNK_ROWS):
        chunk = rows[start : start + ENQUEUE_CHUNK_ROWS]
        if unique_keys is None:
            await connection.execute(table.insert(), chunk)
            queued += len(chunk)
        else:
            statement = insert_ignoring_conflicts(session, table).returning(table.c.id)
            queued += len((await connection.execute(statement, chunk)).all())
    if queued:
        session.sync_session.info["fixdesk_jobs_enqueued"] = True
    return queued


@dataclass(frozen=True)
class ClaimedJob:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


async def claim(session: AsyncSession, worker_id: str, limit: int, lease: timedelta) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs for ``worker_id`` and commit the claim.

    Due means runnable with ``run_at`` reached, or ``running`` with an expired lease (its worker died).
    On PostgreSQL the candidates are locked ``FOR UPDATE SKIP LOCKED`` in a materialised CTE, so
    concurrent workers never take the same job and never wait on each other; SQLite's write
    transaction gives the same exclusion.
    """
    now = utcnow()
    due = or_(
        and_(Job.state.in_(RUNNABLE_STATES), Job.run_at <= now),
        and_(Job.state == JobState.running.value, Job.locked_until < now),
    )
    candidates = (
        select(Job.id)
        .where(due)
        .order_by(Job.run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    statement = (
        update(Job)
        .where(Job.id.in_(select(candidates.c.id)))
        .values(
            state=JobState.running.value,
            locked_by=worker_id,
            locked_until=now + lease,
            attempts=Job.attempts + 1,
            started_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    await session.commit()
    return [ClaimedJob(row.id, row.kind, row.payload or {}, row.attempts, row.max_attempts) for row in rows]


async def has_due_jobs(session: AsyncSession) -> bool:
    """A cheap read-only check, so an idle worker does not take SQLite's write lock every poll."""
    now = utcnow()
    due = or_(
        and_(Job.state.in_(RUNNABLE_STATES), Job.run_at <= now),
        and_(Job.state == JobState.running.value, Job.locked_until < now),
    )
    return (await session.execute(select(Job.id).where(due).limit(1))).first() is not None


async def mark_done(session: AsyncSession, job_id: uuid.UUID, worker_id: str) -> bool:
    """Mark the job done if this worker still holds it; False means the lease was lost (do not commit)."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.state == JobState.running.value)
        .values(
            state=JobState.done.value,
            finished_at=utcnow(),
            locked_by=None,
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_failed(
    session: AsyncSession, job: ClaimedJob, worker_id: str, error: str, *, retry_at: datetime | None
) -> str:
    """Record a failed attempt: ``failed`` with a retry time, or ``dead`` when ``retry_at`` is None."""
    state = JobState.failed.value if retry_at is not None else JobState.dead.value
    values: dict[str, Any] = {
        "state": state,
        "last_error": error[:MAX_ERROR_LENGTH],
        "locked_by": None,
        "locked_until": None,
    }
    if retry_at is not None:
        values["run_at"] = retry_at
    else:
        values["finished_at"] = utcnow()
    await session.execute(
        update(Job)
        .where(Job.id == job.id, Job.locked_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return state


async def extend_lease(session: AsyncSession, job_id: uuid.UUID, worker_id: str, lease: timedelta) -> bool:
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.state == JobState.running.value)
        .values(locked_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def retry_job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """Put a dead (or failed) job back in the queue to run now, with a fresh attempt budget.

    Raises :class:`NotFound` for an unknown id and :class:`Conflict` for a job that is queued, running or
    done.
    """
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound(f"Job {job_id} not found.")
    if job.state not in (JobState.dead.value, JobState.failed.value):
        raise Conflict(f"Only dead or failed jobs can be retried; this one is {job.state}.", state=job.state)
    job.state = JobState.queued.value
    job.run_at = utcnow()
    job.max_attempts = job.attempts + max(
        1, (registry.get(job.kind).max_attempts if registry.get(job.kind) else 1)
    )
    job.finished_at = None
    await session.flush()
    session.sync_session.info["fixdesk_jobs_enqueued"] = True
    return job


async def record_periodic(session: AsyncSession, name: str, occurrence: datetime) -> bool:
    """Claim one occurrence of a periodic job; True for exactly one caller across all workers."""
    result = await session.execute(
        insert_ignoring_conflicts(session, PeriodicRun).values(
            name=name, occurrence=occurrence, created_at=utcnow()
        )
    )
    return result.rowcount == 1
