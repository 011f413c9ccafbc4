"""Requests and answers of the day's dispatch plan (issue 11 item 6) and of seed 001's
``GET /ai/dispatch/suggestions`` (camelCase out; snake_case accepted in)."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, Field

from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.schemas import CamelModel, InputModel


class DispatchPlanCreate(InputModel):
    """What to plan: ``date`` (the shop's calendar) and, optionally, the technicians and work orders to
    plan with (by default: the active technicians working that day, and the open work orders scheduled
    that day plus the undated drafts)."""

    date: CalendarDay = Field(description="The day to plan, YYYY-MM-DD on the shop's calendar")
    technician_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=200,
        description="Plan with these technicians only (each must be active)",
        validation_alias=AliasChoices("technicianIds", "technician_ids"),
    )
    work_order_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=1000,
        description="Plan these work orders only (each must be draft or scheduled)",
        validation_alias=AliasChoices("workOrderIds", "work_order_ids"),
    )


class PlannedStop(CamelModel):
    """One visit: times are aware date-times in the shop's time zone; ``travelMinutes`` and
    ``distanceKm`` are the drive from the previous stop (or the home base)."""

    work_order_id: uuid.UUID
    work_order_number: str
    customer_name: str
    address: str
    arrival: datetime = Field(description="When the technician gets there")
    service_start: datetime = Field(description="When the work starts (arrival plus any wait for the window)")
    departure: datetime
    waiting_minutes: float
    travel_minutes: float
    distance_km: float
    time_window_start: datetime | None = Field(description="The work order's window, when it has one")
    time_window_end: datetime | None


class PlannedBreak(CamelModel):
    start: datetime
    end: datetime


class RouteTotals(CamelModel):
    """A technician's day, the drive home included: minutes and kilometres."""

    stops: int
    travel_minutes: float
    distance_km: float
    service_minutes: float
    waiting_minutes: float
    break_minutes: float


class TechnicianRoute(CamelModel):
    technician_id: uuid.UUID
    technician_name: str
    start: datetime | None = Field(description="Leaves the home base (null: no stop)")
    end: datetime | None = Field(description="Back at the home base")
    stops: list[PlannedStop]
    breaks: list[PlannedBreak]
    totals: RouteTotals


class UnplacedWorkOrder(CamelModel):
    """A work order the plan leaves out. ``reason``: ``no_coordinates`` (its location has no latitude and
    longitude, checked before solving) or the solver's ``missing_skills``, ``over_capacity``,
    ``window_unreachable``, ``no_room``."""

    work_order_id: uuid.UUID
    work_order_number: str
    reason: str
    message: str


class SkippedTechnician(CamelModel):
    """A technician asked for or active who cannot be planned that day: ``day off``, ``time off`` or
    ``no home base coordinates``."""

    technician_id: uuid.UUID
    technician_name: str
    reason: str


class PlanTotals(CamelModel):
    placed: int
    unplaced: int
    travel_minutes: float
    distance_km: float


class DispatchPlanRead(CamelModel):
    """A day's plan: per technician the ordered stops, the unplaced work orders with their reason, the
    totals. ``travelSource`` says where the travel times came from (``straight_line`` or ``osrm``)."""

    id: uuid.UUID
    date: dt.date
    status: Literal["proposed", "applied"]
    time_zone: str
    travel_source: str
    created_at: datetime
    created_by_id: uuid.UUID | None
    applied_at: datetime | None
    routes: list[TechnicianRoute]
    unplaced: list[UnplacedWorkOrder]
    skipped_technicians: list[SkippedTechnician]
    totals: PlanTotals


class SuggestionAction(CamelModel):
    id: Literal["accept", "dismiss"]
    label: str
    type: Literal["primary", "secondary"]


class SuggestionRead(CamelModel):
    """Seed 001's suggestion: ``type`` is ``assign``; ``confidence`` 0–1."""

    id: uuid.UUID
    type: Literal["assign"] = "assign"
    title: str
    description: str
    confidence: float
    work_order_id: uuid.UUID
    technician_id: uuid.UUID
    reasoning: str
    plan_id: uuid.UUID
    status: Literal["open", "accepted", "dismissed"]
    actions: list[SuggestionAction] = Field(
        default_factory=lambda: [
            SuggestionAction(id="accept", label="Accept", type="primary"),
            SuggestionAction(id="dismiss", label="Dismiss", type="secondary"),
        ]
    )


class SuggestionList(CamelModel):
    suggestions: list[SuggestionRead]
