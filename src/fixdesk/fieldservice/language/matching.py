"""Fuzzy matching of the names in a request against the directory (``rapidfuzz``).

Scores are 0–100 (rapidfuzz's scale). A word matches a name when their normalised Levenshtein similarity
(``fuzz.ratio``) reaches :data:`MATCH_THRESHOLD`, so "Jon", "Jhon" and "Gracia" find John and Garcia; a
word of :data:`EXACT_LENGTH` letters or fewer must match exactly ("Al" is not "Ali"). A word of four letters
or more that begins a longer name scores :data:`PREFIX_SCORE` ("pump" → "pumping").

A request names a technician or a work order with one or more words; each candidate's score is the mean,
over the request's words, of the best score each word reaches against the candidate's names, so every word
must fit ("Mike Johnson" rules out Mike Brown). Candidates within :data:`AMBIGUITY_MARGIN` points of the
best are equally likely: more than one of them is an ambiguity the dispatcher settles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from fixdesk.fieldservice.language.directory import Directory, TechnicianEntry, WorkOrderEntry

MATCH_THRESHOLD = 80.0
"""The least ``fuzz.ratio`` for a word to match a name: one typo in five letters."""
EXACT_LENGTH = 2
PREFIX_SCORE = 90.0
ONE_TYPO_SCORE = 85.0
"""The score of a word of four letters or more one edit or one swap of neighbours away from a name."""
AMBIGUITY_MARGIN = 5.0

WORK_ORDER_NUMBER = re.compile(r"\bwo[-\s]?(?P<year>\d{4})[-\s]?(?P<sequence>\d{1,6})\b", re.IGNORECASE)
"""``WO-2026-000123`` as typed: any case, dashes or spaces optional."""
SHORT_WORK_ORDER_NUMBER = re.compile(
    r"(?:\bwork\s+order\s+|\bwo\s*|#\s*)(?:number\s+|no\.?\s*)?#?(?P<sequence>\d{1,6})\b", re.IGNORECASE
)
"""``work order 123``, ``#123``, ``WO 123``: the sequence alone, for the current year's numbers."""

STREET_SUFFIXES = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "rd": "road",
    "dr": "drive",
    "ln": "lane",
    "blvd": "boulevard",
    "ct": "court",
    "pl": "place",
    "pkwy": "parkway",
    "hwy": "highway",
    "cir": "circle",
    "trl": "trail",
}
"""Street abbreviations written out, so "Oak St" and "Oak Street" are the same words."""

T = TypeVar("T")


@dataclass(frozen=True)
class Scored(Generic[T]):
    """A candidate and its score (0–100)."""

    item: T
    score: float


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, possessives dropped ("Smith's" → "smith"), street abbreviations
    written out."""
    found = re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())
    result = []
    for word in found:
        word = re.sub(r"['’]s?$", "", word)
        result.append(STREET_SUFFIXES.get(word, word))
    return result


def word_score(word: str, name: str) -> float:
    """How well one request word matches one name word (0–100, see the module docstring)."""
    if word == name or (len(word) > 4 and word.endswith("s") and word[:-1] == name):
        return 100.0  # "the Smiths" is the Smith household
    if len(word) <= EXACT_LENGTH or len(name) <= EXACT_LENGTH:
        return 0.0
    score = fuzz.ratio(word, name)
    if min(len(word), len(name)) >= 4 and OSA.distance(word, name) <= 1:
        score = max(score, ONE_TYPO_SCORE)  # "Jhon": a swap is one typo, which ratio counts as two
    if len(word) >= 4 and name.startswith(word):
        score = max(score, PREFIX_SCORE)
    return score


def best_word_score(word: str, names: set[str] | frozenset[str]) -> float:
    return max((word_score(word, name) for name in names), default=0.0)


def technician_names(technician: TechnicianEntry) -> frozenset[str]:
    """The words a request may name a technician by: first name, last name, nicknames."""
    return frozenset(words(" ".join((technician.first_name, technician.last_name, *technician.nicknames))))


SERVICE_WORDS_IGNORED = frozenset({"service", "services", "and", "of", "the", "a"})


def work_order_names(work_order: WorkOrderEntry) -> frozenset[str]:
    """The words a request may name a work order by: the customer's names, the service type's words and
    the street line's words (the house number included, the suffix written out)."""
    names = words(
        " ".join(
            (
                work_order.customer_first_name,
                work_order.customer_last_name,
                work_order.service_type,
                work_order.street_address,
            )
        )
    )
    return frozenset(name for name in names if name not in SERVICE_WORDS_IGNORED)


def rank(query_words: list[str], candidates: list[tuple[T, frozenset[str]]]) -> list[Scored[T]]:
    """Candidates whose every query word matches one of their names, best first, by mean word score."""
    ranked: list[Scored[T]] = []
    if not query_words:
        return ranked
    for item, names in candidates:
        scores = [best_word_score(word, names) for word in query_words]
        if min(scores) < MATCH_THRESHOLD:
            continue
        ranked.append(Scored(item, sum(scores) / len(scores)))
    ranked.sort(key=lambda scored: -scored.score)
    return ranked


def leaders(ranked: list[Scored[T]]) -> list[Scored[T]]:
    """The candidates within :data:`AMBIGUITY_MARGIN` of the best (empty when none matched)."""
    if not ranked:
        return []
    best = ranked[0].score
    return [scored for scored in ranked if best - scored.score <= AMBIGUITY_MARGIN]


def match_technicians(text: str, directory: Directory) -> list[Scored[TechnicianEntry]]:
    """The technicians ``text`` may name ("John", "Mike Johnson", "Bobby", "Jhon"), best first."""
    return rank(
        words(text), [(technician, technician_names(technician)) for technician in directory.technicians]
    )


JOB_FILLER_WORDS = frozenset(
    {
        "the",
        "a",
        "job",
        "jobs",
        "work",
        "order",
        "call",
        "visit",
        "appointment",
        "ticket",
        "house",
        "place",
        "home",
        "site",
        "at",
        "on",
        "for",
        "of",
        "in",
        "to",
        "one",
        "customer",
        "service",
        "residence",
        "property",
    }
)
"""Words around a job's name that do not name it ("the Smith *job*", "the *one on* Oak Street")."""


def match_work_orders(text: str, directory: Directory) -> list[Scored[WorkOrderEntry]]:
    """The work orders ``text`` may name, best first: by number (``WO-2026-000123``, exact), else by the
    customer's name, the service type and the street ("the Garcia pumping", "Oak Street", "Smiths")."""
    number = WORK_ORDER_NUMBER.search(text)
    short = SHORT_WORK_ORDER_NUMBER.search(text) if number is None else None
    if number or short:
        sequence = int((number or short).group("sequence"))  # type: ignore[union-attr]
        year = number.group("year") if number else None
        found = [
            Scored(work_order, 100.0)
            for work_order in directory.work_orders
            if _sequence(work_order.number) == sequence
            and (year is None or work_order.number.split("-")[1] == year)
        ]
        return found
    query_words = [word for word in words(text) if word not in JOB_FILLER_WORDS]
    return rank(
        query_words, [(work_order, work_order_names(work_order)) for work_order in directory.work_orders]
    )


def _sequence(number: str) -> int | None:
    match = re.search(r"(\d+)$", number)
    return int(match.group(1)) if match else None
