"""Dates and times of day in a dispatcher's words: "tomorrow morning", "next Tuesday at 3pm", "in two days",
"Friday afternoon", "June 23", "end of day".

Two steps, used by the offline parser and by the model's answer alike: ``find_*`` locate a phrase in a
request (so the parser can cut it out), ``resolve_*`` turn a phrase into a date or a time of day. Relative
dates count from *today in the shop's time zone* (the caller passes that day); explicit dates ("June 23",
"6/23", "2026-06-23") go to ``dateparser``, preferring the future; weekdays and "in N days" use
``dateutil.relativedelta``.

The rules, stated once:

- A weekday alone, or with "this", "coming" or "next" ("next Tuesday"), is the first such day *after*
  today (English is split on "next Tuesday"; dispatchers within a week mean the coming one). "Tuesday next
  week" is the Tuesday of the following Monday-to-Sunday week; "next week" alone is its Monday.
- The day parts below are the shop's hours (local time); an hour without am/pm means 7–11 in the
  morning, 12 noon and 1–6 in the afternoon, as appointments go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

# --- day parts: the shop's hours, local time ------------------------------------------------------------


@dataclass(frozen=True)
class TimeOfDay:
    """A time of day asked for: a day part (``start``–``end``) or an exact time (``end`` is ``None``).

    ``label`` names it in the sentence ("morning", "at 15:00").
    """

    label: str
    start: time
    end: time | None


FIRST_THING = TimeOfDay("first thing", time(8), time(10))
"""'first thing', 'early morning': the first two hours of the working day."""
MORNING = TimeOfDay("morning", time(8), time(12))
MIDDAY = TimeOfDay("midday", time(11), time(13))
"""'midday', 'lunchtime' ('noon' and 'at noon' are the exact time 12:00)."""
AFTERNOON = TimeOfDay("afternoon", time(12), time(17))
END_OF_DAY = TimeOfDay("end of day", time(15), time(17))
"""'end of day', 'late afternoon', 'close of business', 'last thing': the last two hours."""
EVENING = TimeOfDay("evening", time(17), time(20))
"""'evening', 'tonight': after-hours calls."""
WORKING_DAY = TimeOfDay("all day", time(8), time(17))
"""The window of a request that names a day but no time."""
EXACT_TIME_WINDOW = timedelta(hours=2)
"""The window an exact time opens ("at 3pm" → 15:00–17:00) when the work order has no window of its own
to keep the length of (the issue's two-hour windows)."""

_DAY_PARTS: tuple[tuple[str, TimeOfDay], ...] = (
    (r"first\s+thing(?:\s+in\s+the\s+morning)?|early\s+(?:in\s+the\s+)?morning|early\s+am", FIRST_THING),
    (
        r"end\s+of\s+(?:the\s+)?(?:day|business)|eod|close\s+of\s+business|cob|late\s+(?:in\s+the\s+)?afternoon"
        r"|last\s+thing",
        END_OF_DAY,
    ),
    (r"(?:in\s+the\s+)?morning|(?<!\bi\s)(?<!\d)\bam(?!\.?\w)", MORNING),
    (r"midday|mid-day|lunch\s*time|lunch", MIDDAY),
    (r"(?:in\s+the\s+)?afternoon|(?<!\d)\bpm(?!\.?\w)", AFTERNOON),
    (r"(?:in\s+the\s+)?evening|tonight", EVENING),
)

_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)?|noon)"
_RANGE = re.compile(
    rf"\b(?:between\s+|from\s+)?(?P<first>{_CLOCK})\s*(?:and|to|until|till|-|–)\s*(?P<second>{_CLOCK})(?!\S*\d)",
)
_AT_TIME = re.compile(rf"(?:\b(?:at|around|about|by|for)\s+|@\s*)(?P<clock>{_CLOCK})(?![\w:/])")
_BARE_TIME = re.compile(
    r"\b(?P<clock>\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}:\d{2}|noon)(?![\w:/])"
)
_DAY_PART_PATTERNS = tuple(
    (re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])"), part) for pattern, part in _DAY_PARTS
)

# --- dates ----------------------------------------------------------------------------------------------

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBREVIATIONS = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "weds": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu(?:rs?)?|fri|sat|sun)"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
}
_COUNT = r"(?:\d{1,2}|a\s+couple(?:\s+of)?|couple\s+of|a\s+few|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"

