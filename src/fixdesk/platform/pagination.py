"""Page/pageSize pagination: every list answers ``{items, total, totalIsEstimate, page, pageSize,
totalPages}``.

Totals are exact up to :data:`EXACT_TOTAL_LIMIT` (10,000) rows and an estimate beyond, flagged by
``totalIsEstimate: true``: counting every row of a large table on every page view is what made lists slow
(an exact ``count(*)`` over 250,000 repairs is 13 ms of PostgreSQL time per request). The count stops
after 10,001 rows (``SELECT count(*) FROM (SELECT 1 … LIMIT 10001)``); beyond that PostgreSQL's planner
estimate of the filtered query (``EXPLAIN``) is used, never below 10,001. SQLite has no planner estimate,
so there a total beyond 10,000 is reported as 10,001, meaning "more than 10,000" (what a list shows as
"10,000+"). A first page that is not full needs no count at all: its length is the total.

An estimated total is reused: for :data:`ESTIMATE_REUSE_SECONDS` (30 s) after a list was found beyond
10,000 rows, the same list with the same filters answers its estimate again without counting
(:class:`EstimatedTotals`, one per app, kept in process memory), so a busy shop reloading its lists does not
count 10,001 rows on each view (about 5 ms of PostgreSQL time at 250,000 repairs) for a figure that is an
estimate anyway. Totals within 10,000 are never reused: they are counted on every view and stay exact. A
list that shrank below 10,000 rows shows its old estimate, flagged as such, for those seconds at most.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from fixdesk.platform.deps import APP_STATE_INFO_KEY
from fixdesk.platform.direct import Database, DirectReader
from fixdesk.platform.schemas import CamelModel

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
EXACT_TOTAL_LIMIT = 10_000
"""Lists count exactly up to this many rows; beyond, the total is an estimate (``totalIsEstimate``)."""
ESTIMATE_REUSE_SECONDS = 30.0
"""How long an estimated total is answered again without counting (see :class:`EstimatedTotals`)."""


class ListTotal(int):
    """The total of a list (an ``int``) that knows whether it is an estimate (see the module docstring)."""

    is_estimate: bool

    def __new__(cls, value: int, *, is_estimate: bool = False) -> ListTotal:
        total = super().__new__(cls, value)
        total.is_estimate = is_estimate
        return total


class EstimatedTotals:
    """The estimated totals of lists found beyond :data:`EXACT_TOTAL_LIMIT` rows, each reused for ``seconds``
    (see the module docstring), keyed by the list: its statement and the values bound in it.

    One per app (``app.state.list_estimates``), in process memory: reads reach it through their session's
    ``info`` (:data:`fixdesk.platform.deps.APP_STATE_INFO_KEY`), so sessions outside a request (jobs, the
    CLI) always count. At most ``capacity`` lists are kept, the least recently stored leaving first.
    ``clock`` gives seconds (monotonic).
    """

    def __init__(
        self,
        seconds: float = ESTIMATE_REUSE_SECONDS,
        *,
        capacity: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.capacity = capacity
        self.clock = clock
        self._totals: OrderedDict[Hashable, tuple[float, ListTotal]] = OrderedDict()
        self._until = -math.inf

    @property
    def empty(self) -> bool:
        """Whether no estimate is current: checked before a list's key is worked out, so that a shop whose
        lists all stay within the exact limit pays nothing for this cache."""
        return self._until <= self.clock()

    def get(self, key: Hashable) -> ListTotal | None:
        """The current estimate of the list ``key``, or ``None``."""
        entry = self._totals.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._totals[key]
            return None
        return entry[1]

    def put(self, key: Hashable, total: ListTotal) -> None:
        """Keep ``total`` (an estimate) for the list ``key`` for :attr:`seconds`."""
        if not total.is_estimate:
            raise ValueError("Only estimated totals are reused; exact ones are counted on every view.")
        expires = self.clock() + self.seconds
        self._totals[key] = (expires, total)
        self._totals.move_to_end(key)
        self._until = expires
        while len(self._totals) > self.capacity:
            self._totals.popitem(last=False)


async def reused_total(
    database: Database, key: Callable[[], Hashable], total: Callable[[], Awaitable[ListTotal]]
) -> ListTotal:
    """The list's total: its estimate reused when one is current, else ``await total()``, whose estimate (a
    total beyond :data:`EXACT_TOTAL_LIMIT`) is then kept for the next views (see :class:`EstimatedTotals`).

    ``key()`` names the list with its filters; it is called only when an estimate may be current or one is
    to be kept, so a read whose lists stay within the exact limit never works it out. Outside a request
    (``database`` holds no app state) every total is ``await total()``."""
    state = database.info.get(APP_STATE_INFO_KEY)
    estimates: EstimatedTotals | None = getattr(state, "list_estimates", None)
    if estimates is None:
        return await total()
    named = None
    if not estimates.empty:
        named = key()
        reused = estimates.get(named)
        if reused is not None:
            return reused
    result = await total()
    if result.is_estimate:
        estimates.put(key() if named is None else named, result)
    return result


def _list_key(statement: Select[Any]) -> Hashable:
    # SQLAlchemy's cache key of the statement (what its compiled-statement cache is keyed by: the
    # statement's structure without its values) and the values bound in it; repr keeps values that are
    # lists or dictionaries (an IN, a JSON filter) usable as part of a key, and tells 1 from True.
    cache_key = statement._generate_cache_key()
    if cache_key is None:
        compiled = statement.compile()
        return (str(compiled), repr(compiled.params))
    return (cache_key.key, repr([parameter.effective_value for parameter in cache_key.bindparams]))


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
    """The number of rows of ``statement``: exact up to :data:`EXACT_TOTAL_LIMIT`, else an estimate, which
    a request's read reuses for a while (see the module docstring)."""
    unordered = statement.order_by(None)

    async def total() -> ListTotal:
        counted = unordered
        if not (unordered._distinct or unordered._group_by_clauses):
            # Only the row count matters: "SELECT 1" lets the database skip reading the columns (an
            # index-only scan where one fits). DISTINCT and GROUP BY need their columns to count the right
            # rows.
            counted = unordered.with_only_columns(literal_column("1"), maintain_column_froms=True)
        bounded = counted.limit(EXACT_TOTAL_LIMIT + 1).subquery()
        exact = (await session.execute(select(func.count()).select_from(bounded))).scalar_one()
        return await total_from_bounded_count(session, exact, unordered)

    return await reused_total(session, lambda: _list_key(unordered), total)


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
