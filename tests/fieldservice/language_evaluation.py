"""The labelled requests of ``language_cases.json`` (see ``language_cases_source.py``), loaded and scored,
for ``test_language_accuracy.py`` and ``benchmarks/dispatch_language.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fixdesk.fieldservice.language import Directory, TechnicianEntry, Understanding, WorkOrderEntry

CASES_FILE = Path(__file__).with_name("language_cases.json")


@dataclass(frozen=True)
class LabelledCase:
    category: str
    core: bool
    query: str
    now: datetime
    expected: dict[str, Any]


def load() -> tuple[Directory, str, list[LabelledCase]]:
    """The directory, the shop's time zone and the cases."""
    data = json.loads(CASES_FILE.read_text())
    timezone = data["directory"]["timezone"]
    zone = ZoneInfo(timezone)

    def moment(day: str | None, clock: str | None) -> datetime | None:
        if day is None or clock is None:
            return None
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone)

    directory = Directory(
        technicians=tuple(
            TechnicianEntry(item["id"], item["first_name"], item["last_name"], tuple(item["nicknames"]))
            for item in data["directory"]["technicians"]
        ),
        work_orders=tuple(
            WorkOrderEntry(
                id=item["id"],
                number=item["number"],
                customer_first_name=item["customer_first_name"],
                customer_last_name=item["customer_last_name"],
                service_type=item["service_type"],
                street_address=item["street_address"],
                scheduled_date=date.fromisoformat(item["scheduled_date"]) if item["scheduled_date"] else None,
                window_start=moment(item["scheduled_date"], item["window_start"]),
                window_end=moment(item["scheduled_date"], item["window_end"]),
                technician_ids=tuple(item["technician_ids"]),
            )
            for item in data["directory"]["work_orders"]
        ),
    )
    cases = [
        LabelledCase(
            item["category"],
            item["core"],
            item["query"],
            datetime.fromisoformat(item["now"]),
            item["expected"],
        )
        for item in data["cases"]
    ]
    return directory, timezone, cases


def observed(understanding: Understanding) -> dict[str, Any]:
    """The answer in the labels' terms."""
    window = understanding.window
    return {
        "intent": understanding.intent.value,
        "technician": understanding.technician.id if understanding.technician else None,
        "work_order": understanding.work_order.number if understanding.work_order else None,
        "date": understanding.date.isoformat() if understanding.date else None,
        "window": [f"{window.start:%H:%M}", f"{window.end:%H:%M}"] if window else None,
        "technician_candidates": sorted(c.id for c in understanding.technician_candidates),
        "work_order_candidates": sorted(
            next(w.number for w in _work_orders if w.id == c.id) for c in understanding.work_order_candidates
        )
        if understanding.work_order_candidates
        else [],
    }


_work_orders: tuple[WorkOrderEntry, ...] = ()


def differences(case: LabelledCase, understanding: Understanding) -> dict[str, tuple[Any, Any]]:
    """The labelled fields the answer gets wrong: ``{field: (expected, observed)}``."""
    seen = observed(understanding)
    return {key: (value, seen[key]) for key, value in case.expected.items() if seen[key] != value}


def evaluate(
    run: Callable[[LabelledCase], Understanding],
) -> list[tuple[LabelledCase, Understanding, dict[str, tuple[Any, Any]]]]:
    """Every case with its answer and differences (empty when right)."""
    global _work_orders
    directory, _timezone, cases = load()
    _work_orders = directory.work_orders
    results = []
    for case in cases:
        understanding = run(case)
        results.append((case, understanding, differences(case, understanding)))
    return results
