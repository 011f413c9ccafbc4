"""Request and response models of technicians (seed 001's technician: ``first_name``, ``last_name``,
``email``, ``phone``, ``skills``, ``is_active``, ``hourly_rate``), with working hours and time off.

Working hours are the technician's week in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``): one entry per
working weekday (ISO numbering, Monday 1 … Sunday 7) with a start and an end (``HH:MM``) and the breaks
inside them. A weekday without an entry is a day off.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from itertools import pairwise
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, field_validator, model_validator

from fixdesk.fieldservice.schemas import ClockTime
from fixdesk.platform.schemas import CamelModel, InputModel, MoneyIn, MoneyOut, NotNull

Latitude = Annotated[float, Field(ge=-90, le=90, description="Degrees north (WGS 84)")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="Degrees east (WGS 84)")]


def _clean_skills(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    seen: dict[str, str] = {}
    for skill in value:
        name = " ".join(skill.split())
        if not name:
            raise ValueError("a skill cannot be blank")
        seen.setdefault(name.lower(), name)
    return list(seen.values())


Skills = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=50)]],
    Field(max_length=50, description="Shop-defined skill tags, e.g. HVAC, Plumbing, Septic"),
    AfterValidator(_clean_skills),
]


class BreakPeriod(InputModel):
    """A break inside a working day, ``HH:MM`` to ``HH:MM`` (shop time zone)."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> BreakPeriod:
        if self.end <= self.start:
            raise ValueError("a break must end after it starts")
        return self


class WorkingDay(InputModel):
    """One working weekday: ``weekday`` 1 (Monday) … 7 (Sunday), hours ``start``–``end`` (``HH:MM``,
    shop time zone) and the ``breaks`` inside them."""

    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")
    start: ClockTime
    end: ClockTime
    breaks: list[BreakPeriod] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _consistent(self) -> WorkingDay:
        if self.end <= self.start:
            raise ValueError("the working day must end after it starts")
        ordered = sorted(self.breaks, key=lambda period: period.start)
        for period in ordered:
            if period.start < self.start or period.end > self.end:
                raise ValueError("every break must lie within the working hours")
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                raise ValueError("breaks must not overlap")
        self.breaks = ordered
        return self


def _one_entry_per_weekday(value: list[WorkingDay] | None) -> list[WorkingDay] | None:
    if value is None:
        return None
    weekdays = [day.weekday for day in value]
    if len(set(weekdays)) != len(weekdays):
        raise ValueError("give each weekday at most once")
    return sorted(value, key=lambda day: day.weekday)


WorkingHours = Annotated[list[WorkingDay], Field(max_length=7), AfterValidator(_one_entry_per_weekday)]


class TimeOffCreate(InputModel):
    """A period away, ``[startsAt, endsAt)``: ISO 8601 date-times with an offset (``Z`` for UTC)."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> TimeOffCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("endsAt must be after startsAt")
        return self


class TechnicianCreate(InputModel):
    """A technician profile on an existing, active staff user (``userId``; see ``GET /api/v1/users``).
    ``hourlyRate`` is in the shop's currency. A home base without coordinates is geocoded when a
    geocoding provider is configured (``FIXDESK_GEOCODING_URL``)."""

    user_id: uuid.UUID
    phone: str | None = Field(default=None, max_length=20)
    skills: Skills = Field(default_factory=list)
    hourly_rate: MoneyIn | None = Field(default=None, description="Per hour, shop currency")
    home_address: str | None = Field(default=None, max_length=300)
    home_latitude: Latitude | None = None
    home_longitude: Longitude | None = None
    working_hours: WorkingHours = Field(default_factory=list)
    time_off: list[TimeOffCreate] = Field(default_factory=list, max_length=100)
    is_active: bool = True
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("time_off")
    @classmethod
    def _no_overlap(cls, value: list[TimeOffCreate]) -> list[TimeOffCreate]:
        return _check_time_off(value)

    @model_validator(mode="after")
    def _both_coordinates(self) -> TechnicianCreate:
        _check_pair(self.home_latitude, self.home_longitude, "homeLatitude", "homeLongitude")
        return self


def _check_pair(latitude: float | None, longitude: float | None, lat_name: str, lon_name: str) -> None:
    if (latitude is None) != (longitude is None):
        raise ValueError(f"give both {lat_name} and {lon_name}, or neither")


def _check_time_off(value: list[TimeOffCreate]) -> list[TimeOffCreate]:
    ordered = sorted(value, key=lambda period: period.starts_at)
    for earlier, later in pairwise(ordered):
        if later.starts_at < earlier.ends_at:
            raise ValueError("time off periods must not overlap")
    return ordered


class TechnicianUpdate(InputModel):
    """Fields to change. ``skills``, ``workingHours`` and ``timeOff`` replace the stored lists."""

    phone: str | None = Field(default=None, max_length=20)
    skills: NotNull[Skills] = None
    hourly_rate: MoneyIn | None = None
    home_address: str | None = Field(default=None, max_length=300)
    home_latitude: Latitude | None = None
    home_longitude: Longitude | None = None
    working_hours: NotNull[WorkingHours] = None
    time_off: NotNull[list[TimeOffCreate]] = Field(default=None, max_length=100)
    is_active: NotNull[bool] = None
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("time_off")
    @classmethod
    def _no_overlap(cls, value: list[TimeOffCreate] | None) -> list[TimeOffCreate] | None:
        return None if value is None else _check_time_off(value)


class BreakRead(CamelModel):
    start: ClockTime
    end: ClockTime


class WorkingDayRead(CamelModel):
    weekday: int = Field(description="ISO weekday: 1 Monday … 7 Sunday")
    start: ClockTime
    end: ClockTime
    breaks: list[BreakRead]


class TimeOffRead(CamelModel):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None


class TechnicianRead(CamelModel):
    """A technician: the staff user's name and email with the field profile (seed 001's fields)."""

    id: uuid.UUID
    user_id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    phone: str | None
    skills: list[str]
    hourly_rate: MoneyOut | None = Field(description="Per hour, shop currency")
    currency: str
    home_address: str | None
    home_latitude: float | None
    home_longitude: float | None
    home_geocode_status: str = Field(description="given | pending | found | not_found | missing")
    working_hours: list[WorkingDayRead] = Field(description="Shop time zone (timeZone)")
    time_zone: str = Field(description="The shop's IANA time zone the working hours are in")
    time_off: list[TimeOffRead]
    is_active: bool
    notes: str | None
    created_at: datetime
    updated_at: datetime
