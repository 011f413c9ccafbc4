"""A fixed moment for tests whose expectations carry the date (repair numbers hold the year, the latest
accepted release year is next year's, the demo shop is generated for a moment).

Such a test either computes its expectation from the clock the code uses at the moment it uses it, or runs
with the process clock moved to :data:`FIXED_NOW` (the ``fixed_clock`` fixture of ``tests/conftest.py``):
``datetime.now`` and ``time.time`` start there and tick on, for the test and the app alike, so the test
gives the same answer on every day, New Year's Eve included. Only the clock of the test process moves:
servers and workers started as subprocesses keep the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import time_machine

FIXED_NOW = datetime(2026, 6, 17, 14, 30, tzinfo=UTC)
"""A Wednesday afternoon in the shop's default time zone, far from a year's, a month's or a DST change's
boundary (the twelve months before it cross two DST changes, as any year's do)."""


@contextmanager
def clock_at(moment: datetime = FIXED_NOW) -> Iterator[datetime]:
    """Move the process clock to ``moment`` (aware) and let it tick from there; yields ``moment``."""
    with time_machine.travel(moment, tick=True):
        yield moment
