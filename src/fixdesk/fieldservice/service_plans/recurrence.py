"""A plan's recurrence: an RFC 5545 RRULE read by ``python-dateutil``, with the plan's start date as its
DTSTART. Occurrences are days on the shop's calendar, so the rule is evaluated on naive midnights of the
shop's calendar (no time zone arithmetic can move a visit to another day)."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from dateutil.rrule import rrule, rrulestr

from fixdesk.platform.errors import ValidationFailed

MAX_RULE_LENGTH = 500
_FINER_THAN_DAILY = re.compile(r"(^|;)FREQ=(HOURLY|MINUTELY|SECONDLY)(;|$)")


def parse_rule(recurrence: str, starts_on: date) -> rrule:
    """The rule ``recurrence`` (``FREQ=MONTHLY;INTERVAL=3`` or ``RRULE:FREQ=…``; one RRULE, no DTSTART:
    the plan's ``startsOn`` is its DTSTART) starting on ``starts_on``.

    Raises :class:`ValidationFailed` (400 naming ``recurrence``) for anything else: a rule dateutil cannot
    read, several lines or a DTSTART, a frequency finer than daily (a plan makes at most one visit a day)."""
    text = recurrence.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text or "\n" in text or "\r" in text or ":" in text or len(text) > MAX_RULE_LENGTH:
        raise ValidationFailed.for_field(
            "recurrence",
            "must be one RFC 5545 RRULE such as FREQ=MONTHLY;INTERVAL=3 (startsOn is its DTSTART)",
        )
    try:
        rule = rrulestr(text, dtstart=datetime.combine(starts_on, time()))
    except (ValueError, TypeError, OverflowError) as error:
        raise ValidationFailed.for_field("recurrence", f"not a valid RRULE: {error}") from None
    if not isinstance(rule, rrule) or _FINER_THAN_DAILY.search(text.upper()):
        raise ValidationFailed.for_field("recurrence", "the frequency must be DAILY or coarser")
    return rule


def normalized(recurrence: str) -> str:
    """The rule as stored: without the ``RRULE:`` prefix, upper case."""
    text = recurrence.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    return text.upper()


def occurrences_between(rule: rrule, first: date, last: date) -> list[date]:
    """The rule's days from ``first`` to ``last``, both included."""
    if last < first:
        return []
    start = datetime.combine(first, time())
    end = datetime.combine(last, time())
    try:
        return [moment.date() for moment in rule.between(start, end, inc=True)]
    except (ValueError, OverflowError):
        return []


def first_on_or_after(rule: rrule, day: date, until: date | None = None) -> date | None:
    """The rule's first day on or after ``day`` (and on or before ``until``), or ``None``."""
    try:
        moment = rule.after(datetime.combine(day, time()), inc=True)
    except (ValueError, OverflowError):
        return None
    if moment is None:
        return None
    found = moment.date()
    return None if until is not None and found > until else found
