"""The day's dispatch plan (issue 11 item 6): the shop's technicians and work orders → the solver
(:mod:`fixdesk.fieldservice.dispatch.solver`, VROOM) → a stored plan that can be applied, and the
suggestions drawn from it (seed 001, ``GET /ai/dispatch/suggestions``).

* **Who is planned.** By default the active technicians who work that weekday (their ``workingHours``)
  minus their time off, and the open work orders scheduled that day plus the undated drafts; or the ones a
  dispatcher names. A technician's day starts and ends at their home base; one without home coordinates is
  skipped with that reason. A work order whose location has no coordinates is left out with
  ``no_coordinates`` before solving.
* **Travel** comes from :func:`fixdesk.integrations.routing.build_router` (straight line, or OSRM with
  ``FIXDESK_ROUTING_URL``); when the OSRM server fails, the straight-line estimate is used and the plan
  says so (``travelSource``).
* **The solver** is CPU-bound: it runs in :data:`_SOLVER_POOL`, one bounded thread per process (the
  search itself uses two threads), never on the event loop, cut off after
  ``FIXDESK_DISPATCH_TIME_LIMIT_SECONDS`` at ``FIXDESK_DISPATCH_EXPLORATION_LEVEL``.
* **Applying** writes, for every placed work order, the technician as lead (the others stay on it after
  them), the plan's date, and the time window, through the work orders' own services (their checks and
  events), in the request's one transaction; a draft becomes scheduled. **The window**: a work order that
  already has a window (start and end) keeps it — it is what the customer was promised, and the solver
  placed the visit inside it; one without gets the planned service start … departure widened to whole
  quarter hours (e.g. 09:38–10:52 → 09:30–11:00).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.fieldservice.access import visible_technicians, visible_work_orders
from fixdesk.fieldservice.dispatch import solver
from fixdesk.fieldservice.dispatch.models import (
    DispatchPlan,
    DispatchPlanStatus,
    DispatchSuggestion,
    SuggestionStatus,
)
from fixdesk.fieldservice.dispatch.planning import (
    PlanningDay,
    WorkingDay,
    job_for,
    quarter_hour_window,
    working_day,
)
from fixdesk.fieldservice.dispatch.schemas import DispatchPlanCreate, DispatchPlanRead, SuggestionRead
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderStatus
from fixdesk.fieldservice.work_orders import service as work_orders
from fixdesk.fieldservice.work_orders.schemas import WorkOrderStatusChange, WorkOrderUpdate
from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.routing import Point, StraightLineRouter, TravelMatrix, build_router
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.permissions import Principal
from fixdesk.platform.tls import default_ssl_context

PLANNABLE_STATUSES = (WorkOrderStatus.draft.value, WorkOrderStatus.scheduled.value)
"""Work orders a plan may place: not started, not closed."""

NO_COORDINATES = "no_coordinates"

_SOLVER_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-solver")
"""One solve at a time per process: each already uses :data:`solver.DEFAULT_THREADS` threads, and the
machine's cores are shared with the API. Further requests wait their turn."""


# --- loading ---------------------------------------------------------------------------------------------


async def _technicians(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID] | None
) -> list[Technician]:
    statement = (
        visible_technicians(principal)
        .where(Technician.is_active.is_(True))
        .options(
            joinedload(Technician.user), selectinload(Technician.skills), selectinload(Technician.time_off)
        )
        .order_by(Technician.created_at, Technician.id)
    )
    if ids is not None:
        statement = statement.where(Technician.id.in_(ids))
    rows = list((await session.execute(statement)).unique().scalars())
    if ids is not None:
        found = {row.id for row in rows}
        for index, technician_id in enumerate(ids):
            if technician_id not in found:
                raise ValidationFailed.for_field(
                    f"technicianIds.{index}", "no active technician with this id"
                )
    return rows


