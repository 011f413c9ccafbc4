"""Repair rules: intake with gap-free numbers, the status lifecycle, assignment and portal stats.

Scoping: :mod:`fixdesk.repairs.access` decides which repairs a principal may read (a customer: their own;
staff and API clients: all) and which they may change (a technician: only repairs assigned to them). Every
read and write below goes through it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic.alias_generators import to_camel
from sqlalchemy import BigInteger, Boolean, ColumnElement, Select, case, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import defer, joinedload, selectinload

from fixdesk.catalog.models import DeviceModel
from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer
from fixdesk.customfields import service as custom_fields
from fixdesk.db import cents_to_money, utcnow
from fixdesk.identity.models import Role, User
from fixdesk.platform.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.events import publish
from fixdesk.platform.numbering import next_number
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import lifecycle
from fixdesk.repairs.access import get_for_change, visible_repairs
from fixdesk.repairs.events import (
    REPAIR_ASSIGNED,
    REPAIR_COMPLETED,
    REPAIR_CREATED,
    REPAIR_STATUS_CHANGED,
    REPAIR_UPDATED,
    RepairEventPayload,
)
from fixdesk.repairs.items import service as line_items
from fixdesk.repairs.models import Repair, RepairStatus, RepairStatusHistory
from fixdesk.repairs.permissions import REPAIRS_ASSIGN
from fixdesk.repairs.schemas import RepairCreate, RepairUpdate, StatusChange

REPAIR_NUMBER_PREFIX = "R"
# The custom field entity of repairs, as the repairs manifest declares it.
CUSTOM_FIELD_ENTITY = "repair"
ASSIGNABLE_ROLES = (Role.technician.value, Role.manager.value, Role.admin.value)


# The columns the answers show of a repair's customer and of a staff user (CustomerBrief, UserBrief):
# loading only these keeps hash columns (users.password_hash, customers.portal_password_hash) and
# everything else the answer never shows off the hot path.
_CUSTOMER_BRIEF = (Customer.first_name, Customer.last_name, Customer.email, Customer.phone)
_USER_BRIEF = (User.first_name, User.last_name, User.role)


def _with_people(
    statement: Select[tuple[Repair]], *, for_list: bool = True, lean: bool = True
) -> Select[tuple[Repair]]:
    """The repair with its customer and technician, joined in the same statement.

    ``lean`` (for a read-only request: the lists and ``GET``) loads only what the answer shows: not
    ``search_text`` nor ``created_by_id`` (nor, for a list, the tracking token), and of the customer and the
    technician only their brief columns. A session that goes on to write must not be lean: the objects stay
    in its identity map with those attributes unloaded, and a later rule reading them would need I/O where
    none is allowed.
    """
    if not lean:
        return statement.options(joinedload(Repair.customer), joinedload(Repair.technician))
    hidden = [Repair.search_text, Repair.created_by_id]
    if for_list:
        hidden.append(Repair.tracking_token)
    return statement.options(
        *(defer(column) for column in hidden),
        joinedload(Repair.customer).load_only(*_CUSTOMER_BRIEF),
        joinedload(Repair.technician).load_only(*_USER_BRIEF),
    )


def _with_history(statement: Select[tuple[Repair]], *, lean: bool) -> Select[tuple[Repair]]:
    """The detail in three statements: the repair joined to its customer, technician, review and status
    history (with who changed it), then its items, then its labour (``lean``: see :func:`_with_people`)."""
    changed_by = joinedload(Repair.status_history).joinedload(RepairStatusHistory.changed_by)
    return _with_people(statement, for_list=False, lean=lean).options(
        joinedload(Repair.review),
        changed_by.load_only(*_USER_BRIEF) if lean else changed_by,
        selectinload(Repair.items),
        selectinload(Repair.labour),
    )


def _search_text(repair: Repair) -> str:
    parts = [
        repair.repair_number,
        repair.device_brand,
        repair.device_model,
        repair.serial_number,
        repair.imei,
    ]
    return " ".join(p for p in parts if p).lower()[:500]


async def _load_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await customers.find_customer(session, customer_id)
    if customer is None:
        raise ValidationFailed.for_field("customerId", "no customer with this id")
    if customers.is_archived(customer):
        raise ValidationFailed.for_field("customerId", "the customer is archived")
    return customer


async def _load_technician(session: AsyncSession, technician_id: uuid.UUID) -> User:
    user = await session.get(User, technician_id)
    if user is None or not user.is_active or user.role not in ASSIGNABLE_ROLES:
        raise ValidationFailed.for_field("technicianId", "no active technician with this id")
    return user


async def _load_device_model(session: AsyncSession, device_model_id: uuid.UUID) -> DeviceModel:
    statement = (
        select(DeviceModel).where(DeviceModel.id == device_model_id).options(joinedload(DeviceModel.brand))
    )
    device_model = (await session.execute(statement)).scalar_one_or_none()
    if device_model is None:
        raise ValidationFailed.for_field("deviceModelId", "no device model with this id")
    return device_model


def _take_device_from_catalog(values: dict[str, Any], device_model: DeviceModel) -> None:
    """Fill the device's type, brand and model text from the catalog where the client left them out."""
    if values.get("device_type") is None:
        values["device_type"] = device_model.device_type
    if values.get("device_brand") is None:
        values["device_brand"] = device_model.brand.name
    if values.get("device_model") is None:
        values["device_model"] = device_model.name


