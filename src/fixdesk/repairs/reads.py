"""Read-only views of repairs for the hot ``GET`` endpoints, from Core rows instead of ORM objects.

``GET /repairs/{id}`` is the API's most frequent request. Loading it through the ORM (a joined eager load
of the customer, technician, review and status history, two ``selectin`` loads, identity map, loader
options rebuilt per request) cost more CPU than everything else in the request. A read-only answer needs
none of that: :func:`repair_detail` and :func:`repair_page` run plain Core statements of the tables'
columns, built once at import where they can be (SQLAlchemy reuses their cache key and compiled SQL), and
hand the same response models dictionaries of the same values (validating a dictionary is about three
times faster than reading an object's attributes), so the answer is byte-for-byte the ORM path's. The
values go through the same column types (money, percentages, JSON, time stamps), so they are the same
objects too.

Only reads: a request that goes on to change the repair loads it through :mod:`fixdesk.repairs.access`.
Scoping follows :func:`fixdesk.repairs.access.visible_repairs` (:class:`~fixdesk.repairs.access.VisibleStatement`):
a repair the principal may not read is 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.customers.models import Customer
from fixdesk.identity.models import User
from fixdesk.platform.direct import Database, DirectSelect, reader
from fixdesk.platform.errors import NotFound
from fixdesk.platform.pagination import (
    EXACT_TOTAL_LIMIT,
    ListTotal,
    PageParams,
    bounded_count,
    paginate_rows,
    reused_total,
    total_from_bounded_count,
)
from fixdesk.platform.permissions import Principal
from fixdesk.repairs.access import VisibleStatement, visible_repairs
from fixdesk.repairs.items import totals
from fixdesk.repairs.models import Repair, RepairItem, RepairLabour, RepairReview, RepairStatusHistory
from fixdesk.repairs.service import RepairFilters, filtered_repairs

# What the detail never shows (the search column, who created it): not read; nor, in a list, the tracking
# token.
_REPAIR_HIDDEN = frozenset({"search_text", "created_by_id"})
_LIST_HIDDEN = _REPAIR_HIDDEN | {"tracking_token"}
_CUSTOMER_BRIEF = ("id", "first_name", "last_name", "email", "phone")
_USER_BRIEF = ("id", "first_name", "last_name", "role")

Fields = dict[str, Any]
"""A row's values by attribute name, as a response model validates them."""


class RepairView:
    """A repair read by :func:`repair_detail`: ``fields`` for :class:`~fixdesk.repairs.schemas.RepairRead`
    (with ``balance``, ``customer`` and ``technician``), and what the detail adds, as dictionaries."""

    def __init__(
        self,
        fields: Fields,
        *,
        review: Fields | None,
        status_history: list[Fields],
        items: list[Fields],
        labour: list[Fields],
    ) -> None:
        self.fields = fields
        self.status: str = fields["status"]
        self.tracking_token: str = fields["tracking_token"]
        self.review = review
        self.status_history = status_history
        self.items = items
        self.labour = labour


def _keys(entity: Any, hidden: frozenset[str] = frozenset()) -> list[str]:
    return [prop.key for prop in entity.__mapper__.column_attrs if prop.key not in hidden]


def _labelled(table: Any, entity: Any, keys: Iterable[str], prefix: str) -> list[ColumnElement[Any]]:
    """Columns of ``table`` (a table or an alias of ``entity``'s table) for ``entity``'s attributes
    ``keys``, labelled ``<prefix><key>`` so one row can hold several entities. Table columns, not mapped
    attributes: the statement runs as plain Core, without the ORM's compile and loading steps."""
    mapper = entity.__mapper__
    return [table.c[mapper.column_attrs[key].columns[0].key].label(prefix + key) for key in keys]


def _fields(mapping: Any, keys: Sequence[str], prefix: str) -> Fields | None:
    """The entity under ``prefix`` of a row's ``mapping`` (``None`` when its outer join found nothing)."""
    if mapping[prefix + "id"] is None:
        return None
    return {key: mapping[prefix + key] for key in keys}


def _repair_fields(mapping: Any, keys: Sequence[str]) -> Fields:
    fields = {key: mapping[key] for key in keys}
    # As the mapped class's property (fixdesk.repairs.models.Repair.balance).
    fields["balance"] = totals.balance(fields["total_cost"], fields["deposit"])
    fields["customer"] = _fields(mapping, _CUSTOMER_BRIEF, "customer__")
    fields["technician"] = _fields(mapping, _USER_BRIEF, "technician__")
    return fields


_repairs = Repair.__table__
_customers = Customer.__table__
_reviews = RepairReview.__table__
_history = RepairStatusHistory.__table__
_technicians = User.__table__.alias("technician")
_changed_by = User.__table__.alias("changed_by")