async def _work_orders(
    session: AsyncSession, principal: Principal, day: date, ids: Sequence[uuid.UUID] | None
) -> list[WorkOrder]:
    statement = (
        visible_work_orders(principal)
        .where(WorkOrder.status.in_(PLANNABLE_STATUSES))
        .options(
            joinedload(WorkOrder.customer).load_only(Customer.first_name, Customer.last_name),
            joinedload(WorkOrder.location),
            selectinload(WorkOrder.assignments),
        )
        .order_by(WorkOrder.created_at, WorkOrder.id)
    )
    if ids is not None:
        statement = statement.where(WorkOrder.id.in_(ids))
    else:
        statement = statement.where(
            or_(
                WorkOrder.scheduled_date == day,
                and_(WorkOrder.scheduled_date.is_(None), WorkOrder.status == WorkOrderStatus.draft.value),
            )
        )
    rows = list((await session.execute(statement)).unique().scalars())
    if ids is not None:
        found = {row.id for row in rows}
        for index, work_order_id in enumerate(ids):
            if work_order_id not in found:
                raise ValidationFailed.for_field(
                    f"workOrderIds.{index}", "no draft or scheduled work order with this id"
                )
    return rows


async def _travel(settings: Settings, points: list[Point]) -> TravelMatrix:
    straight = StraightLineRouter(
        road_factor=settings.travel_road_factor, average_speed_kmh=settings.travel_average_speed_kmh
    )
    if not settings.routing_url:
        return await straight.matrix(points)
    async with httpx.AsyncClient(verify=default_ssl_context()) as http:
        try:
            return await build_router(settings, http).matrix(points)
        except ProviderError:
            # A plan on estimated travel times beats no plan; the answer names its source.
            return await straight.matrix(points)


# --- planning --------------------------------------------------------------------------------------------


def _name(technician: Technician) -> str:
    return f"{technician.user.first_name} {technician.user.last_name}".strip()


def _customer_name(work_order: WorkOrder) -> str:
    return f"{work_order.customer.first_name} {work_order.customer.last_name}".strip()


def _minutes(seconds: int) -> float:
    return round(seconds / 60, 1)


def _km(metres: int) -> float:
    return round(metres / 1000, 2)


async def create_plan(
    session: AsyncSession, principal: Principal, settings: Settings, data: DispatchPlanCreate
) -> DispatchPlan:
    """Plan ``data.date`` and store the plan (``proposed``) with its suggestions; see the module docstring
    for who is planned and how. Raises :class:`ValidationFailed` (400) naming ``technicianIds.<n>`` or
    ``workOrderIds.<n>`` for an id that is not an active technician or a draft or scheduled work order."""
    day = PlanningDay(data.date, ZoneInfo(settings.shop_timezone))
    technicians = await _technicians(session, principal, data.technician_ids)
    orders = await _work_orders(session, principal, data.date, data.work_order_ids)

    skipped: list[dict[str, Any]] = []
    working: list[tuple[Technician, WorkingDay]] = []
    for technician in technicians:
        shift = working_day(technician, day)
        if isinstance(shift, str):
            reason = shift
        elif technician.home_latitude is None or technician.home_longitude is None:
            reason = "no home base coordinates"
        else:
            working.append((technician, shift))
            continue
        skipped.append(
            {"technicianId": str(technician.id), "technicianName": _name(technician), "reason": reason}
        )

    points = [Point(t.home_latitude, t.home_longitude) for t, _ in working]  # type: ignore[arg-type]
    located: list[WorkOrder] = []
    unplaced: dict[uuid.UUID, dict[str, Any]] = {}
    location_index: dict[uuid.UUID, int] = {}
    for order in orders:
        place = order.location
        if place is None or place.latitude is None or place.longitude is None:
            unplaced[order.id] = {
                "workOrderId": str(order.id),
                "workOrderNumber": order.work_order_number,
                "reason": NO_COORDINATES,
                "message": "Its service location has no latitude and longitude."
                if place is not None
                else "It has no service location.",
            }
            continue
        if place.id not in location_index:
            location_index[place.id] = len(points)
            points.append(Point(place.latitude, place.longitude))
        located.append(order)

    matrix = await _travel(settings, points)
    problem = solver.RoutingProblem(
        technicians=[
            solver.Technician(
                id=str(technician.id),
                start_location=index,
                end_location=index,
                shift=shift.shift,
                breaks=shift.breaks,
                skills=frozenset(skill.skill_key for skill in technician.skills),
            )
            for index, (technician, shift) in enumerate(working)
        ],
        jobs=[job_for(order, location_index[order.location_id], day) for order in located],  # type: ignore[index]
        travel_times=matrix.durations,
        distances=matrix.distances,
    )
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(
        _SOLVER_POOL,
        partial(
            solver.solve,
            problem,
            time_limit=settings.dispatch_time_limit_seconds,
            exploration_level=settings.dispatch_exploration_level,
        ),
    )

    by_id = {str(order.id): order for order in orders}
    for missing in result.unassigned:
        order = by_id[missing.job_id]
        unplaced[order.id] = {
            "workOrderId": missing.job_id,
            "workOrderNumber": order.work_order_number,
            "reason": missing.reason.value,
            "message": missing.message,
        }
    routes = [
        _route_json(route, technician, shift, by_id, day)
        for route, (technician, shift) in zip(result.routes, working, strict=True)
    ]
    placed = sum(len(route.stops) for route in result.routes)
    content = {
        "timeZone": settings.shop_timezone,
        "travelSource": matrix.source,
        "routes": routes,
        "unplaced": [unplaced[order.id] for order in orders if order.id in unplaced],
        "skippedTechnicians": skipped,
        "totals": {
            "placed": placed,
            "unplaced": len(unplaced),
            "travelMinutes": _minutes(result.travel_time),
            "distanceKm": _km(result.distance),
        },
    }
    plan = DispatchPlan(plan_date=data.date, result=content, created_by_id=principal.staff_user_id)
    session.add(plan)
    await session.flush()
    for suggestion in _suggestions(plan, problem, result, working, by_id, day):
        session.add(suggestion)
    await session.flush()
    return plan


