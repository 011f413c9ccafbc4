"""Understanding a scheduling request: :func:`understand` (offline) and :func:`resolve` (checks the fields
the offline parser or a language model extracted against the directory and the calendar).

The answer (:class:`Understanding`) is what ``POST /api/v1/ai/dispatch/query`` (seed 001: ``query``,
``context.current_date``) returns: the intent, the work order, technician, date and window it resolved, a
confidence, a sentence, the candidates when a name fits several, and the :class:`Proposal` a second call
applies. Nothing is changed here.

**Confidence** (0–1, two decimals) multiplies:

- the intent's score (1 for a verb found as written, 0.9 after a typo correction, 0 for unknown: an
  unknown request has confidence 0);
- the match score / 100 of each part the intent needs that was resolved (technician, work order), and 0.9
  for a date read after a typo correction or by ``dateparser`` (explicit dates), 1 for the others;
- 0.5 for each part the intent needs that is missing, and 0.5 when a name fits several candidates;
- 0.8 when the request contradicts the directory (unassigning a technician who is not on the job).

The parts each intent needs: *schedule* a technician, a work order and a day (the work order's own day when
it has one); *reschedule* a work order and a new day, time or technician; *unassign* a work order (and the
technician, unless the work order has exactly one); *availability* nothing (the day defaults to today).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fixdesk.fieldservice.language.directory import Directory, TechnicianEntry, WorkOrderEntry
from fixdesk.fieldservice.language.matching import Scored, leaders, match_technicians, match_work_orders
from fixdesk.fieldservice.language.parser import ExtractedFields, Intent, extract_fields
from fixdesk.fieldservice.language.when import (
    EXACT_TIME_WINDOW,
    WORKING_DAY,
    TimeOfDay,
    resolve_date,
    resolve_time,
)

AMBIGUOUS_FACTOR = 0.5
MISSING_FACTOR = 0.5
CONTRADICTION_FACTOR = 0.8
INDIRECT_DATE_SCORE = 0.9


@dataclass(frozen=True)
class TimeWindow:
    """A time window: ``start`` and ``end`` are aware datetimes in the shop's time zone; ``label`` names
    it ("morning", "at 15:00", "all day")."""

    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class Candidate:
    """One of several technicians or work orders a name fits: ``kind`` is ``technician`` or
    ``work_order``, ``label`` what a person reads ("John Carter", "WO-2026-000101 (Septic pumping, Anna
    Smith)"), ``score`` the match score 0–100."""

    kind: str
    id: str
    label: str
    score: float


@dataclass(frozen=True)
class Proposal:
    """The change a second call applies (nothing is applied by understanding a request).

    - ``assign``: add ``technician_id`` to ``work_order_id`` and book it on ``scheduled_date`` in
      ``window_start``–``window_end``;
    - ``reschedule``: book ``work_order_id`` on ``scheduled_date`` in the window, and when
      ``technician_id`` is set, give it to that technician instead of its current ones;
    - ``unassign``: take ``technician_id`` off ``work_order_id`` (every assigned technician when ``None``).
    """

    action: str
    work_order_id: str
    technician_id: str | None = None
    scheduled_date: date | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True)
class Understanding:
    """What a request was understood to ask (see the module docstring for ``confidence``).

    ``technician`` and ``work_order`` are ``None`` when not named, not found, or ambiguous (then
    ``technician_candidates``/``work_order_candidates`` hold the choices). ``date`` is the shop-local day,
    ``window`` the time window on it. ``summary`` says it in one sentence. ``missing`` names the parts the
    intent needs that were not found (``technician``, ``work_order``, ``date``). ``available_technicians``
    answers an availability question (the directory's technicians with no work order overlapping the
    window; working hours and time off are the dispatch solver's). ``notes`` flags contradictions ("Mike
    Johnson is not assigned to WO-…"). ``fields`` are the words extracted, ``fields.source`` who extracted
    them; ``fallback_reason`` why a configured model was not used.
    """

    query: str
    intent: Intent
    technician: TechnicianEntry | None
    work_order: WorkOrderEntry | None
    date: date | None
    window: TimeWindow | None
    confidence: float
    summary: str
    technician_candidates: tuple[Candidate, ...]
    work_order_candidates: tuple[Candidate, ...]
    proposal: Proposal | None
    missing: tuple[str, ...]
    available_technicians: tuple[TechnicianEntry, ...]
    notes: tuple[str, ...]
    fields: ExtractedFields
    fallback_reason: str | None = None

    @property
    def ambiguous(self) -> bool:
        return bool(self.technician_candidates or self.work_order_candidates)


