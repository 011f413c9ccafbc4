"""Read-only views of repairs for the hot ``GET`` endpoints, from Core rows instead of ORM objects.

``GET /repairs/{id}`` is the API's most frequent request. Loading it through the ORM (a joined eager load
of the customer, technician, review and status history, two ``selectin`` loads, identity map, loader
options rebuilt per request) cost more CPU than everything else in the request. A read-only answer needs
none of that: :func:`repair_detail` runs statements built once at import (SQLAlchemy reuses their cache
key and compiled SQL) and returns plain attribute views (:class:`RepairView`) that the same response
models read with ``from_attributes``, so the answer is byte-for-byte the ORM path's. The values go through
the same column types (money, percentages, JSON, time stamps), so they are the same objects too.

Only reads: a request that goes on to change the repair loads it through :mod:`fixdesk.repairs.access`.
Scoping follows :func:`fixdesk.repairs.access.visible_repairs` (:class:`~fixdesk.repairs.access.VisibleStatement`):
a repair the principal may not read is 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fixdesk.customers.models import Customer
from fixdesk.identity.models import User
from fixdesk.platform.errors import NotFound
from fixdesk.platform.pagination import ListTotal, PageParams, paginate_rows
from fixdesk.platform.permissions import Principal
from fixdesk.repairs.access import VisibleStatement
from fixdesk.repairs.items import totals
from fixdesk.repairs.models import Repair, RepairItem, RepairLabour, RepairReview, RepairStatusHistory
from fixdesk.repairs.service import RepairFilters, filtered_repairs

# What the detail never shows (the search column, who created it): not read; nor, in a list, the tracking
# token.
_REPAIR_HIDDEN = frozenset({"search_text", "created_by_id"})
_LIST_HIDDEN = _REPAIR_HIDDEN | {"tracking_token"}
_CUSTOMER_BRIEF = ("id", "first_name", "last_name", "email", "phone")
_USER_BRIEF = ("id", "first_name", "last_name", "role")


class RepairView:
    """Attributes read from a row (or given), for response models built ``from_attributes``."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    @property
    def balance(self) -> Decimal | None:
        """As :attr:`fixdesk.repairs.models.Repair.balance`: total cost less the deposit."""
        return totals.balance(self.total_cost, self.deposit)


def _keys(entity: Any, hidden: frozenset[str] = frozenset()) -> list[str]:
    return [prop.key for prop in entity.__mapper__.column_attrs if prop.key not in hidden]


def _labelled(entity: Any, keys: Iterable[str], prefix: str) -> list[ColumnElement[Any]]:
    """``entity``'s columns ``keys``, labelled ``<prefix><key>`` so one row can hold several entities."""
    return [getattr(entity, key).label(prefix + key) for key in keys]


def _view(row: Row[Any], keys: Sequence[str], prefix: str) -> RepairView | None:
    """The entity of ``row`` under ``prefix`` (``None`` when its outer join found nothing: no id)."""
    mapping = row._mapping
    if mapping[prefix + "id"] is None:
        return None
    return RepairView(**{key: mapping[prefix + key] for key in keys})


_REPAIR_KEYS = _keys(Repair, _REPAIR_HIDDEN)
_REVIEW_KEYS = _keys(RepairReview)
_HISTORY_KEYS = _keys(RepairStatusHistory, frozenset({"repair_id"}))
_technician = aliased(User)
_changed_by = aliased(User)

# The repair with its customer, technician, review and status history (with who made each change), in
# one statement: one row per change (a repair always has at least its intake), oldest first.
_DETAIL = VisibleStatement.of(
    select(
        *_labelled(Repair, _REPAIR_KEYS, ""),
        *_labelled(Customer, _CUSTOMER_BRIEF, "customer__"),
        *_labelled(_technician, _USER_BRIEF, "technician__"),
        *_labelled(RepairReview, _REVIEW_KEYS, "review__"),
        *_labelled(RepairStatusHistory, _HISTORY_KEYS, "history__"),
        *_labelled(_changed_by, _USER_BRIEF, "changed_by__"),
    )
    .select_from(Repair)
    .join(Customer, Customer.id == Repair.customer_id)
    .outerjoin(_technician, _technician.id == Repair.technician_id)
    .outerjoin(RepairReview, RepairReview.repair_id == Repair.id)
    .outerjoin(RepairStatusHistory, RepairStatusHistory.repair_id == Repair.id)
    .outerjoin(_changed_by, _changed_by.id == RepairStatusHistory.changed_by_id)
    .where(Repair.id == bindparam("repair_id"))
    .order_by(RepairStatusHistory.created_at, RepairStatusHistory.id)
)


