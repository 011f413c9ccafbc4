"""The offline parser: a request's intent and the words that name the technician, the job, the day and the
time, without a model.

It fills the same :class:`ExtractedFields` a language model fills through its tool call, and the same
resolver (:mod:`fixdesk.fieldservice.language.engine`) checks either. The steps:

1. Lower case; words within one typo of a scheduling word ("tomorow", "wendsday", "reschedual", "afternon")
   are corrected, unless they are a name in the directory.
2. The work order number (``WO-2026-000123``, "work order 123", "#123"), the date phrase and the time
   phrase are cut out (:mod:`fixdesk.fieldservice.language.when`).
3. The intent comes from the verbs (:data:`INTENT_PATTERNS`, first match wins: "unassign" before "assign",
   "who is free" before "schedule").
4. Every other word is looked up in the directory's names: a word only a technician is called is the
   technician, a word only a work order carries (customer, service type, street) is the job. A word both
   may carry ("Johnson", a technician and a customer) is the job when the words around it say so ("the
   Johnson job", "Johnson's", "the Johnson pumping"), it joins a neighbouring name, else it is the
   technician while none is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process

from fixdesk.fieldservice.language.directory import Directory
from fixdesk.fieldservice.language.matching import (
    JOB_FILLER_WORDS,
    MATCH_THRESHOLD,
    SHORT_WORK_ORDER_NUMBER,
    WORK_ORDER_NUMBER,
    best_word_score,
    technician_names,
    work_order_names,
)
from fixdesk.fieldservice.language.when import find_date, find_time


class Intent(StrEnum):
    """What the dispatcher asks for."""

    schedule = "schedule"
    """Assign a technician to a work order (on a day and window): "Schedule John for the Smith job"."""
    reschedule = "reschedule"
    """Move a work order to another day or time (or technician): "move the Garcia pumping to Tuesday"."""
    availability = "availability"
    """Who is free when: "who is free Friday afternoon?", "is Sarah available tomorrow?"."""
    unassign = "unassign"
    """Take a technician off a work order: "unassign Mike from WO-2026-000123"."""
    unknown = "unknown"


@dataclass(frozen=True)
class ExtractedFields:
    """The words of a request that name each part, before they are resolved.

    ``intent_score`` (0–1) says how sure the intent is: 1 when a scheduling verb was found as written, 0.9
    when it was found after a typo correction, 0 for :attr:`Intent.unknown`. ``corrections`` lists the
    words corrected (``("tomorow", "tomorrow")``). ``source`` is ``offline`` or ``model``.
    """

    intent: Intent
    technician_text: str | None = None
    job_text: str | None = None
    date_text: str | None = None
    time_text: str | None = None
    intent_score: float = 1.0
    corrections: tuple[tuple[str, str], ...] = ()
    source: str = "offline"


INTENT_PATTERNS: tuple[tuple[Intent, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(pattern))
    for intent, pattern in (
        (Intent.unassign, r"\b(?:un-?assign|de-?assign|unbook)\w*"),
        (Intent.unassign, r"\b(?:remove|take|pull|drop|release|move|get|unschedule)\b.*\b(?:off|from)\b"),
        (Intent.availability, r"\bwho(?:'s|\s+is|\s+are|\s+s)?\b.*\b(?:free|available|open|around)\b"),
        (Intent.availability, r"\b(?:is|are|who's)\b.*\b(?:free|available|busy|booked|open)\b"),
        (
            Intent.availability,
            r"\bavailab(?:le|ility)\b|\bany(?:one|body)\b.*\bfree\b|\bwho\s+(?:can|could)\b",
        ),
        (Intent.availability, r"\bwho\s+has\s+(?:time|room|capacity)\b|\bfree\s+slots?\b|\bwho\s+is\s+off\b"),
        (Intent.reschedule, r"\bre-?(?:schedul|book)\w*|\bbring\b.*\bforward\b|\bpush\w*\b.*\bback\b"),
        (Intent.reschedule, r"\b(?:move|moving|push|shift|bump|postpone|delay|change)\b"),
        (Intent.schedule, r"\b(?:schedule|assign|reassign|book|put|send|dispatch|give|slot|pencil|add)\b"),
        (Intent.schedule, r"\b(?:have|get)\b.*\b(?:do|take|handle|cover)\b|\bset\s+up\b|\bneed\b"),
    )
)

CORRECTABLE_WORDS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "tomorrow",
    "morning",
    "afternoon",
    "evening",
    "tonight",
    "schedule",
    "reschedule",
    "unassign",
    "assign",
    "available",
    "availability",
    "postpone",
)
INTENT_WORDS = frozenset(
    {"schedule", "reschedule", "unassign", "assign", "available", "availability", "postpone"}
)
CORRECTION_THRESHOLD = 80.0

STOP_WORDS = frozenset(
    {
        *JOB_FILLER_WORDS,
        "schedule",
        "reschedule",
        "assign",
        "reassign",
        "unassign",
        "book",
        "rebook",
        "put",
        "send",
        "move",
        "push",
        "shift",
        "bump",
        "postpone",
        "delay",
        "change",
        "give",
        "dispatch",
        "remove",
        "take",
        "pull",
        "drop",
        "release",
        "off",
        "from",
        "who",
        "whos",
        "is",
        "are",
        "free",
        "available",
        "availability",
        "busy",
        "booked",
        "can",
        "could",
        "would",
        "you",
        "please",
        "pls",
        "plz",
        "i",
        "we",
        "me",
        "us",
        "need",
        "needs",
        "want",
        "an",
        "with",
        "and",
        "it",
        "that",
        "this",
        "have",
        "has",
        "let",
        "lets",
        "get",
        "set",
        "up",
        "out",
        "instead",
        "over",
        "any",
        "anyone",
        "anybody",
        "somebody",
        "someone",
        "open",
        "tech",
        "techs",
        "technician",
        "technicians",
        "guy",
        "do",
        "does",
        "there",
        "what",
        "about",
        "hey",
        "ok",
        "okay",
        "so",
        "then",
        "now",
        "asap",
        "make",
        "sure",
        "be",
        "should",
        "his",
        "her",
        "their",
        "my",
        "our",
        "back",
        "forward",
        "bring",
        "slot",
        "pencil",
        "add",
        "handle",
        "cover",
        "time",
        "room",
        "capacity",
        "slots",
        "around",
        "until",
        "same",
        "day",
        "next",
        "week",
        "later",
        "earlier",
        "assigned",
        "scheduled",
        "him",
        "them",
        "she",
        "he",
        "they",
        "go",
        "goes",
        "going",
        "head",
        "by",
        "as",
        "if",
        "or",
        "not",
        "no",
        "longer",
        "doing",
    }
)
JOB_CONTEXT_AFTER = frozenset(
    {
        "job",
        "jobs",
        "call",
        "visit",
        "appointment",
        "ticket",
        "house",
        "place",
        "residence",
        "property",
        "work",
    }
)


@dataclass
class _Token:
    word: str
    start: int
    end: int
    possessive: bool = False
    role: str = ""  # "technician", "job" or "" (none yet); "both" while undecided
    tech_score: float = 0.0
    job_score: float = 0.0
    neighbours: list[str] = field(default_factory=list)


def extract_fields(query: str, directory: Directory) -> ExtractedFields:
    """The offline reading of ``query`` against ``directory`` (see the module docstring)."""
    technician_vocabulary: set[str] = set()
    for technician in directory.technicians:
        technician_vocabulary |= technician_names(technician)
    job_vocabulary: set[str] = set()
    for work_order in directory.work_orders:
        job_vocabulary |= work_order_names(work_order)
    service_vocabulary = {
        word
        for work_order in directory.work_orders
        for word in re.findall(r"[a-z]+", work_order.service_type.lower())
    }

    text, corrections = _correct_typos(
        query.lower().replace("’", "'"), protected=technician_vocabulary | job_vocabulary
    )
    job_number: str | None = None
    for pattern in (WORK_ORDER_NUMBER, SHORT_WORK_ORDER_NUMBER):
        match = pattern.search(text)
        if match:
            job_number = match.group(0).strip()
            text = _blank(text, match.start(), match.end())
            break

    date_found = find_date(text)
    date_text = date_found.text.strip() if date_found else None
    time_found = None
    if date_found:
        if re.search(r"tonight|morning|afternoon|evening", date_found.text):
            time_found = date_found  # "tonight", "this morning": a day and a time in one
        text = _blank(text, date_found.start, date_found.end)
    if time_found is None:
        time_found = find_time(text)
        if time_found:
            text = _blank(text, time_found.start, time_found.end)
    time_text = time_found.text.strip() if time_found else None

    intent, intent_score = Intent.unknown, 0.0
    for candidate, pattern in INTENT_PATTERNS:
        if pattern.search(text):
            intent = candidate
            corrected_intent_word = any(correct in INTENT_WORDS for _wrong, correct in corrections)
            intent_score = 0.9 if corrected_intent_word else 1.0
            break

    tokens = _tag(text, technician_vocabulary, job_vocabulary, service_vocabulary)
    technician_words = _first_group([token for token in tokens if token.role == "technician"])
    job_words = [token.word for token in tokens if token.role == "job"]
    job_text = job_number or (" ".join(job_words) if job_words else None)
    if intent is Intent.unknown:
        named_job = job_number is not None or any(
            token.role == "job" and token.job_score == 100 for token in tokens
        )  # a job named exactly: "weather" within one typo of "water" names nothing
        intent = _inferred_intent(text, bool(technician_words), named_job, bool(date_text or time_text))
        intent_score = INFERRED_INTENT_SCORE if intent is not Intent.unknown else 0.0
    return ExtractedFields(
        intent=intent,
        technician_text=" ".join(technician_words) or None,
        job_text=job_text,
        date_text=date_text,
        time_text=time_text,
        intent_score=intent_score,
        corrections=tuple(corrections),
    )


INFERRED_INTENT_SCORE = 0.7
"""The intent's score when no verb said it and the parts named decide it (see :func:`_inferred_intent`)."""


