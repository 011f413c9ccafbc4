"""The week calendar of the staff app (issue 11, item 10): ``/app/calendar``, one technician's week (or
everyone's, coloured by technician) drawn by FullCalendar, where a dispatcher drags a job to another day or
hour to reschedule it.

* ``GET /app/calendar?technician=&week=`` draws the page: the technician picker, the calendar and, under it,
  the same week as a plain table (what a screen reader, a printout or a browser without scripts gets). The
  week is Monday to Sunday on the shop's calendar (``FIXDESK_SHOP_TIMEZONE``), the one holding ``week``
  (``YYYY-MM-DD``, today by default). A technician sees only their own week; anyone else starts on
  everyone's.
* ``GET /app/calendar/events?technician=&start=&end=`` answers the calendar's event feed: the schedule's
  events (:func:`fixdesk.fieldservice.schedule.service.list_events`) as FullCalendar event objects.
  Times are the shop's wall-clock times without an offset, and the calendar runs in its ``UTC`` zone, so a
  job at 09:00 in the shop shows at 09:00 whatever the browser's own time zone is.
* ``POST /app/calendar/work-orders/{id}/move`` (a drop on the calendar) takes ``date`` (``YYYY-MM-DD``),
  ``start`` (``HH:MM``, the new start of the drawn interval; empty when dropped on the all-day row) and
  ``override``. The window keeps its shape and length: a window with a start moves to start at
  ``start`` (its end, if any, keeps the same distance); a window with only an end ends ``estimated
  duration`` after ``start``; a job without a window gets ``start`` as its window's start; a drop on the
  all-day row keeps the day only and clears the window. It is the API's ``PATCH /work-orders/{id}``
  (:func:`fixdesk.fieldservice.work_orders.service.update_work_order`, ``work_orders:update``): the same
  booking check, so a drop over another job, outside working hours, into a break or on time off answers
  the API's 409 problem with its ``conflicts``, nothing changed, and the page offers to book anyway
  (``override=1``) or to put the job back. Answers are JSON: the moved work order's new day and window, or
  the problem details.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from fixdesk.fieldservice.access import is_field_technician
from fixdesk.fieldservice.permissions import WORK_ORDERS_READ, WORK_ORDERS_UPDATE
from fixdesk.fieldservice.schedule import service as schedule
from fixdesk.fieldservice.schedule.schemas import ScheduleEvent
from fixdesk.fieldservice.technicians import service as technicians
from fixdesk.fieldservice.work_orders import service as work_orders
from fixdesk.fieldservice.work_orders.schemas import WorkOrderUpdate
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import FixdeskError, NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.web.fieldservice import STATUS_COLOURS, STATUS_LABELS
from fixdesk.web.forms import PROBLEMS_SHOWN_ON_PAGE, Problem, form_values, parse, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
WorkOrdersUpdate = Annotated[Principal, Depends(require(WORK_ORDERS_UPDATE))]

# The statuses a job may be dragged in: a started, completed or cancelled job keeps its day (the service
# refuses moving a closed one anyway; a started one is where it is).
MOVABLE_STATUSES = frozenset({"draft", "scheduled"})
# The most technicians the picker lists; a shop with more types a search on the technicians' page.
PICKER_SIZE = 100


def _week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValidationFailed.for_field(field, "must be a date (YYYY-MM-DD)") from None


def _technician_id(value: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed.for_field("technician", "must be a technician's id") from None


def _business_hours(technician: Any) -> list[dict[str, Any]]:
    """A technician's working hours as FullCalendar's ``businessHours`` (weekday 0 is Sunday there, 7 in
    ISO), breaks cut out, so the hours they do not work are shaded."""
    hours: list[dict[str, Any]] = []
    for day in technician.working_hours or []:
        weekday = int(day["weekday"]) % 7
        start = day["start"]
        for period in sorted(day.get("breaks") or [], key=lambda period: period["start"]):
            hours.append({"daysOfWeek": [weekday], "startTime": start, "endTime": period["start"]})
            start = period["end"]
        hours.append({"daysOfWeek": [weekday], "startTime": start, "endTime": day["end"]})
    return hours


def _relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a ``#RRGGBB`` colour."""
    channels = []
    for offset in (1, 3, 5):
        value = int(colour[offset : offset + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (``#RRGGBB``), so an event's title
    stays readable on any status or technician colour (WCAG 2 contrast ratio)."""
    luminance = _relative_luminance(background)
    on_white = (1.05) / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def _feed_event(event: ScheduleEvent, *, can_move: bool) -> dict[str, Any]:
    """A schedule event as a FullCalendar event object (shop wall-clock times, no offset)."""
    title = event.title if event.technician_name is None else f"{event.title} · {event.technician_name}"
    return {
        "id": event.id,
        "title": title,
        "start": event.start.replace(tzinfo=None).isoformat(timespec="minutes"),
        "end": event.end.replace(tzinfo=None).isoformat(timespec="minutes"),
        "allDay": event.all_day,
        "color": event.color,
        "contrastColor": readable_text_colour(event.color),
        "url": f"/app/work-orders/{event.work_order_id}",
        "editable": can_move and event.status in MOVABLE_STATUSES,
        "extendedProps": {
            "workOrderId": str(event.work_order_id),
            "number": event.work_order_number,
            "status": event.status,
            "address": event.address,
            "moveUrl": f"/app/calendar/work-orders/{event.work_order_id}/move",
        },
    }


@router.get("/calendar")
async def calendar_page(
    request: Request,
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
    technician: Annotated[str, Query(max_length=36)] = "",
    week: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """One technician's week (``technician``), or every technician's coloured by technician, Monday to
    Sunday around ``week`` (shop calendar, today by default), with the technician's working hours shaded
    and the week's jobs listed under the calendar. A technician sees only their own week; an unknown or
    hidden technician, or a malformed day, is the API's 400 problem on the page."""
    problem: Problem | None = None
    today = settings.shop_today()
    chosen: uuid.UUID | None = None
    try:
        shown = _parse_day(week, "week") if week else today
        chosen = _technician_id(technician)
    except ValidationFailed as error:
        problem, shown = problem_of(error), today
    people, _ = await technicians.list_technicians(
        session,
        principal,
        technicians.TechnicianFilters(active_only=True),
        PageParams(page=1, page_size=PICKER_SIZE),
    )
    if is_field_technician(principal) and people:
        chosen = people[0].id
    selected = next((person for person in people if person.id == chosen), None)
    if chosen is not None and selected is None and problem is None:
        problem = problem_of(ValidationFailed.for_field("technician", "no such active technician"))
        chosen = None
    monday, sunday = _week_of(shown)
    events = await schedule.list_events(
        session,
        principal,
        monday,
        sunday,
        settings=settings,
        technician_id=chosen,
        color_by=schedule.ColorBy.status if chosen else schedule.ColorBy.technician,
    )
    context = {
        "technicians": people,
        "selected": selected,
        "week_start": monday,
        "week_end": sunday,
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "today": today,
        "events": events,
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "can_move": principal.has(WORK_ORDERS_UPDATE),
        "business_hours": _business_hours(selected) if selected else [],
        "problem": problem,
    }
    return render(
        request, "fieldservice/calendar.html", context, status_code=problem.status if problem else 200
    )


@router.get("/calendar/events")
async def calendar_events(
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
    start: Annotated[str, Query(max_length=40)],
    end: Annotated[str, Query(max_length=40)],
    technician: Annotated[str, Query(max_length=36)] = "",
) -> JSONResponse:
    """The calendar's event feed for ``[start, end)`` (FullCalendar sends ISO date-times; their days are
    read on the shop's calendar): a JSON list of event objects, a technician's own jobs only. A malformed
    day or a range over the schedule's limit is a 400 problem."""
    try:
        first = _parse_day(start, "start")
        last = _parse_day(end, "end") - timedelta(days=1)
        chosen = _technician_id(technician)
        events = await schedule.list_events(
            session,
            principal,
            first,
            max(first, last),
            settings=settings,
            technician_id=chosen,
            color_by=schedule.ColorBy.status if chosen else schedule.ColorBy.technician,
        )
    except ValidationFailed as error:
        return _problem_response(problem_of(error))
    can_move = principal.has(WORK_ORDERS_UPDATE)
    return JSONResponse([_feed_event(event, can_move=can_move) for event in events])


def _problem_response(problem: Problem, extra: dict[str, Any] | None = None) -> JSONResponse:
    """The problem as the API answers it (``application/problem+json``), with the error's extension
    members (a booking conflict's ``conflicts``)."""
    body: dict[str, Any] = {
        **(extra or {}),
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    if problem.errors:
        body["errors"] = list(problem.errors)
    return JSONResponse(body, status_code=problem.status, media_type="application/problem+json")


def _clock(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_field("start", "must be a time of day (HH:MM)") from None


def _moved_window(work_order: Any, start: time | None) -> tuple[time | None, time | None]:
    """The window after a drop at ``start`` (``None``: the all-day row), keeping its shape and length."""
    if start is None:
        return None, None
    old_start, old_end = work_order.time_window_start, work_order.time_window_end
    begins = datetime.combine(date.min, start)
    if old_start is not None:
        if old_end is None:
            return start, None
        length = datetime.combine(date.min, old_end) - datetime.combine(date.min, old_start)
        ends = begins + length
        if ends.date() != begins.date():
            raise ValidationFailed.for_field("start", "the window would end after midnight")
        return start, ends.time()
    if old_end is not None:
        ends = begins + timedelta(minutes=work_order.estimated_duration_minutes)
        if ends.date() != begins.date():
            raise ValidationFailed.for_field("start", "the window would end after midnight")
        return None, ends.time()
    return start, None


@router.post("/calendar/work-orders/{work_order_id}/move")
async def move_work_order(
    request: Request,
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
) -> JSONResponse:
    """Reschedule a work order dropped on the calendar (see the module's text for the window rule):
    ``{"id", "number", "scheduledDate", "timeWindowStart", "timeWindowEnd", "overriddenConflicts"}`` or
    the API's problem details (400, 404, 409 with ``conflicts``), nothing changed."""
    values = await form_values(request)
    try:
        day = _parse_day(values.get("date", ""), "date")
        start = _clock(values["start"]) if values.get("start") else None
        work_order = await work_orders.get_work_order(session, principal, work_order_id)
        window_start, window_end = _moved_window(work_order, start)
        change = parse(
            WorkOrderUpdate,
            {
                "scheduledDate": day.isoformat(),
                "timeWindowStart": window_start.isoformat(timespec="minutes") if window_start else None,
                "timeWindowEnd": window_end.isoformat(timespec="minutes") if window_end else None,
                "override": values.get("override") in {"1", "true", "on"},
            },
        )
        moved = await work_orders.update_work_order(
            session, principal, work_order_id, change, settings=settings
        )
    except (*PROBLEMS_SHOWN_ON_PAGE, NotFound, ValidationError) as error:
        await session.rollback()
        extra = error.extra if isinstance(error, FixdeskError) else None
        return _problem_response(problem_of(error), jsonable_encoder(extra))
    return JSONResponse(
        {
            "id": str(moved.id),
            "number": moved.work_order_number,
            "scheduledDate": moved.scheduled_date.isoformat() if moved.scheduled_date else None,
            "timeWindowStart": moved.time_window_start.isoformat(timespec="minutes")
            if moved.time_window_start
            else None,
            "timeWindowEnd": moved.time_window_end.isoformat(timespec="minutes")
            if moved.time_window_end
            else None,
        }
    )


pages = WebPages(
    name="schedule",
    staff=router,
    navigation=(
        NavItem(N_("Calendar"), "/app/calendar", "calendar-week", permission=WORK_ORDERS_READ, order=28),
    ),
)

__all__ = ["pages"]
