"""Request and response models of work orders (seed 001: ``customer_id``, ``service_type``, ``priority``,
``scheduled_date``, ``time_window_start``, ``assigned_technician``, ``estimated_duration_hours``,
``notes``; snake_case accepted, camelCase answered).

``scheduledDate`` is a day on the shop's calendar and the time window ``HH:MM`` on that day in the shop's
time zone (``FIXDESK_SHOP_TIMEZONE``). Durations are minutes (``estimatedDurationMinutes``); seed 001's
``estimated_duration_hours`` is accepted instead and answered too. Money is in the shop's currency; the
server computes every total with the rule of :mod:`fixdesk.repairs.items.totals`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, Field, computed_field, model_validator

from fixdesk.customers.schemas import CustomerBrief
from fixdesk.fieldservice.locations.schemas import LocationRead
from fixdesk.fieldservice.models import WorkOrderPriority, WorkOrderStatus
from fixdesk.fieldservice.schemas import ClockTime
from fixdesk.fieldservice.technicians.schemas import Skills
from fixdesk.fieldservice.work_order_attachments.schemas import WorkOrderAttachmentRead
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut, NotNull

Hours = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]
DurationMinutes = Annotated[int, Field(ge=1, le=24 * 60, description="Time on site, minutes")]
DurationHours = Annotated[Decimal, Field(gt=0, le=24, max_digits=4, decimal_places=2)]


class ChecklistEntry(InputModel):
    """One step the technician ticks off on site."""

    label: str = Field(min_length=1, max_length=200)
    done: bool = False


class WorkOrderItemCreate(InputModel):
    """A part or other charge: ``quantity × unitPrice − discount`` (``discount`` an amount, at most
    ``quantity × unitPrice``)."""

    description: str = Field(min_length=1, max_length=300)
    part_number: str | None = Field(default=None, max_length=100)
    quantity: int = Field(default=1, ge=1, le=1000)
    unit_price: MoneyIn = Field(description="Per unit, shop currency")
    discount: MoneyIn = Decimal("0.00")


class WorkOrderLabourCreate(InputModel):
    """A labour line: ``hours × rate`` (decimal hours, rate per hour in the shop currency)."""

    description: str = Field(min_length=1, max_length=300)
    hours: Hours
    rate: MoneyIn = Field(description="Per hour, shop currency")


def _duration_from_hours(data: Any) -> Any:
    """Seed 001's ``estimated_duration_hours`` becomes minutes (rounded to the minute)."""
    if not isinstance(data, dict):
        return data
    for name in ("estimatedDurationHours", "estimated_duration_hours"):
        if name in data:
            data = dict(data)
            hours = data.pop(name)
            if "estimatedDurationMinutes" in data or "estimated_duration_minutes" in data:
                raise ValueError("give estimatedDurationMinutes or estimatedDurationHours, not both")
            try:
                minutes = Decimal(str(hours)) * 60
            except ArithmeticError:
                raise ValueError("estimatedDurationHours must be a number of hours") from None
            data["estimatedDurationMinutes"] = int(minutes.to_integral_value()) if minutes > 0 else 0
    for name in ("assignedTechnician", "assigned_technician"):
        if name in data:
            data = dict(data)
            lead = data.pop(name)
            if "technicianIds" not in data and "technician_ids" not in data:
                data["technicianIds"] = [] if lead is None else [lead]
    return data


class _WindowRules:
    @staticmethod
    def check(start: ClockTime | None, end: ClockTime | None) -> None:
        if start is not None and end is not None and end <= start:
            raise ValueError("timeWindowEnd must be after timeWindowStart")


class WorkOrderCreate(InputModel):
    """A job for a customer. With a ``scheduledDate`` it starts ``scheduled``, else ``draft``.
    ``technicianIds`` (or seed 001's ``assignedTechnician``) needs ``work_orders:assign``; the first is
    the lead."""

    customer_id: uuid.UUID
    location_id: uuid.UUID | None = Field(default=None, description="One of the customer's locations")
    equipment_id: uuid.UUID | None = Field(default=None, description="Equipment at that location")
    service_type: str = Field(min_length=1, max_length=100, examples=["Pumping"])
    required_skills: Skills = Field(default_factory=list)
    priority: WorkOrderPriority = WorkOrderPriority.normal
    scheduled_date: date | None = None
    time_window_start: ClockTime | None = Field(default=None, description="HH:MM, shop time zone")
    time_window_end: ClockTime | None = Field(default=None, description="HH:MM, shop time zone")
    estimated_duration_minutes: DurationMinutes = 60
    technician_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)
    notes: str | None = Field(default=None, max_length=5000)
    checklist: list[ChecklistEntry] = Field(default_factory=list, max_length=100)
    items: list[WorkOrderItemCreate] = Field(default_factory=list, max_length=100)
    labour: list[WorkOrderLabourCreate] = Field(default_factory=list, max_length=100)
    override: bool = Field(
        default=False,
        description="Book the technicians even over booking conflicts (another job, outside working hours, "
        "a break, time off); the conflicts are recorded in the event's overriddenConflicts",
    )

    _seed_fields = model_validator(mode="before")(_duration_from_hours)

    @model_validator(mode="after")
    def _consistent(self) -> WorkOrderCreate:
        _WindowRules.check(self.time_window_start, self.time_window_end)
        if len(set(self.technician_ids)) != len(self.technician_ids):
            raise ValueError("technicianIds lists a technician twice")
        return self


