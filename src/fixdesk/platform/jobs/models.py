"""The jobs table and the record of periodic occurrences already enqueued."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, utcnow


class JobState(StrEnum):
    queued = "queued"  # waiting for run_at
    running = "running"  # claimed by a worker until locked_until
    failed = "failed"  # the last attempt failed; retried at run_at
    done = "done"
    dead = "dead"  # out of attempts (or not retryable); kept with its last error for a person to look at


RUNNABLE_STATES = (JobState.queued.value, JobState.failed.value)


class Job(IdMixin, Base):
    """One unit of background work: run the handler of ``kind`` with ``payload``."""

    __tablename__ = "jobs"

    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default=JobState.queued.value)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column()
    # Deduplication: a second enqueue with the same key is dropped (e.g. one delivery per event and hook).
    unique_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_jobs_state_run_at", "state", "run_at"),
        Index("ix_jobs_state_locked_until", "state", "locked_until"),
        Index("ix_jobs_kind_state", "kind", "state"),
    )


class PeriodicRun(Base):
    """One occurrence of a periodic job that some worker has enqueued (the primary key makes it once)."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    occurrence: Mapped[datetime] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
