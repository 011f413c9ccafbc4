"""Response models of the schedule (seed 001's ``GET /schedule``: ``events`` with ``id``, ``title``,
``start``, ``end``, ``technician_id``, ``work_order_id``, ``color``; answered in camelCase) and of the
calendar feed's token."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from fixdesk.platform.schemas import CamelModel


class ScheduleEvent(CamelModel):
    """One work order on one technician's calendar (an unassigned job: one event, ``technicianId`` null).

    ``start`` and ``end`` are aware date-times in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``): the
    interval the job occupies by the booking rule of :mod:`fixdesk.fieldservice.work_orders.booking`. A
    job without a window is ``allDay``: ``start`` is midnight of its day and ``end`` the next midnight."""

    id: str = Field(description="<workOrderId>:<technicianId>, or the work order id when unassigned")
    title: str = Field(
        description="Service type - customer's name (seed 001)", examples=["Pumping - John Doe"]
    )
    start: datetime
    end: datetime
    all_day: bool
    color: str = Field(description="#RRGGBB, by status or by technician (colorBy)", examples=["#3B82F6"])
    work_order_id: uuid.UUID
    work_order_number: str
    technician_id: uuid.UUID | None
    technician_name: str | None
    status: str
    priority: str
    service_type: str
    scheduled_date: date = Field(description="Shop calendar")
    customer_id: uuid.UUID
    customer: str = Field(description="The customer's full name")
    address: str | None = Field(description="The service location on one line")


class Schedule(CamelModel):
    """Seed 001's answer: the events of the range, by start then technician."""

    events: list[ScheduleEvent]


class CalendarTokenRead(CamelModel):
    """A technician's new calendar feed token, shown this once (only its hash is stored)."""

    technician_id: uuid.UUID
    token: str
    url: str = Field(description="The feed's URL with the token, to subscribe from a calendar app")