def _route_json(
    route: solver.TechnicianRoute,
    technician: Technician,
    shift: WorkingDay,
    by_id: dict[str, WorkOrder],
    day: PlanningDay,
) -> dict[str, Any]:
    stops = []
    for stop in route.stops:
        order = by_id[stop.job_id]
        job = job_for(order, stop.location, day)
        window = job.time_windows[0] if job.time_windows else None
        stops.append(
            {
                "workOrderId": stop.job_id,
                "workOrderNumber": order.work_order_number,
                "customerName": _customer_name(order),
                "address": order.location.address if order.location else "",
                "arrival": day.moment(stop.arrival).isoformat(),
                "serviceStart": day.moment(stop.service_start).isoformat(),
                "departure": day.moment(stop.departure).isoformat(),
                "waitingMinutes": _minutes(stop.waiting_time),
                "travelMinutes": _minutes(stop.travel_time),
                "distanceKm": _km(stop.distance),
                "timeWindowStart": day.moment(window.start).isoformat() if window else None,
                "timeWindowEnd": day.moment(window.end).isoformat() if window else None,
            }
        )
    return {
        "technicianId": str(technician.id),
        "technicianName": _name(technician),
        "start": day.moment(route.start_time).isoformat() if route.start_time is not None else None,
        "end": day.moment(route.end_time).isoformat() if route.end_time is not None else None,
        "stops": stops,
        "breaks": [
            {"start": day.moment(rest.start).isoformat(), "end": day.moment(rest.end).isoformat()}
            for rest in route.breaks
        ],
        "totals": {
            "stops": len(route.stops),
            "travelMinutes": _minutes(route.travel_time),
            "distanceKm": _km(route.distance),
            "serviceMinutes": _minutes(route.service_time),
            "waitingMinutes": _minutes(route.waiting_time),
            "breakMinutes": _minutes(route.break_time),
        },
    }


def plan_read(plan: DispatchPlan) -> DispatchPlanRead:
    """The plan as answered: the stored result with the row's id, date, status and stamps."""
    return DispatchPlanRead.model_validate(
        {
            **plan.result,
            "id": plan.id,
            "date": plan.plan_date,
            "status": plan.status,
            "createdAt": plan.created_at,
            "createdById": plan.created_by_id,
            "appliedAt": plan.applied_at,
        }
    )


async def get_plan(session: AsyncSession, plan_id: uuid.UUID, *, lock: bool = False) -> DispatchPlan:
    """A stored plan; :class:`NotFound` (404) when there is none with this id."""
    statement = select(DispatchPlan).where(DispatchPlan.id == plan_id)
    if lock:
        statement = statement.with_for_update()
    plan = (await session.execute(statement)).scalar_one_or_none()
    if plan is None:
        raise NotFound(f"Dispatch plan {plan_id} not found.")
    return plan


# --- applying --------------------------------------------------------------------------------------------


def _stops(plan: DispatchPlan) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    return [
        (uuid.UUID(route["technicianId"]), stop) for route in plan.result["routes"] for stop in route["stops"]
    ]


