"""``GET /api/v1/schedule`` (seed 001): the work orders of a range of days as calendar events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from fixdesk.fieldservice.permissions import TECHNICIANS_READ, WORK_ORDERS_READ
from fixdesk.fieldservice.schedule import calendar, service
from fixdesk.fieldservice.schedule.schemas import CalendarTokenRead, Schedule
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.permissions import Principal, public, require

router = APIRouter(tags=["schedule"])

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
TechniciansRead = Annotated[Principal, Depends(require(TECHNICIANS_READ))]


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


@router.post(
    "/technicians/{technician_id}/calendar-token",
    operation_id="technicians-calendar-token-create",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarTokenRead,
)
async def issue_calendar_token(
    technician_id: uuid.UUID, session: SessionDep, principal: TechniciansRead, settings: SettingsDep
):
    """Issue the technician's private calendar feed URL, shown once; replaces the earlier one."""
    token = await calendar.issue_token(session, principal, technician_id)
    url = f"{settings.resolved_public_base_url}{calendar.feed_path(technician_id)}?token={token}"
    return CalendarTokenRead(technician_id=technician_id, token=token, url=url)


@router.delete(
    "/technicians/{technician_id}/calendar-token",
    operation_id="technicians-calendar-token-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def revoke_calendar_token(
    technician_id: uuid.UUID, session: SessionDep, principal: TechniciansRead
) -> None:
    """Revoke the technician's calendar feed URL (the feed answers 404 until a new one is issued)."""
    await calendar.revoke_token(session, principal, technician_id)


@router.get(
    "/technicians/{technician_id}/calendar.ics",
    operation_id="technicians-calendar-feed",
    dependencies=[Depends(public)],
    response_class=Response,
    responses={
        200: {
            "description": "The technician's work orders as an RFC 5545 iCalendar document",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        404: {"description": "No such technician, or the token is wrong or revoked"},
    },
)
async def calendar_feed(
    technician_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(min_length=1, max_length=200, description="The feed's secret token")],
) -> Response:
    """A technician's work orders as an iCalendar feed (public: the token in the URL is the credential)."""
    body = await calendar.build_feed(session, technician_id, token, settings=settings)
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="schedule.ics"',
        },
    )