def understand(query: str, *, now: datetime, timezone: str, directory: Directory) -> Understanding:
    """Understand ``query`` offline (no model): :func:`~fixdesk.fieldservice.language.parser.extract_fields`
    then :func:`resolve`.

    ``now`` is the current moment (aware; the clock is always the caller's), ``timezone`` the shop's IANA
    zone: "tomorrow" is the day after ``now``'s date there, and windows are that zone's hours. Raises
    ``ValueError`` for a naive ``now`` and ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone.
    """
    return resolve(
        extract_fields(query, directory), query=query, now=now, timezone=timezone, directory=directory
    )


def resolve(
    fields: ExtractedFields,
    *,
    query: str,
    now: datetime,
    timezone: str,
    directory: Directory,
    fallback_reason: str | None = None,
) -> Understanding:
    """Check extracted ``fields`` against ``directory`` and the calendar and build the answer (the one
    resolver for the offline parser and the model alike)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    intent = fields.intent
    factors: list[float] = [fields.intent_score]
    missing: list[str] = []
    notes: list[str] = []

    technician, technician_candidates, technician_score = _pick(
        match_technicians(fields.technician_text, directory) if fields.technician_text else [],
        lambda item: Candidate("technician", item.id, item.full_name, 0.0),
    )
    work_order, work_order_candidates, work_order_score = _pick(
        match_work_orders(fields.job_text, directory) if fields.job_text else [],
        lambda item: Candidate("work_order", item.id, item.label, 0.0),
    )
    ambiguous = bool(technician_candidates or work_order_candidates)

    resolved_date = resolve_date(fields.date_text, today=today) if fields.date_text else None
    time_of_day = resolve_time(fields.time_text) if fields.time_text else None
    day = resolved_date.day if resolved_date else None
    date_factor = 1.0
    if resolved_date and (resolved_date.method != "rule" or _date_was_corrected(fields)):
        date_factor = INDIRECT_DATE_SCORE

    window: TimeWindow | None = None
    proposal: Proposal | None = None
    available: tuple[TechnicianEntry, ...] = ()

    if intent is Intent.schedule:
        if day is None and time_of_day is None and work_order and work_order.scheduled_date:
            day = work_order.scheduled_date  # "assign John to the Smith job": on the day it is booked
            window = _existing_window(work_order, zone)
        elif day is None and time_of_day is not None:
            day = work_order.scheduled_date if work_order and work_order.scheduled_date else today
        if window is None and day is not None:
            window = _window(day, time_of_day, work_order, zone, keep_times=time_of_day is None)
        _need(technician, technician_candidates, "technician", missing)
        _need(work_order, work_order_candidates, "work_order", missing)
        if day is None:
            missing.append("date")
        if technician and work_order and window and day:
            proposal = Proposal("assign", work_order.id, technician.id, day, window.start, window.end)
    elif intent is Intent.reschedule:
        _need(work_order, work_order_candidates, "work_order", missing)
        if work_order:
            if day is None and time_of_day is not None:
                day = work_order.scheduled_date or today
            if day is not None:
                window = _window(day, time_of_day, work_order, zone, keep_times=time_of_day is None)
            elif technician is not None and work_order.scheduled_date:
                day = work_order.scheduled_date
                window = _existing_window(work_order, zone)
        elif day is not None:
            window = _window(day, time_of_day, None, zone)
        if day is None and technician is None:
            missing.append("date")
        if work_order and window and day:
            proposal = Proposal(
                "reschedule",
                work_order.id,
                technician.id if technician else None,
                day,
                window.start,
                window.end,
            )
    elif intent is Intent.unassign:
        _need(work_order, work_order_candidates, "work_order", missing)
        if work_order and technician_candidates:
            # "unassign Mike from WO-…": of the two Mikes, the one on the job
            assigned = [c for c in technician_candidates if c.id in work_order.technician_ids]
            if len(assigned) == 1:
                technician = directory.technician(assigned[0].id)
                technician_score = assigned[0].score
                technician_candidates = ()
                ambiguous = bool(work_order_candidates)
        if work_order and technician is None and not technician_candidates and fields.technician_text is None:
            if len(work_order.technician_ids) == 1:
                technician = directory.technician(work_order.technician_ids[0])
        elif fields.technician_text is not None:
            _need(technician, technician_candidates, "technician", missing)
        if work_order and technician and technician.id not in work_order.technician_ids:
            notes.append(f"{technician.full_name} is not assigned to {work_order.number}.")
            factors.append(CONTRADICTION_FACTOR)
        if work_order and not technician_candidates and (technician or fields.technician_text is None):
            proposal = Proposal("unassign", work_order.id, technician.id if technician else None)
        day = work_order.scheduled_date if work_order else day
    elif intent is Intent.availability:
        if day is None:
            day = work_order.scheduled_date if work_order and work_order.scheduled_date else today
        window = _window(day, time_of_day, None, zone)
        available = tuple(
            candidate
            for candidate in directory.technicians
            if not _busy(candidate, window, directory.work_orders, except_work_order=work_order)
        )

    if intent is Intent.unknown:
        confidence = 0.0
    else:
        if (technician and intent is not Intent.availability and fields.technician_text is not None) or (
            technician and intent is Intent.availability
        ):
            factors.append(technician_score / 100)
        if work_order:
            factors.append(work_order_score / 100)
        if resolved_date:
            factors.append(date_factor)
        factors.extend([MISSING_FACTOR] * len(missing))
        if ambiguous:
            factors.append(AMBIGUOUS_FACTOR)
        confidence = 1.0
        for factor in factors:
            confidence *= factor
        confidence = round(max(0.0, min(1.0, confidence)), 2)

    understanding = Understanding(
        query=query,
        intent=intent,
        technician=technician,
        work_order=work_order,
        date=day,
        window=window,
        confidence=confidence,
        summary="",
        technician_candidates=technician_candidates,
        work_order_candidates=work_order_candidates,
        proposal=proposal,
        missing=tuple(missing),
        available_technicians=available,
        notes=tuple(notes),
        fields=fields,
        fallback_reason=fallback_reason,
    )
    return _with_summary(understanding, directory)


def _pick(ranked: list[Scored], to_candidate) -> tuple[object | None, tuple[Candidate, ...], float]:  # type: ignore[no-untyped-def]
    best = leaders(ranked)
    if not best:
        return None, (), 0.0
    if len(best) == 1:
        return best[0].item, (), best[0].score
    candidates = []
    for scored in best:
        base = to_candidate(scored.item)
        candidates.append(Candidate(base.kind, base.id, base.label, round(scored.score, 1)))
    return None, tuple(candidates), 0.0


def _need(found: object | None, candidates: tuple[Candidate, ...], part: str, missing: list[str]) -> None:
    if found is None and not candidates:
        missing.append(part)


def _date_was_corrected(fields: ExtractedFields) -> bool:
    return any(correct in (fields.date_text or "") for _wrong, correct in fields.corrections)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def _existing_window(work_order: WorkOrderEntry, zone: ZoneInfo) -> TimeWindow | None:
    if work_order.window_start and work_order.window_end:
        return TimeWindow(
            work_order.window_start.astimezone(zone), work_order.window_end.astimezone(zone), "as booked"
        )
    if work_order.scheduled_date:
        return _window(work_order.scheduled_date, None, None, zone)
    return None


def _window(
    day: date,
    time_of_day: TimeOfDay | None,
    work_order: WorkOrderEntry | None,
    zone: ZoneInfo,
    *,
    keep_times: bool = False,
) -> TimeWindow:
    """The window on ``day``: the time of day asked for; an exact time opens a window as long as the work
    order's (else :data:`EXACT_TIME_WINDOW`); no time keeps the work order's hours when moving it
    (``keep_times``), else the working day."""
    booked_length: timedelta | None = None
    if work_order and work_order.window_start and work_order.window_end:
        booked_length = work_order.window_end - work_order.window_start
    if time_of_day is None:
        if keep_times and work_order and work_order.window_start and work_order.window_end:
            start_local = work_order.window_start.astimezone(zone)
            start = _at(day, start_local.time().replace(tzinfo=None), zone)
            return TimeWindow(start, start + booked_length, "same time")  # type: ignore[operator]
        return TimeWindow(
            _at(day, WORKING_DAY.start, zone), _at(day, WORKING_DAY.end, zone), WORKING_DAY.label
        )
    start = _at(day, time_of_day.start, zone)
    if time_of_day.end is None:
        return TimeWindow(start, start + (booked_length or EXACT_TIME_WINDOW), time_of_day.label)
    return TimeWindow(start, _at(day, time_of_day.end, zone), time_of_day.label)


def _busy(
    technician: TechnicianEntry,
    window: TimeWindow,
    work_orders: tuple[WorkOrderEntry, ...],
    *,
    except_work_order: WorkOrderEntry | None,
) -> bool:
    for work_order in work_orders:
        if technician.id not in work_order.technician_ids or work_order is except_work_order:
            continue
        if work_order.window_start and work_order.window_end:
            if work_order.window_start < window.end and window.start < work_order.window_end:
                return True
        elif work_order.scheduled_date == window.start.date():
            return True
    return False


def _when(understanding: Understanding, preposition: str = "on") -> str:
    if understanding.date is None:
        return ""
    text = f" {preposition} {understanding.date:%A %-d %B %Y}"
    window = understanding.window
    if window is not None:
        text += f", {window.start:%H:%M}–{window.end:%H:%M}"
        if window.label and not window.label.startswith("at ") and "–" not in window.label:
            text += f" ({window.label})"
    return text


def _with_summary(understanding: Understanding, directory: Directory) -> Understanding:
    from dataclasses import replace

    return replace(understanding, summary=_summary(understanding, directory))


def _summary(understanding: Understanding, directory: Directory) -> str:
    """One sentence saying what was understood, or what is missing or ambiguous."""
    if understanding.intent is Intent.unknown:
        return (
            "I did not understand this as scheduling, rescheduling, unassigning or an availability question."
        )
    questions = []
    if understanding.technician_candidates:
        names = " or ".join(candidate.label for candidate in understanding.technician_candidates)
        questions.append(f"which technician do you mean: {names}?")
    if understanding.work_order_candidates:
        labels = " or ".join(candidate.label for candidate in understanding.work_order_candidates)
        questions.append(f"which job do you mean: {labels}?")
    technician = understanding.technician.full_name if understanding.technician else "a technician"
    work_order = understanding.work_order.label if understanding.work_order else "a work order"
    when = _when(understanding)
    intent = understanding.intent
    if intent is Intent.schedule:
        sentence = f"Assign {technician} to {work_order}{when}."
    elif intent is Intent.reschedule:
        by = f" with {understanding.technician.full_name}" if understanding.technician else ""
        sentence = f"Move {work_order}{_when(understanding, 'to')}{by}."
    elif intent is Intent.unassign:
        who = understanding.technician.full_name if understanding.technician else "every technician"
        sentence = f"Take {who} off {work_order}."
    else:
        free = understanding.available_technicians
        if understanding.technician is not None:
            state = "free" if understanding.technician in free else "booked"
            sentence = f"{understanding.technician.full_name} is {state}{when}."
        else:
            names = ", ".join(candidate.full_name for candidate in free) or "nobody"
            sentence = f"Free{when}: {names}."
    if understanding.missing:
        sentence += " Missing: " + ", ".join(part.replace("_", " ") for part in understanding.missing) + "."
    if questions:
        sentence += " " + " ".join(question[0].upper() + question[1:] for question in questions)
    for note in understanding.notes:
        sentence += " " + note
    return sentence
