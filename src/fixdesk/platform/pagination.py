"""Page/pageSize pagination: every list answers ``{items, total, totalIsEstimate, page, pageSize,
totalPages}``.

Totals are exact up to :data:`EXACT_TOTAL_LIMIT` (10,000) rows and an estimate beyond, flagged by
``totalIsEstimate: true``: counting every row of a large table on every page view is what made lists slow
(an exact ``count(*)`` over 250,000 repairs is 13 ms of PostgreSQL time per request). The count stops
after 10,001 rows (``SELECT count(*) FROM (SELECT 1 … LIMIT 10001)``); beyond that PostgreSQL's planner
estimate of the filtered query (``EXPLAIN``) is used, never below 10,001. SQLite has no planner estimate,
so there a total beyond 10,000 is reported as 10,001, meaning "more than 10,000" (what a list shows as
"10,000+"). A first page that is not full needs no count at all: its length is the total.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from fixdesk.platform.direct import Database, DirectReader
from fixdesk.platform.schemas import CamelModel

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
EXACT_TOTAL_LIMIT = 10_000
"""Lists count exactly up to this many rows; beyond, the total is an estimate (``totalIsEstimate``)."""


class ListTotal(int):
    """The total of a list (an ``int``) that knows whether it is an estimate (see the module docstring)."""

    is_estimate: bool

    def __new__(cls, value: int, *, is_estimate: bool = False) -> ListTotal:
        total = super().__new__(cls, value)
        total.is_estimate = is_estimate
        return total


class PageParams(BaseModel):
    """``page`` ≥ 1 and ``pageSize`` 1..100 (default 20); ``page_size`` is accepted too."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")] = 1,
    page_size_camel: Annotated[
        int | None, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE, description="Items per page, 1..100")
    ] = None,
    page_size_snake: Annotated[
        int | None, Query(alias="page_size", ge=1, le=MAX_PAGE_SIZE, include_in_schema=False)
    ] = None,
) -> PageParams:
    """FastAPI dependency reading the pagination query parameters."""
    size = page_size_camel or page_size_snake or DEFAULT_PAGE_SIZE
    return PageParams(page=page, page_size=size)


class Page(CamelModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(
        description=f"Number of items of the whole list: exact up to {EXACT_TOTAL_LIMIT:,}, beyond that an "
        "estimate (see totalIsEstimate)"
    )
    total_is_estimate: bool = Field(
        description=f"True when the list has more than {EXACT_TOTAL_LIMIT:,} items and total (and so "
        'totalPages) is an estimate: PostgreSQL\'s planner estimate, or 10001 meaning "more than 10,000" on '
        "SQLite"
    )
    page: int
    page_size: int
    total_pages: int

    @classmethod
    def build(cls, items: Sequence[Any], total: int, params: PageParams) -> Page[T]:
        """The page of ``items``; ``total`` as :func:`paginate` returns it (a :class:`ListTotal` carries
        whether it is an estimate)."""
        return cls(
            items=list(items),
            total=int(total),
            total_is_estimate=getattr(total, "is_estimate", False),
            page=params.page,
            page_size=params.page_size,
            total_pages=math.ceil(total / params.page_size) if total else 0,
        )


async def paginate(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[Sequence[Any], ListTotal]:
    """Run ``statement`` for one page and the list's total (:class:`ListTotal`): one query when the first
    page is not full, two otherwise, three for a PostgreSQL list over 10,000 rows (its estimate).

    The count runs over the statement without its ORDER BY (and without eager-load options) and stops
    after :data:`EXACT_TOTAL_LIMIT` + 1 rows, so no list pays a full count.
    """
    rows = (await session.execute(statement.limit(params.page_size).offset(params.offset))).scalars().all()
    if params.offset == 0 and len(rows) < params.page_size:
        return rows, ListTotal(len(rows))
    total = await count_total(session, statement)
    return rows, total


async def paginate_rows(
    session: AsyncSession, statement: Select[Any], params: PageParams, *, counted: Select[Any] | None = None
) -> tuple[Sequence[Any], ListTotal]:
    """:func:`paginate` for a statement of several columns (Core rows, not ORM objects): the page's rows
    and the total of ``counted`` (default ``statement``), which may leave out joins that add columns
    but no rows, so the count does not pay for them."""
    rows = (await session.execute(statement.limit(params.page_size).offset(params.offset))).all()
    if params.offset == 0 and len(rows) < params.page_size:
        return rows, ListTotal(len(rows))
    return rows, await count_total(session, statement if counted is None else counted)


async def count_total(session: AsyncSession, statement: Select[Any]) -> ListTotal:
    """The number of rows of ``statement``: exact up to :data:`EXACT_TOTAL_LIMIT`, else an estimate (see the
    module docstring)."""
    unordered = statement.order_by(None)
    counted = unordered
    if not (unordered._distinct or unordered._group_by_clauses):
        # Only the row count matters: "SELECT 1" lets the database skip reading the columns (an index-only
        # scan where one fits). DISTINCT and GROUP BY need their columns to count the right rows.
        counted = unordered.with_only_columns(literal_column("1"), maintain_column_froms=True)
    bounded = counted.limit(EXACT_TOTAL_LIMIT + 1).subquery()
    exact = (await session.execute(select(func.count()).select_from(bounded))).scalar_one()
    return await total_from_bounded_count(session, exact, unordered)


def bounded_count(statement: Select[Any]) -> Select[Any]:
    """``SELECT count(*) AS count FROM (<statement's rows as 1> LIMIT 10001)``: what :func:`count_total`
    runs, for a statement built once (its cache key and compiled SQL reused) and passed with
    :func:`total_from_bounded_count`."""
    counted = statement.with_only_columns(literal_column("1"), maintain_column_froms=True)
    return select(func.count().label("count")).select_from(counted.limit(EXACT_TOTAL_LIMIT + 1).subquery())


async def total_from_bounded_count(
    database: Database, exact: int, statement: Select[Any] | None
) -> ListTotal:
    """The :class:`ListTotal` of ``statement`` whose :func:`bounded_count` was ``exact``: itself up to
    :data:`EXACT_TOTAL_LIMIT`, else the estimate (PostgreSQL's planner's for ``statement``, whose values must
    all be bound; it may be ``None`` when ``exact`` is within the limit). ``database``: a session, or a
    reader (:mod:`fixdesk.platform.direct`)."""
    if exact <= EXACT_TOTAL_LIMIT:
        return ListTotal(exact)
    if statement is None:
        raise ValueError("A total beyond the exact limit needs the statement to estimate.")
    estimate = EXACT_TOTAL_LIMIT + 1
    if isinstance(database, DirectReader):
        backend: str | None = database.dialect.name
    else:
        backend = database.bind.dialect.name if database.bind is not None else None
    if backend == "postgresql":
        estimate = max(estimate, await _planner_estimate(database, statement.order_by(None)))
    return ListTotal(estimate, is_estimate=True)


class _ExplainJSON(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <statement>``, compiled with the statement's own bound parameters."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(_ExplainJSON, "postgresql")
def _compile_explain(element: _ExplainJSON, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


async def _planner_estimate(database: Database, statement: Select[Any]) -> int:
    """PostgreSQL's estimate of the rows ``statement`` returns (``EXPLAIN (FORMAT JSON)``'s ``Plan Rows``):
    no row is read, and values stay bound parameters."""
    explain = _ExplainJSON(statement)
    if isinstance(database, DirectReader):
        plan = await database.scalar(explain)
    else:
        plan = (await database.execute(explain)).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
