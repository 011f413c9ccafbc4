"""The offline engine on the labelled directory: the issue's four requests, the shop's time zone, names,
ambiguity, proposals, confidence and availability. The clock is always a fixed, injected moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from fixdesk.fieldservice.language import Intent, Proposal, understand
from fixdesk.fieldservice.language.when import (
    AFTERNOON,
    END_OF_DAY,
    EVENING,
    FIRST_THING,
    MORNING,
    WORKING_DAY,
    resolve_date,
    resolve_time,
)
from tests.fieldservice.language_evaluation import load

DIRECTORY, TIMEZONE, _CASES = load()
CHICAGO = ZoneInfo(TIMEZONE)
NOW = datetime(2026, 6, 17, 7, 30, tzinfo=CHICAGO)  # a Wednesday


def ask(query: str, now: datetime = NOW):
    return understand(query, now=now, timezone=TIMEZONE, directory=DIRECTORY)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def test_schedule_a_technician_for_a_job_tomorrow_morning() -> None:
    answer = ask("Schedule Johnny for the Smith pumping tomorrow morning")

    thursday = date(2026, 6, 18)
    assert answer.intent is Intent.schedule
    assert answer.technician is not None
    assert answer.technician.full_name == "John Carter"
    assert answer.work_order is not None
    assert answer.work_order.number == "WO-2026-000101"
    assert answer.date == thursday
    assert answer.window is not None
    assert (answer.window.start, answer.window.end) == (at(thursday, 8), at(thursday, 12))
    assert answer.confidence == 1.0
    assert answer.proposal == Proposal("assign", "w101", "t01", thursday, at(thursday, 8), at(thursday, 12))
    assert answer.summary == (
        "Assign John Carter to WO-2026-000101 (Septic pumping, Anna Smith) on Thursday 18 June 2026, "
        "08:00–12:00 (morning)."
    )


def test_move_the_garcia_pumping_to_next_tuesday_at_3pm_keeps_its_window_length() -> None:
    answer = ask("move the Garcia pumping to next Tuesday at 3pm")

    tuesday = date(2026, 6, 23)
    assert answer.intent is Intent.reschedule
    assert answer.work_order is not None
    assert answer.work_order.customer_name == "Maria Garcia"
    assert answer.technician is None  # stays with Sarah Lee
    assert answer.proposal == Proposal("reschedule", "w103", None, tuesday, at(tuesday, 15), at(tuesday, 17))


def test_who_is_free_friday_afternoon_lists_the_technicians_without_an_overlapping_job() -> None:
    answer = ask("who is free Friday afternoon?")

    friday = date(2026, 6, 19)
    assert answer.intent is Intent.availability
    assert answer.window is not None
    assert (answer.window.start, answer.window.end) == (
        at(friday, 12),
        at(friday, 17),
    )
    free = {technician.id for technician in answer.available_technicians}
    # Emily Chen has the Allen job 13:00–17:00; Robert Davis's 08:00–10:00 job ends before noon.
    assert "t09" not in free
    assert "t07" in free
    assert len(free) == 11
    assert answer.proposal is None
    assert answer.summary.startswith("Free on Friday 19 June 2026, 12:00–17:00 (afternoon): John Carter, ")


def test_unassign_mike_from_a_work_order_picks_the_mike_on_it() -> None:
    # Two technicians answer to Mike (Mike Johnson, and Michael Brown's nickname); only one is on the job.
    answer = ask("unassign Mike from WO-2026-000123")

    assert answer.intent is Intent.unassign
    assert answer.technician is not None
    assert answer.technician.id == "t03"
    assert answer.technician_candidates == ()
    assert answer.proposal == Proposal("unassign", "w123", "t03")
    assert answer.confidence == 1.0


def test_two_johns_and_two_smith_jobs_are_offered_as_candidates_without_a_proposal() -> None:
    answer = ask("Schedule John for the Smith job tomorrow morning")

    assert answer.intent is Intent.schedule
    assert answer.technician is None
    assert answer.work_order is None
    assert {candidate.label for candidate in answer.technician_candidates} == {"John Carter", "John Miller"}
    assert {candidate.id for candidate in answer.work_order_candidates} == {"w101", "w102"}
    assert answer.proposal is None
    assert answer.confidence == 0.5
    assert "Which technician do you mean: John Carter or John Miller?" in answer.summary
    assert (
        "Which job do you mean: WO-2026-000101 (Septic pumping, Anna Smith) or WO-2026-000102"
        in answer.summary
    )


def test_tomorrow_is_counted_in_the_shops_time_zone_not_in_utc() -> None:
    # 03:00 UTC on the 18th is still the evening of the 17th in Chicago.
    late_evening = datetime(2026, 6, 18, 3, 0, tzinfo=UTC)

    answer = ask("Schedule Johnny for the Smith pumping tomorrow morning", now=late_evening)

    assert answer.date == date(2026, 6, 18)
    assert answer.window is not None
    assert answer.window.start == at(date(2026, 6, 18), 8)
    assert answer.window.start.utcoffset() is not None


def test_typos_lower_the_confidence_and_are_reported() -> None:
    answer = ask("asign Emilly to the Robinsen furnace repair on Firday")

    assert answer.intent is Intent.schedule
    assert answer.technician is not None
    assert answer.technician.full_name == "Emily Chen"
    assert answer.work_order is not None
    assert answer.work_order.number == "WO-2026-000112"
    assert answer.date == date(2026, 6, 19)
    assert ("asign", "assign") in answer.fields.corrections
    assert 0.5 < answer.confidence < 0.9


def test_a_missing_part_halves_the_confidence_and_gives_no_proposal() -> None:
    answer = ask("Schedule Johnny for the Smith pumping")

    assert answer.missing == ("date",)
    assert answer.proposal is None
    assert answer.confidence == 0.5
    assert answer.summary.endswith("Missing: date.")


def test_unassigning_a_technician_who_is_not_on_the_job_is_flagged() -> None:
    answer = ask("unassign Dave from the Martinez job")

    assert answer.notes == ("David Wilson is not assigned to WO-2026-000111.",)
    assert answer.confidence == 0.8


def test_an_unrelated_request_is_unknown_with_zero_confidence() -> None:
    answer = ask("what's the weather like tomorrow")

    assert answer.intent is Intent.unknown
    assert answer.confidence == 0.0
    assert answer.proposal is None


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        understand("who is free today", now=datetime(2026, 6, 17, 8), timezone=TIMEZONE, directory=DIRECTORY)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("tomorrow", date(2026, 6, 18)),
        ("next tuesday", date(2026, 6, 23)),
        ("tuesday next week", date(2026, 6, 23)),
        ("wednesday", date(2026, 6, 24)),
        ("in two days", date(2026, 6, 19)),
        ("in a week", date(2026, 6, 24)),
        ("the day after tomorrow", date(2026, 6, 19)),
        ("next week", date(2026, 6, 22)),
        ("june 25", date(2026, 6, 25)),
        ("3rd of july", date(2026, 7, 3)),
        ("6/30", date(2026, 6, 30)),
        ("2027-01-04", date(2027, 1, 4)),
        ("the 30th", date(2026, 6, 30)),
    ],
)
def test_dates_count_from_the_shops_today(phrase: str, expected: date) -> None:
    resolved = resolve_date(phrase, today=date(2026, 6, 17))
    assert resolved is not None
    assert resolved.day == expected


def test_the_day_parts_are_the_documented_hours() -> None:
    assert (FIRST_THING.start, FIRST_THING.end) == (time(8), time(10))
    assert (MORNING.start, MORNING.end) == (time(8), time(12))
    assert (AFTERNOON.start, AFTERNOON.end) == (time(12), time(17))
    assert (END_OF_DAY.start, END_OF_DAY.end) == (time(15), time(17))
    assert (EVENING.start, EVENING.end) == (time(17), time(20))
    assert (WORKING_DAY.start, WORKING_DAY.end) == (time(8), time(17))
    assert resolve_time("first thing") == FIRST_THING
    assert resolve_time("end of day") == END_OF_DAY
    assert resolve_time("at 3") == resolve_time("3pm") == resolve_time("15:00")
    assert resolve_time("at 9").start == time(9)  # type: ignore[union-attr]
    between = resolve_time("between 1 and 3pm")
    assert between is not None
    assert (between.start, between.end) == (time(13), time(15))