_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    ("numeric", re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b")),
    ("month_day", re.compile(rf"\b{_MONTH}\.?\s+{_ORDINAL}\b(?:,?\s+\d{{4}})?")),
    ("day_month", re.compile(rf"\b(?:the\s+)?{_ORDINAL}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+\d{{4}})?")),
    ("day_after_tomorrow", re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b")),
    ("today", re.compile(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening))\b")),
    ("tomorrow", re.compile(r"\b(?:tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)\b")),
    ("in_days", re.compile(rf"\bin\s+(?P<count>{_COUNT})\s+(?P<unit>days?|weeks?)(?:\s+time)?\b")),
    ("weekday_next_week", re.compile(rf"\b(?:on\s+)?(?P<weekday>{_WEEKDAY})\s+(?:of\s+)?next\s+week\b")),
    ("next_week_weekday", re.compile(rf"\bnext\s+week\s+(?:on\s+)?(?P<weekday>{_WEEKDAY})\b")),
    ("weekday", re.compile(rf"\b(?:(?:this|coming|this\s+coming|next|on)\s+)?(?P<weekday>{_WEEKDAY})\b")),
    ("next_week", re.compile(r"\bnext\s+week\b")),
    ("ordinal", re.compile(r"\bthe\s+\d{1,2}(?:st|nd|rd|th)\b")),
)


@dataclass(frozen=True)
class Found:
    """A phrase found in a request: its text and where it stands (``start``/``end`` character offsets)."""

    text: str
    start: int
    end: int


def find_date(text: str) -> Found | None:
    """The first date phrase in ``text`` (lower case), trying the most specific forms first."""
    for _kind, pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            return Found(match.group(0), match.start(), match.end())
    return None


def find_time(text: str) -> Found | None:
    """The time phrase in ``text`` (lower case): a range, an exact time, else a day part."""
    for pattern in (_RANGE, _AT_TIME, _BARE_TIME):
        match = pattern.search(text)
        if match and _looks_like_time(match):
            return Found(match.group(0), match.start(), match.end())
    for pattern, _part in _DAY_PART_PATTERNS:
        match = pattern.search(text)
        if match:
            return Found(match.group(0), match.start(), match.end())
    return None


def _looks_like_time(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    if "first" in groups:
        # "9-11" and "between 1 and 3" are ranges; "2 to 3 days" or "from 1 to 4 techs" would not be, but a
        # range needs a meridiem or a word that only ranges take.
        whole = match.group(0)
        return bool(re.search(r"[ap]\.?m|between|from|:|noon", whole)) or "-" in whole
    clock = groups.get("clock") or ""
    return _parse_clock(clock) is not None


def resolve_time(text: str) -> TimeOfDay | None:
    """The time of day a phrase means ("3pm" → 15:00 exact; "morning" → :data:`MORNING`; "between 1 and
    3" → 13:00–15:00), or ``None`` when it means none."""
    phrase = text.strip().lower()
    if not phrase:
        return None
    range_match = _RANGE.search(phrase)
    if range_match:
        first, second = range_match.group("first"), range_match.group("second")
        end_meridiem = re.search(r"[ap]\.?m", second)
        start = _parse_clock(first, meridiem_hint=end_meridiem.group(0) if end_meridiem else None)
        end = _parse_clock(second)
        if start is not None and end is not None and start < end:
            return TimeOfDay(f"{start:%H:%M}–{end:%H:%M}", start, end)
    for pattern in (_AT_TIME, _BARE_TIME):
        match = pattern.search(phrase)
        if match:
            clock = _parse_clock(match.group("clock"))
            if clock is not None:
                return TimeOfDay(f"at {clock:%H:%M}", clock, None)
    for pattern, part in _DAY_PART_PATTERNS:
        if pattern.search(phrase):
            return part
    bare = _parse_clock(phrase)  # a model may answer "15:00" or "3"
    if bare is not None:
        return TimeOfDay(f"at {bare:%H:%M}", bare, None)
    return None


def _parse_clock(text: str, *, meridiem_hint: str | None = None) -> time | None:
    match = re.fullmatch(r"\s*(?:(noon)|(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?)\s*", text)
    if match is None:
        return None
    if match.group(1):
        return time(12)
    hour, minute = int(match.group(2)), int(match.group(3) or 0)
    meridiem = (match.group(4) or meridiem_hint or "").replace(".", "")
    if minute > 59:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif hour > 23:
        return None
    elif 1 <= hour <= 6 and not match.group(3):
        hour += 12  # "at 3" is an afternoon appointment, not a 3 a.m. one
    elif 1 <= hour <= 6 and match.group(3) and len(match.group(2)) == 1:
        hour += 12  # "3:30" likewise; "03:30" or "15:30" are read as written
    return time(hour, minute)


@dataclass(frozen=True)
class ResolvedDate:
    """A calendar day in the shop's time zone and how it was read: ``rule`` (this module's rules) or
    ``dateparser`` (an explicit date)."""

    day: date
    method: str


def resolve_date(text: str, *, today: date) -> ResolvedDate | None:
    """The day a phrase names, counted from ``today`` (the shop's local date), or ``None``."""
    phrase = re.sub(r"\s+", " ", text.strip().lower())
    if not phrase:
        return None
    for kind, pattern in _DATE_PATTERNS:
        match = pattern.search(phrase)
        if match is None:
            continue
        day = _resolve_kind(kind, match, today)
        if day is not None:
            return ResolvedDate(day, "rule")
        break
    return _dateparser_date(phrase, today)


def _weekday_index(word: str) -> int:
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    return _WEEKDAY_ABBREVIATIONS[word]


def _resolve_kind(kind: str, match: re.Match[str], today: date) -> date | None:
    if kind == "today":
        return today
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "day_after_tomorrow":
        return today + timedelta(days=2)
    if kind == "in_days":
        count_text = re.sub(r"\s+", " ", match.group("count"))
        count = int(count_text) if count_text.isdigit() else _NUMBER_WORDS[count_text]
        unit = match.group("unit")
        return today + (timedelta(weeks=count) if unit.startswith("week") else timedelta(days=count))
    if kind == "weekday":
        weekday = _weekday_index(match.group("weekday"))
        return today + relativedelta(days=1, weekday=weekday)
    if kind in ("weekday_next_week", "next_week_weekday"):
        next_monday = today + relativedelta(days=1, weekday=0)
        return next_monday + timedelta(days=_weekday_index(match.group("weekday")))
    if kind == "next_week":
        return today + relativedelta(days=1, weekday=0)
    return None  # explicit dates: dateparser


def _dateparser_date(phrase: str, today: date) -> ResolvedDate | None:
    # Imported here: it costs every process that builds the app about 0.2 s of CPU, and only this path
    # of the scheduling assistant uses it (tests/test_startup_imports.py).
    import dateparser

    cleaned = re.sub(r"\b(?:on|the|of)\b", " ", phrase)
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned).strip()
    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "DATE_ORDER": "MDY",
            "PREFER_DAY_OF_MONTH": "first",
            "REQUIRE_PARTS": ["day"],
        },
    )
    if parsed is None:
        return None
    return ResolvedDate(parsed.date(), "dateparser")
