"""Admin endpoints for the job queue (``/api/v1/admin/jobs``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from fixdesk.platform.deps import SessionDep
from fixdesk.platform.jobs.models import Job
from fixdesk.platform.jobs.queue import retry_job
from fixdesk.platform.pagination import Page, PageParams, page_params, paginate
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import CamelModel

JOBS_MANAGE = "jobs:manage"

router = APIRouter(tags=["admin"])
JobsManage = Annotated[Principal, Depends(require(JOBS_MANAGE))]


class JobRead(CamelModel):
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    state: str
    run_at: datetime
    attempts: int
    max_attempts: int
    last_error: str | None
    locked_by: str | None
    locked_until: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.get("/admin/jobs", operation_id="admin-jobs-list", response_model=Page[JobRead])
async def list_jobs(
    session: SessionDep,
    _: JobsManage,
    params: Annotated[PageParams, Depends(page_params)],
    state: Annotated[Literal["queued", "running", "failed", "done", "dead"] | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
):
    """List background jobs, newest first (filter by state and kind)."""
    statement = select(Job).order_by(Job.created_at.desc(), Job.id.desc())
    if state:
        statement = statement.where(Job.state == state)
    if kind:
        statement = statement.where(Job.kind == kind)
    rows, total = await paginate(session, statement, params)
    return Page[JobRead].build([JobRead.model_validate(r) for r in rows], total, params)


@router.post("/admin/jobs/{job_id}/retry", operation_id="admin-jobs-retry", response_model=JobRead)
async def retry(job_id: uuid.UUID, session: SessionDep, _: JobsManage):
    """Queue a dead or failed job again, to run now (409 for any other state)."""
    return JobRead.model_validate(await retry_job(session, job_id))
