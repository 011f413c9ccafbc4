"""``GET /api/v1/schedule`` (seed 001): the work orders of a range of days as calendar events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fixdesk.fieldservice.permissions import WORK_ORDERS_READ
from fixdesk.fieldservice.schedule import service
from fixdesk.fieldservice.schedule.schemas import Schedule
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["schedule"])

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]


@router.get("/schedule", operation_id="schedule-list", response_model=Schedule)
async def list_schedule(
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
    start: Annotated[CalendarDay | None, Query(description="First day (YYYY-MM-DD, shop calendar)")] = None,
    end: Annotated[CalendarDay | None, Query(description="Last day, inclusive (at most 92 days)")] = None,
    start_date: Annotated[CalendarDay | None, Query(include_in_schema=False)] = None,
    end_date: Annotated[CalendarDay | None, Query(include_in_schema=False)] = None,
    technician_id: Annotated[uuid.UUID | None, Query(alias="technicianId")] = None,
    technician_id_snake: Annotated[
        uuid.UUID | None, Query(alias="technician_id", include_in_schema=False)
    ] = None,
    color_by: Annotated[
        service.ColorBy, Query(alias="colorBy", description="Colour events by status or by technician")
    ] = service.ColorBy.status,
):
    """The work orders scheduled in a range of days as calendar events (a technician: their own)."""
    first, last = start or start_date, end or end_date
    if first is None:
        raise ValidationFailed.for_field("start", "the first day of the range is required")
    events = await service.list_events(
        session,
        principal,
        first,
        last or first,
        settings=settings,
        technician_id=technician_id or technician_id_snake,
        color_by=color_by,
    )
    return Schedule(events=events)
