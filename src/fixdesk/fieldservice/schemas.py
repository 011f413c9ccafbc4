"""Field types shared by the field service schemas."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$")
CLOCK_PATTERN = _CLOCK.pattern


def _clock_time(value: Any) -> Any:
    # Only "HH:MM" (or "HH:MM:SS") text: lax parsing would read a number as seconds after midnight.
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _CLOCK.match(value.strip()):
        raise ValueError("must be a time of day HH:MM (24-hour clock)")
    return time.fromisoformat(value.strip())


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": CLOCK_PATTERN, "examples": ["09:00"]}),
]
"""A time of day on the shop's clock (``FIXDESK_SHOP_TIMEZONE``), ``HH:MM`` on the wire (no zone: the
shop's is implied)."""


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _calendar_day(value: Any) -> Any:
    # Only YYYY-MM-DD text: lax parsing would read "0" as a Unix timestamp (1970-01-01).
    if isinstance(value, str) and not _DAY.match(value.strip()):
        raise ValueError("must be a date (YYYY-MM-DD)")
    return value


CalendarDay = Annotated[date, BeforeValidator(_calendar_day)]
"""A day on the shop's calendar in a query string, ``YYYY-MM-DD`` only."""
