"""Time buckets in SQL, the same on SQLite and PostgreSQL: a chart's points are consecutive intervals
``[boundaries[i], boundaries[i + 1])`` computed in Python (in the shop's time zone, so a day is the shop's
day), and one aggregate query groups rows by the index of the interval their timestamp falls in.

Grouping by ``date_trunc`` (PostgreSQL) or ``strftime`` (SQLite) would differ between the two databases
and ignore the shop's time zone; a ``CASE`` over at most a few dozen boundaries does neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal


def in_buckets(column: Any, boundaries: Sequence[datetime]) -> ColumnElement[bool]:
    """``boundaries[0] <= column < boundaries[-1]``: the rows some bucket holds (use it in the WHERE)."""
    return and_(column >= boundaries[0], column < boundaries[-1])


def bucket_index(column: Any, boundaries: Sequence[datetime]) -> ColumnElement[int]:
    """The index ``i`` of the interval ``[boundaries[i], boundaries[i + 1])`` holding ``column`` (for a row
    :func:`in_buckets` keeps): group and label an aggregate by it. Needs at least two boundaries."""
    if len(boundaries) < 2:
        raise ValueError("buckets need at least two boundaries")
    whens = [(column < boundary, literal(index)) for index, boundary in enumerate(boundaries[1:-1])]
    last = literal(len(boundaries) - 2)
    if not whens:
        return last
    return case(*whens, else_=last)