def _price_by_hand(repair: Repair) -> None:
    """A repair without line items is priced by hand at the counter: the agreed ``totalCost`` is its
    subtotal, tax included (no separate tax line), so ``subtotal + taxAmount = totalCost`` always holds."""
    repair.subtotal = repair.total_cost if repair.total_cost is not None else Decimal("0.00")
    repair.tax_amount = Decimal("0.00")


async def create_repair(
    session: AsyncSession,
    principal: Principal,
    data: RepairCreate,
    *,
    settings: Settings | None = None,
    require_custom_fields: bool = True,
    now: datetime | None = None,
) -> Repair:
    """Take a device in: a ``received`` repair with the next ``R-YYYY-NNNNNN`` number (the year on the
    shop's calendar, ``settings.shop_timezone``; UTC without settings), its first history row, its line
    items and labour (totals computed, taxed at ``settings.tax_rate``; untaxed without settings) and
    validated custom fields. ``require_custom_fields=False`` skips the shop's required custom fields, for
    repairs the system opens itself (a warranty claim's repair) where nobody fills them. ``now`` (default
    the current time) is the moment of intake.

    Raises :class:`ValidationFailed` for an unknown or archived customer or technician, an unknown device
    model, invalid custom fields or line items, and :class:`Forbidden` when assigning at intake without
    ``repairs:assign``."""
    await _load_customer(session, data.customer_id)
    if data.technician_id is not None:
        if not principal.has(REPAIRS_ASSIGN):
            raise Forbidden("Assigning a technician needs the 'repairs:assign' permission.")
        await _load_technician(session, data.technician_id)
    values = data.model_dump(by_alias=False, exclude={"items", "labour", "custom_fields"})
    if data.device_model_id is not None:
        _take_device_from_catalog(values, await _load_device_model(session, data.device_model_id))
    stored_custom_fields = await custom_fields.validate_values(
        session, CUSTOM_FIELD_ENTITY, data.custom_fields, enforce_required=require_custom_fields
    )
    now = now or utcnow()
    zone = settings.shop_timezone if settings is not None else "UTC"
    repair = Repair(
        **values,
        repair_number=await next_number(session, REPAIR_NUMBER_PREFIX, at=now, zone=zone),
        status=RepairStatus.received.value,
        created_by_id=principal.staff_user_id,
        tax_rate=settings.tax_rate if settings is not None else Decimal("0"),
        custom_fields=stored_custom_fields,
        created_at=now,
        updated_at=now,
    )
    _price_by_hand(repair)
    repair.search_text = _search_text(repair)
    session.add(repair)
    await session.flush()
    if data.items or data.labour:
        await line_items.add_lines(session, repair, data.items, data.labour)
    session.add(
        RepairStatusHistory(
            repair_id=repair.id,
            from_status=None,
            to_status=RepairStatus.received.value,
            changed_by_id=principal.staff_user_id,
            notes="Device received",
            customer_notified=True,
            created_at=now,
        )
    )
    await session.flush()
    await publish(
        session,
        REPAIR_CREATED,
        RepairEventPayload.of(
            repair, to_status=repair.status, notify_customer=True, changed_by_id=principal.staff_user_id
        ),
        customer_id=repair.customer_id,
        actor_id=principal.staff_user_id,
    )
    return await get_repair(session, principal, repair.id)


