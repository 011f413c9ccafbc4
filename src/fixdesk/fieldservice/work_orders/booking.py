"""Booking rules (issue 11, item 4): when a booking puts a technician over another job of theirs, outside
their working hours, into a break or on their time off.

What a job occupies on its ``scheduledDate`` (shop time zone, ``FIXDESK_SHOP_TIMEZONE``), the same
interval the schedule draws (:func:`booked_interval`):

* a window with both ends: ``[timeWindowStart, timeWindowEnd)``;
* only a start: ``[timeWindowStart, timeWindowStart + estimatedDurationMinutes)``;
* only an end: ``[timeWindowEnd − estimatedDurationMinutes, timeWindowEnd)``;
* no window: **the technician's whole working day** on that weekday (the whole calendar day when they do
  not work that weekday), so it overlaps every other job of theirs that day. Breaks are not checked for
  such a job: the technician fits it around them.

The conflicts, each naming the technician (:class:`BookingConflict`):

* ``double_booked``: the interval overlaps another ``scheduled`` or ``in_progress`` job of the technician
  that day (named by its number); drafts, completed and cancelled jobs hold no time;
* ``outside_working_hours``: the technician does not work that weekday, or the interval starts before or
  ends after their hours (``workingHours`` of :mod:`fixdesk.fieldservice.technicians.schemas`);
* ``during_break``: the interval overlaps one of that weekday's breaks;
* ``time_off``: the interval overlaps a time-off period (named by its start and end, UTC).

Intervals are half-open, so a job ending at 11:00 and one starting at 11:00 do not overlap.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.fieldservice.models import (
    Technician,
    TechnicianTimeOff,
    WorkOrder,
    WorkOrderStatus,
    WorkOrderTechnician,
)

# The statuses of a job that holds its technicians' time.
BOOKED_STATUSES = (WorkOrderStatus.scheduled.value, WorkOrderStatus.in_progress.value)

DOUBLE_BOOKED = "double_booked"
OUTSIDE_WORKING_HOURS = "outside_working_hours"
DURING_BREAK = "during_break"
TIME_OFF = "time_off"


@dataclass(frozen=True)
class Booking:
    """What a work order asks of its technicians: a day on the shop's calendar, the window (shop time
    zone, either end optional) and the time on site in minutes."""

    scheduled_date: date
    time_window_start: time | None
    time_window_end: time | None
    estimated_duration_minutes: int

    @classmethod
    def of(cls, work_order: WorkOrder) -> Booking | None:
        if work_order.scheduled_date is None:
            return None
        return cls(
            work_order.scheduled_date,
            work_order.time_window_start,
            work_order.time_window_end,
            work_order.estimated_duration_minutes,
        )

    @property
    def has_window(self) -> bool:
        return self.time_window_start is not None or self.time_window_end is not None


@dataclass(frozen=True)
class BookingConflict:
    """One reason a booking cannot stand: ``kind`` (module docstring), the technician, and the other
    work order (``double_booked``) or the time-off period (``time_off``, UTC)."""

    kind: str
    technician_id: uuid.UUID
    technician_name: str
    message: str
    work_order_id: uuid.UUID | None = None
    work_order_number: str | None = None
    time_off_starts_at: datetime | None = None
    time_off_ends_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The conflict as a problem's ``conflicts`` member (camelCase; times ISO 8601 UTC)."""
        body: dict[str, Any] = {
            "kind": self.kind,
            "technicianId": str(self.technician_id),
            "technicianName": self.technician_name,
            "message": self.message,
        }
        if self.work_order_id is not None:
            body["workOrderId"] = str(self.work_order_id)
            body["workOrderNumber"] = self.work_order_number
        if self.time_off_starts_at is not None and self.time_off_ends_at is not None:
            body["timeOffStartsAt"] = _utc_text(self.time_off_starts_at)
            body["timeOffEndsAt"] = _utc_text(self.time_off_ends_at)
        return body


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def working_day(technician: Technician, day: date) -> dict[str, Any] | None:
    """The technician's working-hours entry for ``day``'s ISO weekday, or ``None`` (a day off)."""
    weekday = day.isoweekday()
    for entry in technician.working_hours or []:
        if entry.get("weekday") == weekday:
            return entry
    return None


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def booked_interval(booking: Booking, day_hours: dict[str, Any] | None) -> tuple[datetime, datetime]:
    """The naive local (shop time zone) ``[start, end)`` the booking occupies: the rule of the module
    docstring; ``day_hours`` is the technician's working-hours entry for the weekday (``None``: day off)."""
    day = booking.scheduled_date
    duration = timedelta(minutes=booking.estimated_duration_minutes)
    start, end = booking.time_window_start, booking.time_window_end
    if start is not None and end is not None:
        return datetime.combine(day, start), datetime.combine(day, end)
    if start is not None:
        return datetime.combine(day, start), datetime.combine(day, start) + duration
    if end is not None:
        return datetime.combine(day, end) - duration, datetime.combine(day, end)
    if day_hours is not None:
        return datetime.combine(day, _clock(day_hours["start"])), datetime.combine(
            day, _clock(day_hours["end"])
        )
    return datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