async def _apply_stop(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    day: PlanningDay,
    technician_id: uuid.UUID,
    stop: dict[str, Any],
) -> WorkOrder:
    # The plan was solved against the technicians' hours, breaks and time off, so its bookings are taken
    # as they are (``override``): its visits widened to quarter hours may touch each other or a break by
    # a few minutes, which the booking check would refuse. What was overridden is recorded in the
    # events' ``overriddenConflicts``, as for any override.
    work_order_id = uuid.UUID(stop["workOrderId"])
    current = await work_orders.get_work_order(session, principal, work_order_id)
    others = [
        assignment.technician_id
        for assignment in current.assignments
        if assignment.technician_id != technician_id
    ]
    await work_orders.assign_technicians(
        session, principal, work_order_id, [technician_id, *others], settings=settings, override=True
    )
    changes: dict[str, Any] = {}
    if current.scheduled_date != day.day:
        changes["scheduled_date"] = day.day
    if current.time_window_start is None or current.time_window_end is None:
        start, end = quarter_hour_window(
            day,
            day.seconds(datetime.fromisoformat(stop["serviceStart"])),
            day.seconds(datetime.fromisoformat(stop["departure"])),
        )
        changes["time_window_start"] = _clock(start)
        changes["time_window_end"] = _clock(end)
    if changes:
        await work_orders.update_work_order(
            session, principal, work_order_id, WorkOrderUpdate(**changes, override=True), settings=settings
        )
    if current.status == WorkOrderStatus.draft.value:
        await work_orders.change_status(
            session,
            principal,
            work_order_id,
            WorkOrderStatusChange(
                status=WorkOrderStatus.scheduled, notes="Scheduled by the dispatch plan", override=True
            ),
            settings=settings,
        )
    return await work_orders.get_work_order(session, principal, work_order_id)


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


async def apply_plan(
    session: AsyncSession, principal: Principal, settings: Settings, plan_id: uuid.UUID
) -> DispatchPlan:
    """Write every placed work order of the plan (see the module docstring: lead technician, date, window,
    draft → scheduled) through the work orders' services, which publish their events, and mark the plan
    ``applied``, all in the caller's transaction. Its open suggestions are settled with it.

    Raises :class:`NotFound` (404) for an unknown plan, :class:`Conflict` (409) for a plan applied already,
    and what the work order services raise when a work order changed since (409 once it started or closed,
    404 once deleted, 400 for a technician no longer active): nothing is written then."""
    plan = await get_plan(session, plan_id, lock=True)
    if plan.status != DispatchPlanStatus.proposed.value:
        raise Conflict(
            "This dispatch plan has been applied already.", planId=str(plan.id), status=plan.status
        )
    day = PlanningDay(plan.plan_date, ZoneInfo(plan.result.get("timeZone") or settings.shop_timezone))
    for technician_id, stop in _stops(plan):
        await _apply_stop(session, principal, settings, day, technician_id, stop)
    now = utcnow()
    plan.status = DispatchPlanStatus.applied.value
    plan.applied_at = now
    plan.applied_by_id = principal.staff_user_id
    suggestions = await session.execute(
        select(DispatchSuggestion).where(
            DispatchSuggestion.plan_id == plan.id, DispatchSuggestion.status == SuggestionStatus.open.value
        )
    )
    for suggestion in suggestions.scalars():
        suggestion.status = SuggestionStatus.accepted.value
        suggestion.decided_at = now
        suggestion.decided_by_id = principal.staff_user_id
    await session.flush()
    return plan


# --- suggestions -----------------------------------------------------------------------------------------