def _inferred_intent(text: str, technician: bool, job: bool, when: bool) -> Intent:
    """The intent of a request without a scheduling verb ("Could Johnny swing by the Smith pumping on
    Friday?"), from what it names: a question with "who" and a time asks who is free; a technician and a
    job assign; a job and a time move it. Anything else stays unknown."""
    if re.search(r"\bwho\b", text) and when and not job:
        return Intent.availability
    if technician and job:
        return Intent.schedule
    if job and when:
        return Intent.reschedule
    return Intent.unknown


def _blank(text: str, start: int, end: int) -> str:
    # Spaces keep the other offsets valid; a comma keeps the words on either side from reading as one name.
    return text[:start] + " ," + " " * (end - start - 2) + text[end:] if end - start >= 2 else text


def _correct_typos(text: str, *, protected: set[str]) -> tuple[str, list[tuple[str, str]]]:
    corrections: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 5 or word in CORRECTABLE_WORDS or word in protected or word in STOP_WORDS:
            return word
        best = process.extractOne(
            word, CORRECTABLE_WORDS, scorer=fuzz.ratio, score_cutoff=CORRECTION_THRESHOLD
        )
        if best is None:
            return word
        corrections.append((word, best[0]))
        return best[0]

    return re.sub(r"[a-z]+", replace, text), corrections


