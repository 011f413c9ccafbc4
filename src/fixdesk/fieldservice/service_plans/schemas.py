"""Request and response models of service plans (``/api/v1/service-plans``).

``startsOn``/``endsOn`` and the occurrence dates are days on the shop's calendar; the window is ``HH:MM``
in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``); durations are minutes. ``recurrence`` is an RFC 5545
RRULE such as ``FREQ=MONTHLY;INTERVAL=3`` (quarterly) or ``FREQ=YEARLY`` whose DTSTART is ``startsOn``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from fixdesk.fieldservice.models import WorkOrderPriority
from fixdesk.fieldservice.schemas import ClockTime
from fixdesk.fieldservice.service_plans.models import ServicePlanStatus
from fixdesk.fieldservice.work_orders.schemas import DurationMinutes
from fixdesk.platform.schemas import CamelModel, InputModel, NotNull

RECURRENCE_DESCRIPTION = (
    "An RFC 5545 RRULE (e.g. FREQ=MONTHLY;INTERVAL=3 for quarterly, FREQ=YEARLY;BYMONTH=4 for every "
    "April), DAILY or coarser; its DTSTART is startsOn"
)


def _check_window(start: object, end: object) -> None:
    if start is not None and end is not None and end <= start:  # type: ignore[operator]
        raise ValueError("timeWindowEnd must be after timeWindowStart")


class ServicePlanCreate(InputModel):
    """A repeating visit at one of the customer's locations. ``technicianId`` (optional) is assigned to
    each occurrence's work order and needs ``work_orders:assign``."""

    customer_id: uuid.UUID
    location_id: uuid.UUID = Field(description="One of the customer's service locations")
    service_type: str = Field(min_length=1, max_length=100, examples=["Septic pumping"])
    recurrence: str = Field(min_length=1, max_length=500, description=RECURRENCE_DESCRIPTION)
    starts_on: date = Field(description="The rule's DTSTART, shop calendar")
    ends_on: date | None = Field(default=None, description="No occurrence after this day")
    time_window_start: ClockTime | None = Field(default=None, description="HH:MM, shop time zone")
    time_window_end: ClockTime | None = Field(default=None, description="HH:MM, shop time zone")
    estimated_duration_minutes: DurationMinutes = 60
    technician_id: uuid.UUID | None = None
    priority: WorkOrderPriority = WorkOrderPriority.normal
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _consistent(self) -> ServicePlanCreate:
        _check_window(self.time_window_start, self.time_window_end)
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("endsOn must not be before startsOn")
        return self


class ServicePlanUpdate(InputModel):
    """Fields to change; they apply to occurrences not created yet (work orders already created are left
    as they are). The customer, the start and the status do not change here."""

    location_id: NotNull[uuid.UUID] = None
    service_type: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    recurrence: NotNull[str] = Field(
        default=None, min_length=1, max_length=500, description=RECURRENCE_DESCRIPTION
    )
    time_window_start: ClockTime | None = None
    time_window_end: ClockTime | None = None
    estimated_duration_minutes: NotNull[DurationMinutes] = None
    technician_id: uuid.UUID | None = None
    priority: NotNull[WorkOrderPriority] = None
    notes: str | None = Field(default=None, max_length=5000)


class ServicePlanEnd(InputModel):
    """End a plan: no occurrence after ``endsOn`` (today on the shop's calendar when left out)."""

    ends_on: date | None = None


class ServicePlanRead(CamelModel):
    """A service plan with its next occurrence (``null`` when paused or none is left)."""

    id: uuid.UUID
    customer_id: uuid.UUID
    location_id: uuid.UUID
    technician_id: uuid.UUID | None
    service_type: str
    priority: str
    recurrence: str
    starts_on: date
    ends_on: date | None
    time_window_start: ClockTime | None
    time_window_end: ClockTime | None
    estimated_duration_minutes: int
    notes: str | None
    status: ServicePlanStatus
    next_occurrence_date: date | None
    last_occurrence_date: date | None = Field(description="The latest occurrence already made a work order")
    paused_at: datetime | None
    created_at: datetime
    updated_at: datetime
