"""Page/pageSize pagination: every list answers ``{items, total, page, pageSize, totalPages}``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.platform.schemas import CamelModel

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class PageParams(BaseModel):
    """``page`` ≥ 1 and ``pageSize`` 1..100 (default 20); ``page_size`` is accepted too."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_params(
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
    total: int
    page: int
    page_size: int
    total_pages: int

    @classmethod
    def build(cls, items: Sequence[Any], total: int, params: PageParams) -> Page[T]:
        return cls(
            items=list(items),
            total=total,
            page=params.page,
            page_size=params.page_size,
            total_pages=math.ceil(total / params.page_size) if total else 0,
        )


async def paginate(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[Sequence[Any], int]:
    """Run ``statement`` for one page and count the whole result: two queries whatever the page size.

    The count runs over the statement without its ORDER BY (and without eager-load options), so the
    database can answer it from an index.
    """
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    total = (await session.execute(count_statement)).scalar_one()
    if total == 0 or params.offset >= total:
        return [], total
    rows = (await session.execute(statement.limit(params.page_size).offset(params.offset))).scalars().all()
    return rows, total
