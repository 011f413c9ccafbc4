"""Rules the catalog service modules share: explicit nulls refused for required columns, the word search
over a lower-cased column, the sort direction, and names unique regardless of case (through ``slug``) for
brands, repair types and part types (their lists, and the creation of such a named row), and deactivation
(deleting is deactivating: repairs and the price history keep referring to the rows)."""

from __future__ import annotations

import uuid
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog.models import Brand, DeviceModel, PartType, RepairType
from fixdesk.catalog.names import clean_name, slug_for
from fixdesk.catalog.schemas import BrandCreate, PartTypeCreate, RepairTypeCreate
from fixdesk.catalog.service.cache import invalidate_catalog_cache
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict

SortOrder = Literal["asc", "desc"]

CatalogRow = TypeVar("CatalogRow", bound=Brand | DeviceModel | RepairType | PartType)


def search_condition(column: Any, term: str | None) -> Any:
    """Rows whose ``column`` (lower-cased text) contains every word of ``term``, in any order and case."""
    words = slug_for(term or "").split()
    if not words:
        return None
    return and_(*(column.contains(word, autoescape=True) for word in words))


def named_rows_statement(model: Any, search: str | None, is_active: bool | None) -> Select[Any]:
    """The ``model`` rows (brands, repair types, part types) whose name contains every word of ``search``
    and, when given, of that active flag, by name."""
    statement = select(model)
    if (condition := search_condition(model.slug, search)) is not None:
        statement = statement.where(condition)
    if is_active is not None:
        statement = statement.where(model.is_active == is_active)
    # The slug is the lower-cased name: the same order on every database, whatever its collation.
    return statement.order_by(model.slug, model.id)


def ordered(column: Any, order: SortOrder) -> Any:
    """``column`` ascending or descending, as ``order`` says."""
    return column.desc() if order == "desc" else column.asc()


async def ensure_slug_free(
    session: AsyncSession, model: Any, slug: str, label: str, exclude: uuid.UUID | None = None
) -> None:
    """Raise :class:`Conflict` (409, field ``name``) when a ``model`` row other than ``exclude`` has
    ``slug`` (brands, repair types and part types: names are unique regardless of case)."""
    statement = select(model.id).where(model.slug == slug)
    if exclude is not None:
        statement = statement.where(model.id != exclude)
    if (await session.execute(statement.limit(1))).first() is not None:
        raise Conflict(
            f"A {label} named {slug!r} already exists (names are unique regardless of case).", field="name"
        )


async def add_named(
    session: AsyncSession,
    model: Any,
    data: BrandCreate | RepairTypeCreate | PartTypeCreate,
    label: str,
    **values: Any,
) -> Any:
    """Add a ``model`` row (a brand, repair type or part type) with the fields of ``data``, its name cleaned
    and its slug, ``values`` replacing fields of ``data``; flushed, catalog cache invalidated. Raises
    :class:`Conflict` (409) when the name exists regardless of case."""
    slug = slug_for(data.name)
    await ensure_slug_free(session, model, slug, label)
    fields = data.model_dump(by_alias=False) | {"name": clean_name(data.name)} | values
    row = model(**fields, slug=slug)
    session.add(row)
    await session.flush()
    invalidate_catalog_cache(session)
    return row


async def deactivate(session: AsyncSession, row: CatalogRow) -> CatalogRow:
    """Deactivate a brand, device model, repair type or part type (``isActive`` false); prices and repairs
    keep referring to it."""
    row.is_active = False
    row.updated_at = utcnow()
    await session.flush()
    invalidate_catalog_cache(session)
    return row