_REPAIR_KEYS = _keys(Repair, _REPAIR_HIDDEN)
_REVIEW_KEYS = _keys(RepairReview)
_HISTORY_KEYS = _keys(RepairStatusHistory, frozenset({"repair_id"}))
_PEOPLE = (
    *_labelled(_customers, Customer, _CUSTOMER_BRIEF, "customer__"),
    *_labelled(_technicians, User, _USER_BRIEF, "technician__"),
)


def _direct(visible: VisibleStatement) -> Callable[[Principal], tuple[DirectSelect, dict[str, Any]]]:
    """``visible``'s statements as :class:`~fixdesk.platform.direct.DirectSelect`: for a principal, the one
    :meth:`VisibleStatement.for_principal` chooses, and its scope's bound parameters."""
    everyone, customer = DirectSelect(visible.everyone), DirectSelect(visible.customer)

    def for_principal(principal: Principal) -> tuple[DirectSelect, dict[str, Any]]:
        statement, scope = visible.for_principal(principal)
        return (customer if statement is visible.customer else everyone), scope

    return for_principal


def _with_people(statement: Any) -> Any:
    return statement.join(_customers, _customers.c.id == _repairs.c.customer_id).outerjoin(
        _technicians, _technicians.c.id == _repairs.c.technician_id
    )


# The repair with its customer, technician, review and status history (with who made each change), in
# one statement: one row per change (a repair always has at least its intake), oldest first.
_DETAIL = _direct(
    VisibleStatement.of(
        select(
            *_labelled(_repairs, Repair, _REPAIR_KEYS, ""),
            *_PEOPLE,
            *_labelled(_reviews, RepairReview, _REVIEW_KEYS, "review__"),
            *_labelled(_history, RepairStatusHistory, _HISTORY_KEYS, "history__"),
            *_labelled(_changed_by, User, _USER_BRIEF, "changed_by__"),
        )
        .select_from(
            _with_people(_repairs)
            .outerjoin(_reviews, _reviews.c.repair_id == _repairs.c.id)
            .outerjoin(_history, _history.c.repair_id == _repairs.c.id)
            .outerjoin(_changed_by, _changed_by.c.id == _history.c.changed_by_id)
        )
        .where(_repairs.c.id == bindparam("repair_id"))
        .order_by(_history.c.created_at, _history.c.id)
    )
)


_ITEM_KEYS = _keys(RepairItem)
_LABOUR_KEYS = _keys(RepairLabour)


def _nulls(entity: Any, keys: Iterable[str], prefix: str) -> list[ColumnElement[Any]]:
    """Typed NULLs in place of ``entity``'s columns, labelled as :func:`_labelled` labels them, for the
    branch of a ``UNION ALL`` that has no such row."""
    table, mapper = entity.__table__, entity.__mapper__
    return [
        cast(null(), table.c[mapper.column_attrs[key].columns[0].key].type).label(prefix + key)
        for key in keys
    ]


def _line_branch(entity: Any) -> Any:
    """The ``UNION ALL`` branch of ``entity``'s lines (items or labour): its own columns, the other's NULL."""
    is_item = entity is RepairItem
    items = RepairItem.__table__
    labour = RepairLabour.__table__
    if is_item:
        columns = [
            *_labelled(items, RepairItem, _ITEM_KEYS, "item__"),
            *_nulls(RepairLabour, _LABOUR_KEYS, "labour__"),
        ]
    else:
        columns = [
            *_nulls(RepairItem, _ITEM_KEYS, "item__"),
            *_labelled(labour, RepairLabour, _LABOUR_KEYS, "labour__"),
        ]
    return select(literal("item" if is_item else "labour").label("line_kind"), *columns).where(
        entity.__table__.c.repair_id == bindparam("repair_id")
    )


# A repair's items and labour in one statement (one round trip, not two): a row per line, the item's or
# the labour's columns filled, the other's NULL; items first, each kind in its order (position, id), as
# the relationships order them.
_lines = union_all(_line_branch(RepairItem), _line_branch(RepairLabour)).subquery()
_LINES = DirectSelect(
    select(_lines).order_by(
        _lines.c.line_kind,
        _lines.c.item__position,
        _lines.c.item__id,
        _lines.c.labour__position,
        _lines.c.labour__id,
    )
)