class WorkOrderUpdate(InputModel):
    """Fields to change (not status, technicians or customer: they have their own endpoints).
    ``checklist``, ``items`` and ``labour`` replace the stored lists."""

    location_id: uuid.UUID | None = None
    equipment_id: uuid.UUID | None = None
    service_type: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    required_skills: NotNull[Skills] = None
    priority: NotNull[WorkOrderPriority] = None
    scheduled_date: date | None = None
    time_window_start: ClockTime | None = None
    time_window_end: ClockTime | None = None
    estimated_duration_minutes: NotNull[DurationMinutes] = None
    notes: str | None = Field(default=None, max_length=5000)
    checklist: NotNull[list[ChecklistEntry]] = Field(default=None, max_length=100)
    items: NotNull[list[WorkOrderItemCreate]] = Field(default=None, max_length=100)
    labour: NotNull[list[WorkOrderLabourCreate]] = Field(default=None, max_length=100)
    override: bool = Field(
        default=False,
        description="Book the technicians even over booking conflicts (another job, outside working hours, "
        "a break, time off); the conflicts are recorded in the event's overriddenConflicts",
    )

    _seed_fields = model_validator(mode="before")(_duration_from_hours)


class WorkOrderStatusChange(InputModel):
    """Move a work order along ``draft → scheduled → in_progress → completed`` (or ``cancelled``)."""

    status: WorkOrderStatus
    notes: str | None = Field(default=None, max_length=2000)
    override: bool = Field(
        default=False,
        description="Moving to scheduled: book the technicians even over booking conflicts; the conflicts "
        "are recorded in the event's overriddenConflicts",
    )


class WorkOrderAssign(InputModel):
    """The technicians of a work order, lead first; an empty list unassigns everyone."""

    technician_ids: list[uuid.UUID] = Field(
        max_length=10, validation_alias=AliasChoices("technicianIds", "technician_ids")
    )
    override: bool = Field(
        default=False,
        description="Book the technicians even over booking conflicts (another job, outside working hours, "
        "a break, time off); the conflicts are recorded in the event's overriddenConflicts",
    )


class TechnicianBrief(CamelModel):
    """An assigned technician: the profile id and the staff user's name."""

    id: uuid.UUID
    first_name: str
    last_name: str


class ChecklistRead(CamelModel):
    label: str
    done: bool


class WorkOrderItemRead(CamelModel):
    id: uuid.UUID
    position: int
    description: str
    part_number: str | None
    quantity: int
    unit_price: MoneyOut
    discount: MoneyOut
    line_total: MoneyOut


class WorkOrderLabourRead(CamelModel):
    id: uuid.UUID
    position: int
    description: str
    hours: DecimalNumber
    rate: MoneyOut
    line_total: MoneyOut


class WorkOrderStatusHistoryRead(CamelModel):
    id: uuid.UUID
    from_status: str | None
    to_status: str
    changed_by_id: uuid.UUID | None
    notes: str | None
    created_at: datetime


class WorkOrderRead(CamelModel):
    """A work order as lists show it."""

    id: uuid.UUID
    work_order_number: str = Field(description="WO-YYYY-NNNNNN, the year on the shop's calendar")
    customer_id: uuid.UUID
    customer: CustomerBrief
    location_id: uuid.UUID | None
    location: LocationRead | None
    equipment_id: uuid.UUID | None
    status: str
    priority: str
    service_type: str
    required_skills: list[str]
    scheduled_date: date | None = Field(description="Shop calendar")
    time_window_start: ClockTime | None = Field(description="Shop time zone")
    time_window_end: ClockTime | None = Field(description="Shop time zone")
    estimated_duration_minutes: int
    technician_ids: list[uuid.UUID] = Field(description="Assigned technicians, lead first")
    assigned_technician: uuid.UUID | None = Field(description="The lead technician (seed 001)")
    technicians: list[TechnicianBrief]
    notes: str | None
    checklist: list[ChecklistRead]
    subtotal: MoneyOut = Field(description="Parts and labour after discounts, before tax")
    tax_rate: DecimalNumber = Field(description="Percent")
    tax_amount: MoneyOut
    total: MoneyOut
    currency: str
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    time_on_site_minutes: int | None = Field(
        default=None, description="Recorded when the visit was completed"
    )
    sign_off_name: str | None = Field(default=None, description="Who signed the visit off for the customer")
    completion_notes: str | None = None

    @computed_field(description="estimatedDurationMinutes in hours (seed 001)")  # type: ignore[prop-decorator]
    @property
    def estimated_duration_hours(self) -> float:
        return round(self.estimated_duration_minutes / 60, 2)


class WorkOrderDetail(WorkOrderRead):
    """A work order with its lines, status history (oldest first), its photos (oldest first; the bytes
    at each ``downloadUrl``) and the statuses it may move to."""

    items: list[WorkOrderItemRead]
    labour: list[WorkOrderLabourRead]
    status_history: list[WorkOrderStatusHistoryRead]
    photos: list[WorkOrderAttachmentRead] = Field(default_factory=list)
    allowed_transitions: list[str]