def _suggestions(
    plan: DispatchPlan,
    problem: solver.RoutingProblem,
    result: solver.DispatchPlan,
    working: list[tuple[Technician, WorkingDay]],
    by_id: dict[str, WorkOrder],
    day: PlanningDay,
) -> list[DispatchSuggestion]:
    """One suggestion per placed work order whose lead technician is not the one the plan gives it.

    **Confidence** (0–1, two decimals) = 0.2 + 0.5 × *fit* + 0.3 × *slack*, at most 0.99, where *fit* =
    1 / (1 + detour / 30 min) — the detour is the driving the visit adds to the technician's route (from the
    previous stop to it and on to the next, minus the direct drive that it replaces), so a job on the way
    scores 1 and one adding half an hour 0.5 — and *slack* = min(1, minutes to spare / 60): the time
    between the planned start and the end of the customer's window (or, without a window, between the
    departure and the end of the working day), so a visit with an hour's margin or more scores 1.
    Skills do not enter the number: the solver only places a job with a technician who has every
    required skill. **Reasoning** states those same figures in words."""
    suggestions = []
    travel = problem.travel_times
    for number, (route, (technician, shift)) in enumerate(zip(result.routes, working, strict=True)):
        home = problem.technicians[number].start_location
        first_name = technician.user.first_name
        for index, stop in enumerate(route.stops):
            order = by_id[stop.job_id]
            lead = order.assignments[0].technician_id if order.assignments else None
            if lead == technician.id:
                continue
            previous = route.stops[index - 1].location if index else home
            following = route.stops[index + 1].location if index + 1 < len(route.stops) else home
            detour = max(
                0,
                travel[previous][stop.location]
                + travel[stop.location][following]
                - travel[previous][following],
            )
            job = job_for(order, stop.location, day)
            if job.time_windows:
                spare, margin_of = job.time_windows[0].end - stop.service_start, "the customer's window"
            else:
                spare, margin_of = shift.shift.end - stop.departure, "the working day"
            fit = 1 / (1 + detour / 1800)
            slack = min(1.0, max(0, spare) / 3600)
            confidence = round(min(0.99, 0.2 + 0.5 * fit + 0.3 * slack), 2)
            skills = sorted(order.required_skills or ())
            km = stop.distance / 1000
            description = (
                f"{first_name} is {km:.1f} km away with matching skills"
                if skills
                else f"{first_name} is {km:.1f} km away and free at {day.moment(stop.service_start):%H:%M}"
            )
            came_from = route.stops[index - 1] if index else None
            reasoning = (
                f"In the optimised plan for {day.day.isoformat()}, {first_name} drives "
                f"{round(stop.travel_time / 60)} min from "
                f"{by_id[came_from.job_id].work_order_number if came_from else 'the home base'}; the visit adds "
                f"{round(detour / 60)} min of driving to the route and starts at "
                f"{day.moment(stop.service_start):%H:%M} with {max(0, round(spare / 60))} min to spare in "
                f"{margin_of}"
                + (f"; {first_name} has every required skill ({', '.join(skills)})." if skills else ".")
            )
            customer = order.customer.last_name or order.customer.first_name
            suggestions.append(
                DispatchSuggestion(
                    plan_id=plan.id,
                    work_order_id=order.id,
                    technician_id=technician.id,
                    confidence=confidence,
                    title=f"Assign {first_name} to {customer} job"[:200],
                    description=description[:300],
                    reasoning=reasoning,
                )
            )
    return suggestions


def suggestion_read(suggestion: DispatchSuggestion) -> SuggestionRead:
    return SuggestionRead(
        id=suggestion.id,
        title=suggestion.title,
        description=suggestion.description,
        confidence=suggestion.confidence,
        work_order_id=suggestion.work_order_id,
        technician_id=suggestion.technician_id,
        reasoning=suggestion.reasoning,
        plan_id=suggestion.plan_id,
        status=suggestion.status,
    )