async def get_repair(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, *, lean: bool = False
) -> Repair:
    """One repair with customer, technician, review, status history, items and labour, if ``principal``
    may see it; else :class:`NotFound` (404). Three statements. ``lean=True`` for a read-only request
    (loads only what the detail shows, see :func:`_with_people`)."""
    statement = _with_history(visible_repairs(principal).where(Repair.id == repair_id), lean=lean)
    repair = (await session.execute(statement)).unique().scalar_one_or_none()
    if repair is None:
        raise NotFound(f"Repair {repair_id} not found.")
    return repair


def _completion_days(started: datetime, finished: datetime) -> Decimal:
    seconds = Decimal((finished - started).total_seconds())
    return (seconds / Decimal(86400)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def change_status(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    change: StatusChange,
) -> Repair:
    """Move a repair along its lifecycle and record who did it.

    Raises :class:`IllegalTransition` (409, naming the allowed next states) for a move the lifecycle does
    not allow, :class:`Forbidden` (403) for a technician's change to someone else's repair, 404 for a
    repair the principal cannot see. Entering ``completed`` stamps ``actualCompletion`` and
    ``completionDays``; the warranties of the fitted parts follow from the ``repair.completed`` event
    (:mod:`fixdesk.repairs.warranty.jobs`).
    """
    repair = await get_for_change(session, principal, repair_id)
    await transition(
        session,
        repair,
        lifecycle.resolve(change.status),
        actor_id=principal.staff_user_id,
        notes=change.notes,
        customer_note=change.customer_note,
        notify_customer=change.notify_customer,
        estimated_completion=change.estimated_completion,
    )
    session.expunge(repair)
    return await get_repair(session, principal, repair_id)


async def transition(
    session: AsyncSession,
    repair: Repair,
    target: RepairStatus,
    *,
    actor_id: uuid.UUID | None,
    notes: str | None = None,
    customer_note: str | None = None,
    notify_customer: bool = False,
    estimated_completion: datetime | None = None,
) -> None:
    """Move ``repair`` (loaded with :func:`fixdesk.repairs.access.lock_repair` or
    :func:`~fixdesk.repairs.access.get_for_change`) to ``target``: the
    lifecycle check, the status-history row (``changed_by`` = ``actor_id``, a staff user or ``None`` for
    the customer or the system; ``notes`` internal, ``customer_note`` for the customer), completion stamps,
    and the ``repair.status_changed`` (and ``repair.completed``) events, all in the caller's transaction.
    Authorisation is the caller's job. Follow-up work of a completion (the warranties of the fitted parts)
    runs from ``repair.completed``.

    Raises :class:`IllegalTransition` (409) when the lifecycle does not allow the move.
    """
    allowed = lifecycle.allowed_next(repair.status)
    if target.value not in allowed:
        raise IllegalTransition(repair.status, target.value, allowed)
    now = utcnow()
    previous = repair.status
    repair.status = target.value
    repair.updated_at = now
    if estimated_completion is not None:
        repair.estimated_completion = estimated_completion
    if target == RepairStatus.completed:
        repair.actual_completion = now
        repair.completion_days = _completion_days(repair.created_at, now)
    elif target == RepairStatus.repairing and previous == RepairStatus.testing.value:
        repair.actual_completion = None
        repair.completion_days = None
    session.add(
        RepairStatusHistory(
            repair_id=repair.id,
            from_status=previous,
            to_status=target.value,
            changed_by_id=actor_id,
            notes=notes,
            customer_note=customer_note,
            customer_notified=notify_customer,
            created_at=now,
        )
    )
    await session.flush()
    payload = RepairEventPayload.of(
        repair,
        from_status=previous,
        to_status=target.value,
        notes=notes,
        customer_note=customer_note,
        notify_customer=notify_customer,
        changed_by_id=actor_id,
    )
    await publish(session, REPAIR_STATUS_CHANGED, payload, customer_id=repair.customer_id, actor_id=actor_id)
    if target == RepairStatus.completed:
        await publish(session, REPAIR_COMPLETED, payload, customer_id=repair.customer_id, actor_id=actor_id)


async def assign_technician(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, technician_id: uuid.UUID | None
) -> Repair:
    """Assign (or with ``None`` unassign) the repair's technician. Raises :class:`ValidationFailed` when
    the user is not an active technician, manager or admin."""
    repair = await get_for_change(session, principal, repair_id)
    if technician_id is not None:
        await _load_technician(session, technician_id)
    previous = repair.technician_id
    repair.technician_id = technician_id
    repair.updated_at = utcnow()
    await session.flush()
    if previous != technician_id:
        await publish(
            session,
            REPAIR_ASSIGNED,
            RepairEventPayload.of(
                repair, previous_technician_id=previous, changed_by_id=principal.staff_user_id
            ),
            customer_id=repair.customer_id,
            actor_id=principal.staff_user_id,
        )
    session.expunge(repair)
    return await get_repair(session, principal, repair_id)


async def update_repair(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, data: RepairUpdate
) -> Repair:
    """Change device and ticket details (not status, technician or customer).

    ``customFields`` are merged into the stored values and validated. Raises :class:`ValidationFailed`
    for a null required field, an unknown device model, invalid custom fields, or a ``totalCost`` on a
    repair whose total is computed from its lines."""
    repair = await get_for_change(session, principal, repair_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    if "custom_fields" in values:
        values["custom_fields"] = await custom_fields.validate_values(
            session, CUSTOM_FIELD_ENTITY, values["custom_fields"], current=repair.custom_fields
        )
    if values.get("device_model_id") is not None:
        device_model = await _load_device_model(session, values["device_model_id"])
        for name in ("device_type", "device_brand", "device_model"):
            values.setdefault(name, None)
        _take_device_from_catalog(values, device_model)
    if "total_cost" in values and await line_items.has_lines(session, repair.id):
        raise ValidationFailed.for_field(
            "totalCost", "this repair's total is computed from its line items and labour"
        )
    reject_nulls(
        values, "device_type", "device_brand", "device_model", "issue_description", "priority", "deposit"
    )
    for key, value in values.items():
        setattr(repair, key, value)
    if "total_cost" in values:
        _price_by_hand(repair)
    repair.search_text = _search_text(repair)
    repair.updated_at = utcnow()
    await session.flush()
    if values:
        payload = RepairEventPayload.of(
            repair,
            changed_fields=sorted(to_camel(name) for name in values),
            changed_by_id=principal.staff_user_id,
        )
        await publish(
            session, REPAIR_UPDATED, payload, customer_id=repair.customer_id, actor_id=principal.staff_user_id
        )
    session.expunge(repair)
    return await get_repair(session, principal, repair_id)


@dataclass(frozen=True)
class RepairFilters:
    """Filters of the staff repair list: ``status`` is one status (or the group name ``active``),
    ``group`` a status group (active|completed|cancelled)."""

    status: str | None = None
    group: str | None = None
    technician_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    priority: str | None = None
    date_from: date | datetime | None = None
    date_to: date | datetime | None = None
    search: str | None = None
    custom_fields: dict[str, str] | None = None
    unassigned: bool = False
    """Only repairs without a technician (the board's "Unassigned" filter)."""


def start_of(value: date | datetime, zone: tzinfo = UTC) -> datetime:
    """The first instant of a ``dateFrom`` filter: a datetime as given (naive read as UTC), or the start
    of that calendar day in ``zone``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=zone).astimezone(UTC)


def end_of(value: date | datetime, zone: tzinfo = UTC) -> datetime:
    """The last instant (inclusive) of a ``dateTo`` filter: a datetime as given (naive read as UTC), or
    the last microsecond of that calendar day in ``zone``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    next_day = datetime.combine(value + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return next_day - timedelta(microseconds=1)


def status_condition(status: str) -> Any:
    """``status`` may be a status, a seed-003 alias or a group name (``active``, ``completed``, ``cancelled``)."""
    if status in lifecycle.STATUS_GROUPS and status != "completed":
        return Repair.status.in_([s.value for s in lifecycle.STATUS_GROUPS[status]])
    return Repair.status == lifecycle.resolve(status).value


def group_condition(group: str) -> Any:
    return Repair.status.in_([s.value for s in lifecycle.STATUS_GROUPS[group]])


class AnyOfSubquery(ColumnElement[bool]):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL (an index condition on ``column``, the subquery run
    once), ``column IN (subquery)`` elsewhere (SQLite plans that through the index already)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: SQLite must not get "… = 1" appended

    def __init__(self, column: Any, subquery: Select[Any]) -> None:
        self.column = column
        self.subquery = subquery


@compiles(AnyOfSubquery)
def _compile_in_subquery(element: AnyOfSubquery, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.subquery), **kw)


@compiles(AnyOfSubquery, "postgresql")
def _compile_any_of_array(element: AnyOfSubquery, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY({compiler.process(element.subquery, asfrom=False, **kw)}))"


def apply_filters(statement: Select[tuple[Repair]], filters: RepairFilters) -> Select[tuple[Repair]]:
    if filters.status:
        statement = statement.where(status_condition(filters.status))
    if filters.group:
        statement = statement.where(group_condition(filters.group))
    if filters.technician_id:
        statement = statement.where(Repair.technician_id == filters.technician_id)
    if filters.unassigned:
        statement = statement.where(Repair.technician_id.is_(None))
    if filters.customer_id:
        statement = statement.where(Repair.customer_id == filters.customer_id)
    if filters.priority:
        statement = statement.where(Repair.priority == filters.priority)
    if filters.date_from:
        statement = statement.where(Repair.created_at >= start_of(filters.date_from))
    if filters.date_to:
        statement = statement.where(Repair.created_at <= end_of(filters.date_to))
    if filters.search and filters.search.strip():
        term = filters.search.strip().lower()
        # "search_text LIKE … OR customer_id = ANY(ARRAY(SELECT … customers …))": the customers' ids are
        # computed once (an InitPlan), so both sides are index conditions PostgreSQL combines with the other
        # filters' indexes (a BitmapOr inside a BitmapAnd with the status index). A plain "IN (subquery)"
        # in an OR cannot use an index, and the earlier "id IN (… UNION …)" had to collect every repair
        # matching the term (tens of thousands for "iphone") before the status filter could help.
        statement = statement.where(
            or_(
                Repair.search_text.contains(term, autoescape=True),
                AnyOfSubquery(Repair.customer_id, customers.ids_matching(term)),
            )
        )
    return statement


async def filtered_repairs(
    session: AsyncSession, principal: Principal, filters: RepairFilters
) -> Select[tuple[Repair]]:
    """``SELECT repairs`` the principal may read that pass ``filters`` (unordered). Filtering by custom
    fields reads their definitions (one query); :class:`ValidationFailed` for an unknown one."""
    statement = apply_filters(visible_repairs(principal), filters)
    if filters.custom_fields:
        conditions = await custom_fields.filter_conditions(
            session, CUSTOM_FIELD_ENTITY, Repair.custom_fields, filters.custom_fields
        )
        statement = statement.where(*conditions)
    return statement


async def list_repairs(
    session: AsyncSession, principal: Principal, filters: RepairFilters, params: PageParams
) -> tuple[list[Repair], int]:
    """A page of repairs, newest first, with customer and technician loaded: two queries per page (plus
    one for the custom field definitions when filtering by custom fields). Raises
    :class:`ValidationFailed` for a filter on an unknown custom field."""
    statement = await filtered_repairs(session, principal, filters)
    statement = _with_people(statement.order_by(Repair.created_at.desc(), Repair.id.desc()))
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def list_customer_repairs(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    group: str = "all",
    sort_by: Literal["createdAt", "updatedAt", "status"] = "createdAt",
    sort_order: Literal["asc", "desc"] = "desc",
) -> tuple[list[Repair], int]:
    """The portal list: the customer's own repairs, optionally one status group."""
    statement = visible_repairs(principal)
    if group != "all":
        statement = statement.where(group_condition(group))
    column = {"createdAt": Repair.created_at, "updatedAt": Repair.updated_at, "status": Repair.status}[
        sort_by
    ]
    ordering = column.desc() if sort_order == "desc" else column.asc()
    statement = _with_people(statement.order_by(ordering, Repair.id.desc()))
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def customer_dashboard_stats(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """Counts, success rate, money spent and average turnaround of the customer's repairs, in one query.

    ``totalSpent`` sums the total cost of completed and delivered repairs; ``averageCompletionTime`` is
    the mean of their ``completionDays``.
    """
    done = lifecycle.STATUS_GROUPS["completed"]
    done_values = [s.value for s in done]
    active_values = [s.value for s in lifecycle.STATUS_GROUPS["active"]]
    is_done = Repair.status.in_(done_values)
    statement = select(
        func.count(),
        func.coalesce(func.sum(case((Repair.status.in_(active_values), 1), else_=0)), 0),
        func.coalesce(func.sum(case((is_done, 1), else_=0)), 0),
        # Raw integer sums (cents, hundredths of a day): without the coercion the column types would carry
        # through SUM and convert the result already, and exact integer arithmetic is what we want here.
        type_coerce(func.coalesce(func.sum(case((is_done, Repair.total_cost), else_=0)), 0), BigInteger()),
        type_coerce(func.sum(case((is_done, Repair.completion_days), else_=None)), BigInteger()),
        func.count(case((is_done, Repair.completion_days), else_=None)),
    ).where(Repair.customer_id == principal.id)
    total, active, completed, spent_cents, days_hundredths, days_count = (
        await session.execute(statement)
    ).one()
    average_days = (Decimal(int(days_hundredths or 0)) / 100 / days_count) if days_count else Decimal(0)
    return {
        "total_repairs": int(total),
        "active_repairs": int(active),
        "completed_repairs": int(completed),
        "success_rate": round(int(completed) / int(total), 4) if total else 0.0,
        "total_spent": cents_to_money(spent_cents),
        "average_completion_time": float(average_days.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
    }


# --- what the staff dashboard and board show (fixdesk.web.dashboard, fixdesk.web.repairs) ----------------


async def status_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """How many repairs ``principal`` may see are in each status now: every status of the lifecycle is a
    key, in lifecycle order, 0 when none has it. One ``GROUP BY`` query."""
    visible = visible_repairs(principal).subquery()
    rows = (await session.execute(select(visible.c.status, func.count()).group_by(visible.c.status))).all()
    counts = {status.value: 0 for status in RepairStatus}
    for status, count in rows:
        counts[status] = int(count)
    return counts


async def due_repairs(
    session: AsyncSession, principal: Principal, until: datetime, *, limit: int = 20
) -> tuple[list[Repair], int]:
    """The open repairs (status group ``active``) whose ``estimatedCompletion`` is at or before ``until``
    (an aware UTC moment, e.g. the end of the shop's today), soonest first, with customer and technician
    loaded: at most ``limit`` of them and how many there are in all. Two queries."""
    statement = visible_repairs(principal).where(
        group_condition("active"),
        Repair.estimated_completion.is_not(None),
        Repair.estimated_completion <= until,
    )
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    rows = (
        await session.execute(
            _with_people(statement.order_by(Repair.estimated_completion, Repair.id).limit(limit))
        )
    ).scalars()
    return list(rows), int(total)


async def assignable_technicians(session: AsyncSession) -> list[User]:
    """The active staff a repair may be assigned to (technicians, managers, admins), by name: what
    :func:`assign_technician` accepts."""
    statement = (
        select(User)
        .where(User.is_active.is_(True), User.role.in_(ASSIGNABLE_ROLES))
        .order_by(User.first_name, User.last_name, User.id)
    )
    return list((await session.execute(statement)).scalars())