def _tag(
    text: str, technician_vocabulary: set[str], job_vocabulary: set[str], service_vocabulary: set[str]
) -> list[_Token]:
    raw = [
        (match.group(0), match.start(), match.end())
        for match in re.finditer(r"[a-z0-9]+(?:'[a-z]*)?|,", text)
    ]
    words = [re.sub(r"'s?$|'$", "", word) for word, _start, _end in raw]
    tokens: list[_Token] = []
    for index, (word, start, end) in enumerate(raw):
        base = words[index]
        if base == "," or (base in STOP_WORDS and base not in technician_vocabulary | job_vocabulary):
            continue
        token = _Token(base, start, end, possessive=word.endswith(("'s", "'")))
        token.tech_score = best_word_score(base, technician_vocabulary) if not base.isdigit() else 0.0
        token.job_score = (
            (100.0 if base in job_vocabulary else 0.0)
            if base.isdigit()
            else best_word_score(base, job_vocabulary)
        )
        before = words[index - 1] if index > 0 else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        job_context = (
            token.possessive
            or after in JOB_CONTEXT_AFTER
            or after in service_vocabulary
            or before in ("the", "at", "on")
        )
        is_tech = token.tech_score >= MATCH_THRESHOLD
        is_job = token.job_score >= MATCH_THRESHOLD
        if is_tech and is_job:
            if job_context and token.job_score >= token.tech_score - 10:
                token.role = "job"
            elif token.tech_score > token.job_score + 10:
                token.role = "technician"
            elif token.job_score > token.tech_score + 10:
                token.role = "job"
            else:
                token.role = "both"
        elif is_tech:
            token.role = "job" if job_context and before == "the" and token.tech_score < 100 else "technician"
        elif is_job:
            token.role = "job"
        else:
            continue
        token.neighbours = [before, after]
        tokens.append(token)
    _settle_undecided(tokens)
    return tokens


def _settle_undecided(tokens: list[_Token]) -> None:
    for index, token in enumerate(tokens):
        if token.role != "both":
            continue
        adjacent = [
            other.role
            for other in (
                tokens[index - 1] if index > 0 else None,
                tokens[index + 1] if index + 1 < len(tokens) else None,
            )
            if (other is not None and abs(other.start - token.end) <= 1)
            or (other is not None and abs(token.start - other.end) <= 1)
        ]
        if "technician" in adjacent:
            token.role = "technician"
        elif "job" in adjacent:
            token.role = "job"
        elif not any(other.role == "technician" for other in tokens):
            token.role = "technician"
        else:
            token.role = "job"


def _first_group(tokens: list[_Token]) -> list[str]:
    """The first run of adjacent technician words ("mike johnson"), so two names do not blend into one."""
    group: list[str] = []
    last_end: int | None = None
    for token in tokens:
        if last_end is not None and token.start - last_end > 1:
            break
        group.append(token.word)
        last_end = token.end
    return group