async def repair_detail(database: Database, principal: Principal, repair_id: uuid.UUID) -> RepairView:
    """The repair ``repair_id`` as :func:`fixdesk.repairs.service.get_repair` loads it (customer,
    technician, review, status history with who changed it, items, labour), read-only, if ``principal``
    may see it; else :class:`NotFound` (404). Two statements: the repair with its people, review and
    history; its items and labour."""
    statement, scope = _DETAIL(principal)
    database = await reader(database)
    rows = await database.rows(statement, {"repair_id": repair_id, **scope})
    if not rows:
        raise NotFound(f"Repair {repair_id} not found.")
    first = rows[0]
    history = []
    for row in rows:
        change = _fields(row, _HISTORY_KEYS, "history__")
        if change is not None:
            change["changed_by"] = _fields(row, _USER_BRIEF, "changed_by__")
            history.append(change)
    lines = await database.rows(_LINES, {"repair_id": repair_id})
    return RepairView(
        _repair_fields(first, _REPAIR_KEYS),
        review=_fields(first, _REVIEW_KEYS, "review__"),
        status_history=history,
        items=[_unprefixed(line, _ITEM_KEYS, "item__") for line in lines if line["line_kind"] == "item"],
        labour=[
            _unprefixed(line, _LABOUR_KEYS, "labour__") for line in lines if line["line_kind"] == "labour"
        ],
    )


def _unprefixed(row: Fields, keys: Sequence[str], prefix: str) -> Fields:
    return {key: row[prefix + key] for key in keys}


_LIST_KEYS = _keys(Repair, _LIST_HIDDEN)
_LIST_COLUMNS = (*_labelled(_repairs, Repair, _LIST_KEYS, ""), *_PEOPLE)
_NEWEST_FIRST = (_repairs.c.created_at.desc(), _repairs.c.id.desc())


def _scoped(scope: Any) -> Any:
    statement = select(_repairs.c.id)
    return statement if scope is None else statement.where(scope)


# The unfiltered list (the first thing the app and most clients ask for), built once: its page with
# the page size and offset bound, and its bounded count over repairs alone.
_UNFILTERED_PAGE = _direct(
    VisibleStatement.build(
        lambda scope: (
            _scoped(scope)
            .with_only_columns(*_LIST_COLUMNS)
            .select_from(_with_people(_repairs))
            .order_by(*_NEWEST_FIRST)
            .limit(bindparam("page_size", type_=Integer))
            .offset(bindparam("page_offset", type_=Integer))
        )
    )
)
_UNFILTERED_COUNT = _direct(VisibleStatement.build(lambda scope: bounded_count(_scoped(scope))))


_NO_FILTERS = RepairFilters()
# What the list endpoint passes without a filter: the custom-field filters of no query parameter.
_NO_CUSTOM_FIELD_FILTERS = RepairFilters(custom_fields={})


async def repair_page(
    session: AsyncSession, principal: Principal, filters: RepairFilters, params: PageParams
) -> tuple[list[Fields], ListTotal]:
    """A page of the staff repair list as :func:`fixdesk.repairs.service.list_repairs` gives it (newest
    first, with customer and technician), read-only, as the fields of
    :class:`~fixdesk.repairs.schemas.RepairRead`: the page joined to customers and technicians, and its
    bounded count over ``repairs`` alone (no count for a first page that is not full). Raises
    :class:`~fixdesk.platform.errors.ValidationFailed` for a filter on an unknown custom field."""
    if filters in (_NO_FILTERS, _NO_CUSTOM_FIELD_FILTERS):
        return await unfiltered_page(session, principal, params)
    filtered = await filtered_repairs(session, principal, filters)
    statement = (
        filtered.with_only_columns(*_LIST_COLUMNS)
        .select_from(_with_people(_repairs))
        .order_by(*_NEWEST_FIRST)
    )
    result, total = await paginate_rows(session, statement, params, counted=filtered)
    return [_repair_fields(row._mapping, _LIST_KEYS) for row in result], total


async def unfiltered_page(
    database: Database, principal: Principal, params: PageParams
) -> tuple[list[Fields], ListTotal]:
    """A page of the unfiltered staff repair list (:func:`repair_page` without filters): its page and
    bounded count built once, sent to the driver directly on PostgreSQL."""
    database = await reader(database)
    statement, scope = _UNFILTERED_PAGE(principal)
    page = {"page_size": params.page_size, "page_offset": params.offset, **scope}
    rows = await database.rows(statement, page)
    if params.offset == 0 and len(rows) < params.page_size:
        total = ListTotal(len(rows))
    else:
        counted, scope = _UNFILTERED_COUNT(principal)

        async def count() -> ListTotal:
            exact = (await database.rows(counted, scope))[0]["count"]
            # The statement to estimate is built only when the count ran past the exact limit.
            estimated = visible_repairs(principal) if exact > EXACT_TOTAL_LIMIT else None
            return await total_from_bounded_count(database, exact, estimated)

        total = await reused_total(
            database, lambda: ("repairs", "unfiltered", repr(sorted(scope.items()))), count
        )
    return [_repair_fields(row, _LIST_KEYS) for row in rows], total