def _lines(entity: Any) -> Any:
    """A repair's lines of ``entity`` (items or labour) in their order, as the relationship orders them."""
    return (
        select(*_labelled(entity, _keys(entity), ""))
        .where(entity.repair_id == bindparam("repair_id"))
        .order_by(entity.position, entity.id)
    )


_ITEMS = _lines(RepairItem)
_LABOUR = _lines(RepairLabour)


async def repair_detail(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> RepairView:
    """The repair ``repair_id`` as :func:`fixdesk.repairs.service.get_repair` loads it (customer,
    technician, review, status history with who changed it, items, labour), read-only, if ``principal``
    may see it; else :class:`NotFound` (404). Three statements."""
    statement, scope = _DETAIL.for_principal(principal)
    rows = (await session.execute(statement, {"repair_id": repair_id, **scope})).all()
    if not rows:
        raise NotFound(f"Repair {repair_id} not found.")
    first = rows[0]._mapping
    repair = RepairView(**{key: first[key] for key in _REPAIR_KEYS})
    repair.customer = _view(rows[0], _CUSTOMER_BRIEF, "customer__")
    repair.technician = _view(rows[0], _USER_BRIEF, "technician__")
    repair.review = _view(rows[0], _REVIEW_KEYS, "review__")
    history = []
    for row in rows:
        change = _view(row, _HISTORY_KEYS, "history__")
        if change is not None:
            change.changed_by = _view(row, _USER_BRIEF, "changed_by__")
            history.append(change)
    repair.status_history = history
    parameters = {"repair_id": repair_id}
    repair.items = (await session.execute(_ITEMS, parameters)).all()
    repair.labour = (await session.execute(_LABOUR, parameters)).all()
    return repair


_LIST_KEYS = _keys(Repair, _LIST_HIDDEN)
_LIST_COLUMNS = (
    *_labelled(Repair, _LIST_KEYS, ""),
    *_labelled(Customer, _CUSTOMER_BRIEF, "customer__"),
    *_labelled(_technician, _USER_BRIEF, "technician__"),
)


def _list_view(row: Row[Any]) -> RepairView:
    mapping = row._mapping
    repair = RepairView(**{key: mapping[key] for key in _LIST_KEYS})
    repair.customer = _view(row, _CUSTOMER_BRIEF, "customer__")
    repair.technician = _view(row, _USER_BRIEF, "technician__")
    return repair


async def repair_page(
    session: AsyncSession, principal: Principal, filters: RepairFilters, params: PageParams
) -> tuple[list[RepairView], ListTotal]:
    """A page of the staff repair list as :func:`fixdesk.repairs.service.list_repairs` gives it (newest
    first, with customer and technician), read-only: the page joined to customers and technicians, and
    its bounded count over ``repairs`` alone (:func:`~fixdesk.platform.pagination.paginate_rows`). Raises
    :class:`~fixdesk.platform.errors.ValidationFailed` for a filter on an unknown custom field."""
    filtered = await filtered_repairs(session, principal, filters)
    statement = (
        filtered.with_only_columns(*_LIST_COLUMNS)
        .select_from(Repair)
        .join(Customer, Customer.id == Repair.customer_id)
        .outerjoin(_technician, _technician.id == Repair.technician_id)
        .order_by(Repair.created_at.desc(), Repair.id.desc())
    )
    rows, total = await paginate_rows(session, statement, params, counted=filtered)
    return [_list_view(row) for row in rows], total