async def _latest_proposed_plan(session: AsyncSession, day: date) -> DispatchPlan | None:
    statement = (
        select(DispatchPlan)
        .where(DispatchPlan.plan_date == day, DispatchPlan.status == DispatchPlanStatus.proposed.value)
        .order_by(DispatchPlan.created_at.desc(), DispatchPlan.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _open_suggestions(session: AsyncSession, plan: DispatchPlan, limit: int) -> list[SuggestionRead]:
    rows = await session.execute(
        select(DispatchSuggestion)
        .where(
            DispatchSuggestion.plan_id == plan.id, DispatchSuggestion.status == SuggestionStatus.open.value
        )
        .order_by(DispatchSuggestion.confidence.desc(), DispatchSuggestion.id)
    )
    suggestions = list(rows.scalars())
    if not suggestions:
        return []
    # A work order assigned that way since the plan was made needs no suggestion any more.
    orders = await session.execute(
        select(WorkOrder)
        .where(WorkOrder.id.in_([s.work_order_id for s in suggestions]))
        .options(selectinload(WorkOrder.assignments))
    )
    leads = {
        order.id: order.assignments[0].technician_id if order.assignments else None
        for order in orders.scalars()
        if order.status in PLANNABLE_STATUSES
    }
    return [
        suggestion_read(s)
        for s in suggestions
        if s.work_order_id in leads and leads[s.work_order_id] != s.technician_id
    ][:limit]


async def list_suggestions(
    session: AsyncSession, principal: Principal, settings: Settings, day: date, limit: int
) -> list[SuggestionRead]:
    """Seed 001's suggestions for ``day``: the open ones of the latest ``proposed`` plan of that day, by
    confidence (highest first), at most ``limit``; those dismissed or accepted, and those whose work order is
    now assigned that way or no longer draft or scheduled, are left out. When the day has no proposed plan,
    one is made for the default technicians and work orders (:func:`create_plan`) in ``session``, which
    must be a writing one (the route is declared ``@writes_on_read``) and commits it with the answer. It
    once went through a session of its own, which on SQLite waited for the request's own write lock until
    the busy timeout (503). How confidence and reasoning are computed: :func:`_suggestions`."""
    plan = await _latest_proposed_plan(session, day)
    if plan is None:
        plan = await create_plan(session, principal, settings, DispatchPlanCreate(date=day))
    return await _open_suggestions(session, plan, limit)


async def _suggestion_for_decision(session: AsyncSession, suggestion_id: uuid.UUID) -> DispatchSuggestion:
    statement = select(DispatchSuggestion).where(DispatchSuggestion.id == suggestion_id).with_for_update()
    suggestion = (await session.execute(statement)).scalar_one_or_none()
    if suggestion is None:
        raise NotFound(f"Suggestion {suggestion_id} not found.")
    if suggestion.status != SuggestionStatus.open.value:
        raise Conflict(f"This suggestion was {suggestion.status} already.", status=suggestion.status)
    return suggestion


async def accept_suggestion(
    session: AsyncSession, principal: Principal, settings: Settings, suggestion_id: uuid.UUID
) -> WorkOrder:
    """Assign the suggestion's work order as its plan places it (lead technician, date, window; a draft
    becomes scheduled: as :func:`apply_plan` does for one stop), through the work orders' services, and mark
    the suggestion accepted. Raises :class:`NotFound` (404), :class:`Conflict` (409) for a suggestion
    decided already or whose plan was applied, and what the work order services raise."""
    suggestion = await _suggestion_for_decision(session, suggestion_id)
    plan = await get_plan(session, suggestion.plan_id)
    if plan.status != DispatchPlanStatus.proposed.value:
        raise Conflict("The plan of this suggestion has been applied.", planId=str(plan.id))
    day = PlanningDay(plan.plan_date, ZoneInfo(plan.result.get("timeZone") or settings.shop_timezone))
    stop = next(s for t, s in _stops(plan) if s["workOrderId"] == str(suggestion.work_order_id))
    work_order = await _apply_stop(session, principal, settings, day, suggestion.technician_id, stop)
    suggestion.status = SuggestionStatus.accepted.value
    suggestion.decided_at = utcnow()
    suggestion.decided_by_id = principal.staff_user_id
    await session.flush()
    return work_order


async def dismiss_suggestion(
    session: AsyncSession, principal: Principal, suggestion_id: uuid.UUID
) -> SuggestionRead:
    """Mark the suggestion dismissed: it is not offered again for its plan. Raises :class:`NotFound` (404)
    and :class:`Conflict` (409) for a suggestion decided already."""
    suggestion = await _suggestion_for_decision(session, suggestion_id)
    suggestion.status = SuggestionStatus.dismissed.value
    suggestion.decided_at = utcnow()
    suggestion.decided_by_id = principal.staff_user_id
    await session.flush()
    return suggestion_read(suggestion)


__all__ = [
    "NO_COORDINATES",
    "PLANNABLE_STATUSES",
    "accept_suggestion",
    "apply_plan",
    "create_plan",
    "dismiss_suggestion",
    "get_plan",
    "list_suggestions",
    "plan_read",
    "suggestion_read",
]


async def latest_plan(session: AsyncSession, day: date) -> DispatchPlan | None:
    """The day's newest plan, proposed or applied (``None`` before the day was planned): what the dispatch
    board shows."""
    statement = (
        select(DispatchPlan)
        .where(DispatchPlan.plan_date == day)
        .order_by(DispatchPlan.created_at.desc(), DispatchPlan.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def open_suggestions(
    session: AsyncSession, plan: DispatchPlan, limit: int = 50
) -> list[SuggestionRead]:
    """The plan's suggestions still open (see :func:`list_suggestions`), highest confidence first."""
    return await _open_suggestions(session, plan, limit)
