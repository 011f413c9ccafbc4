"""From the shop's rows to the solver's problem and back: a technician's working day on a date, a work
order's job, and the clock of the planning day.

Pure (no database): the service hands it loaded rows. Times in the solver are whole seconds from the
start of the planning day in the shop's time zone (:class:`PlanningDay`), so a day with a daylight saving
change counts the real elapsed seconds; working hours, breaks and time windows are the shop's clock times
(``HH:MM``) and time off is UTC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fixdesk.fieldservice.dispatch.solver import Break, Job, TimeWindow
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderPriority

PRIORITY_SCALE: dict[str, int] = {
    WorkOrderPriority.low.value: 10,
    WorkOrderPriority.normal.value: 30,
    WorkOrderPriority.high.value: 60,
    WorkOrderPriority.urgent.value: 80,
    WorkOrderPriority.emergency.value: 100,
}
"""Work-order priority → the solver's 0–100. The solver maximises the sum of the placed jobs' priorities,
so the gaps say how many jobs of one level are worth one of the next: an emergency (100) outweighs three
normal jobs (90), a high one (60) two normal ones."""

MINIMUM_SHIFT_SECONDS = 15 * 60
"""A working day shorter than this after time off is taken out counts as a day off."""


@dataclass(frozen=True)
class PlanningDay:
    """The planning day ``day`` in ``zone``: converts between the shop's clock and the solver's seconds."""

    day: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day, time(0), tzinfo=self.zone)

    def seconds(self, moment: datetime) -> int:
        """Whole seconds from the start of the day to ``moment`` (aware), clamped to the day."""
        elapsed = (moment - self.start).total_seconds()
        return max(0, min(int(elapsed), self.length))

    def clock_seconds(self, clock: time) -> int:
        """Seconds from the start of the day to the shop's clock time ``clock`` on this day."""
        return self.seconds(datetime.combine(self.day, clock, tzinfo=self.zone))

    @property
    def length(self) -> int:
        end = datetime.combine(self.day + timedelta(days=1), time(0), tzinfo=self.zone)
        return int((end - self.start).total_seconds())

    def moment(self, seconds: int) -> datetime:
        """The aware date-time (shop time zone) ``seconds`` after the start of the day."""
        utc = self.start.astimezone(ZoneInfo("UTC")) + timedelta(seconds=seconds)
        return utc.astimezone(self.zone)


@dataclass(frozen=True)
class WorkingDay:
    """A technician's shift on the planning day (seconds) and the breaks inside it."""

    shift: TimeWindow
    breaks: tuple[Break, ...]


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def working_day(technician: Technician, day: PlanningDay) -> WorkingDay | str:
    """The technician's shift that day: the weekday's hours (``working_hours``) minus their time off (the
    longest stretch left when time off cuts into it), with the weekday's breaks that still fit, each taken
    exactly at its configured time. A reason (str) instead when they do not work: ``"day off"`` (no hours
    that weekday) or ``"time off"``."""
    entry = next((d for d in technician.working_hours if d.get("weekday") == day.day.isoweekday()), None)
    if entry is None:
        return "day off"
    start, end = day.clock_seconds(_clock(entry["start"])), day.clock_seconds(_clock(entry["end"]))
    free = [(start, end)]
    for period in technician.time_off:
        off_start, off_end = day.seconds(period.starts_at), day.seconds(period.ends_at)
        pieces = []
        for piece_start, piece_end in free:
            if off_end <= piece_start or off_start >= piece_end:
                pieces.append((piece_start, piece_end))
                continue
            if off_start > piece_start:
                pieces.append((piece_start, off_start))
            if off_end < piece_end:
                pieces.append((off_end, piece_end))
        free = pieces
    if not free:
        return "time off"
    start, end = max(free, key=lambda piece: piece[1] - piece[0])
    if end - start < MINIMUM_SHIFT_SECONDS:
        return "time off"
    breaks = []
    for number, period in enumerate(entry.get("breaks") or ()):
        break_start = day.clock_seconds(_clock(period["start"]))
        break_end = day.clock_seconds(_clock(period["end"]))
        if start <= break_start and break_end <= end:
            breaks.append(
                Break(
                    id=f"break-{number + 1}",
                    windows=(TimeWindow(break_start, break_start),),
                    duration=break_end - break_start,
                )
            )
    return WorkingDay(TimeWindow(start, end), tuple(breaks))


def job_for(work_order: WorkOrder, location: int, day: PlanningDay) -> Job:
    """The solver's job of ``work_order`` at matrix index ``location``: its estimated duration, required
    skills (lower-cased, as skills are compared without regard to case), priority (:data:`PRIORITY_SCALE`)
    and its time window, which bounds the start of service (a window with only a start runs to the end of
    the day, with only an end from its start)."""
    windows: tuple[TimeWindow, ...] = ()
    if work_order.time_window_start is not None or work_order.time_window_end is not None:
        window_start = day.clock_seconds(work_order.time_window_start) if work_order.time_window_start else 0
        window_end = (
            day.clock_seconds(work_order.time_window_end) if work_order.time_window_end else day.length
        )
        windows = (TimeWindow(window_start, max(window_start, window_end)),)
    return Job(
        id=str(work_order.id),
        location=location,
        service_duration=work_order.estimated_duration_minutes * 60,
        time_windows=windows,
        required_skills=frozenset(skill.lower() for skill in work_order.required_skills or ()),
        priority=PRIORITY_SCALE.get(work_order.priority, PRIORITY_SCALE[WorkOrderPriority.normal.value]),
    )


QUARTER_HOUR = 15 * 60


def quarter_hour_window(day: PlanningDay, start_seconds: int, end_seconds: int) -> tuple[time, time]:
    """The shop's clock times of ``[start, end]`` widened to whole quarter hours (start rounded down, end
    up), kept within the day (23:59 at the latest)."""
    start = day.moment(start_seconds)
    end = day.moment(end_seconds)
    start_minutes = start.hour * 60 + start.minute
    end_minutes = end.hour * 60 + end.minute + (1 if end.second else 0)
    if end.date() > day.day:
        end_minutes = 24 * 60
    start_minutes -= start_minutes % 15
    end_minutes = math.ceil(end_minutes / 15) * 15
    start_clock = time(start_minutes // 60, start_minutes % 60)
    end_clock = time(23, 59) if end_minutes >= 24 * 60 else time(end_minutes // 60, end_minutes % 60)
    if end_clock <= start_clock:
        end_clock = time(23, 59)
    return start_clock, end_clock


__all__ = [
    "MINIMUM_SHIFT_SECONDS",
    "PRIORITY_SCALE",
    "QUARTER_HOUR",
    "PlanningDay",
    "WorkingDay",
    "job_for",
    "quarter_hour_window",
    "working_day",
]