async def find_booking_conflicts(
    session: AsyncSession,
    booking: Booking,
    technician_ids: Sequence[uuid.UUID],
    *,
    zone: str,
    work_order_id: uuid.UUID | None = None,
) -> list[BookingConflict]:
    """Every conflict of ``booking`` for each of ``technician_ids`` (in that order; kinds in the order of
    the module docstring), ignoring work order ``work_order_id`` itself. ``zone`` is the shop's IANA time
    zone. Three queries whatever the number of technicians; reads only, raises nothing."""
    if not technician_ids:
        return []
    shop_zone = ZoneInfo(zone)
    day = booking.scheduled_date
    technicians = {
        row.id: row
        for row in (
            await session.execute(
                select(Technician)
                .options(joinedload(Technician.user))
                .where(Technician.id.in_(technician_ids))
            )
        ).scalars()
    }
    day_start_utc = datetime.combine(day, time(), shop_zone).astimezone(UTC)
    day_end_utc = datetime.combine(day + timedelta(days=1), time(), shop_zone).astimezone(UTC)
    time_off_rows = (
        await session.execute(
            select(TechnicianTimeOff)
            .where(
                TechnicianTimeOff.technician_id.in_(technician_ids),
                TechnicianTimeOff.starts_at < day_end_utc,
                TechnicianTimeOff.ends_at > day_start_utc,
            )
            .order_by(TechnicianTimeOff.starts_at, TechnicianTimeOff.id)
        )
    ).scalars()
    time_off: dict[uuid.UUID, list[TechnicianTimeOff]] = {}
    for period in time_off_rows:
        time_off.setdefault(period.technician_id, []).append(period)
    others_statement = (
        select(WorkOrderTechnician.technician_id, WorkOrder)
        .join(WorkOrder, WorkOrder.id == WorkOrderTechnician.work_order_id)
        .where(
            WorkOrderTechnician.technician_id.in_(technician_ids),
            WorkOrder.scheduled_date == day,
            WorkOrder.status.in_(BOOKED_STATUSES),
        )
        .order_by(WorkOrder.time_window_start, WorkOrder.work_order_number)
    )
    if work_order_id is not None:
        others_statement = others_statement.where(WorkOrder.id != work_order_id)
    others: dict[uuid.UUID, list[WorkOrder]] = {}
    for technician_id, other in (await session.execute(others_statement)).all():
        others.setdefault(technician_id, []).append(other)

    conflicts: list[BookingConflict] = []
    for technician_id in technician_ids:
        technician = technicians.get(technician_id)
        if technician is None:
            continue
        name = f"{technician.user.first_name} {technician.user.last_name}".strip()
        hours = working_day(technician, day)
        interval = booked_interval(booking, hours)
        window_text = f"{_hhmm(interval[0])}–{_hhmm(interval[1])}"

        for other in others.get(technician_id, []):
            other_booking = Booking.of(other)
            assert other_booking is not None  # selected by its date
            if _overlaps(interval, booked_interval(other_booking, hours)):
                conflicts.append(
                    BookingConflict(
                        DOUBLE_BOOKED,
                        technician_id,
                        name,
                        f"{name} is booked on {other.work_order_number} that day at an overlapping time.",
                        work_order_id=other.id,
                        work_order_number=other.work_order_number,
                    )
                )
        if hours is None:
            conflicts.append(
                BookingConflict(
                    OUTSIDE_WORKING_HOURS,
                    technician_id,
                    name,
                    f"{name} does not work on {day.strftime('%A')}s.",
                )
            )
        else:
            day_hours = (
                datetime.combine(day, _clock(hours["start"])),
                datetime.combine(day, _clock(hours["end"])),
            )
            if interval[0] < day_hours[0] or interval[1] > day_hours[1]:
                conflicts.append(
                    BookingConflict(
                        OUTSIDE_WORKING_HOURS,
                        technician_id,
                        name,
                        f"{window_text} is outside {name}'s working hours "
                        f"({hours['start']}–{hours['end']}) on {day.strftime('%A')}s.",
                    )
                )
            if booking.has_window:
                for pause in hours.get("breaks") or []:
                    pause_interval = (
                        datetime.combine(day, _clock(pause["start"])),
                        datetime.combine(day, _clock(pause["end"])),
                    )
                    if _overlaps(interval, pause_interval):
                        conflicts.append(
                            BookingConflict(
                                DURING_BREAK,
                                technician_id,
                                name,
                                f"{window_text} overlaps {name}'s break ({pause['start']}–{pause['end']}).",
                            )
                        )
        interval_utc = (
            interval[0].replace(tzinfo=shop_zone).astimezone(UTC),
            interval[1].replace(tzinfo=shop_zone).astimezone(UTC),
        )
        for period in time_off.get(technician_id, []):
            starts_at, ends_at = _aware(period.starts_at), _aware(period.ends_at)
            if _overlaps(interval_utc, (starts_at, ends_at)):
                conflicts.append(
                    BookingConflict(
                        TIME_OFF,
                        technician_id,
                        name,
                        f"{name} is off from {_utc_text(starts_at)} to {_utc_text(ends_at)}"
                        + (f" ({period.reason})." if period.reason else "."),
                        time_off_starts_at=starts_at,
                        time_off_ends_at=ends_at,
                    )
                )
    return conflicts


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
