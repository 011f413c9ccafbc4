"""Line items, labour and the totals of a repair.

A repair priced by hand has only a ``totalCost`` (see ``repairs.service._price_by_hand``); once it has any
line its ``subtotal``, ``taxAmount`` and ``totalCost`` are computed here from the lines, with the rule in
:mod:`fixdesk.repairs.items.totals` (the one quotes use too), at the repair's ``taxRate`` (the shop's
``FIXDESK_TAX_RATE`` when the repair was taken in).

A line with a ``repairTypeId`` and no ``unitPrice`` is priced from the catalog: the shop's price for the
repair's device model, repair type, part type and quality (``priceSource`` ``catalog``) or, when the price
list has none, the estimator's price (``priceSource`` ``estimate``, with its confidence).

Lines change only while the repair is open: once it is ``completed``, ``delivered`` or ``cancelled`` every
change answers 409. Lines may change while a quote is out (``quoted``): the quote is a separate snapshot
that such edits do not touch, and approving it replaces the repair's lines with the quote's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, exists, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog import estimator
from fixdesk.catalog import service as catalog
from fixdesk.catalog.models import PartQuality, PartType, RepairType
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.events import publish
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access, lifecycle
from fixdesk.repairs.events import REPAIR_UPDATED, RepairEventPayload
from fixdesk.repairs.items import totals as money
from fixdesk.repairs.items.schemas import (
    LineItemCreate,
    RepairItemCreate,
    RepairItemUpdate,
    RepairLabourCreate,
    RepairLabourUpdate,
)
from fixdesk.repairs.models import PriceSource, Repair, RepairItem, RepairLabour

# The grade assumed for an estimate when neither the line nor its part type names one: the catalog's
# default grade (``Pricing.part_quality``).
DEFAULT_QUALITY = PartQuality.aftermarket_standard.value


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --- pricing lines (shared with quotes) ---------------------------------------------------------------


@dataclass
class PricedLine:
    """A part-and-repair line with its price resolved and its total computed: the column values of a
    :class:`~fixdesk.repairs.models.RepairItem` or :class:`~fixdesk.repairs.models.QuoteItem`."""

    repair_type_id: uuid.UUID | None
    part_type_id: uuid.UUID | None
    part_quality: str | None
    pricing_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price: Decimal
    unit_cost: Decimal | None
    discount: Decimal
    line_total: Decimal
    price_source: str
    estimate_confidence: Decimal | None

    def values(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _CatalogTypes:
    repair_types: dict[uuid.UUID, RepairType]
    part_types: dict[uuid.UUID, PartType]


async def _catalog_types(session: AsyncSession, items: Sequence[LineItemCreate]) -> _CatalogTypes:
    # One query per table for all lines, not one per line.
    repair_type_ids = {item.repair_type_id for item in items if item.repair_type_id is not None}
    part_type_ids = {item.part_type_id for item in items if item.part_type_id is not None}
    repair_types: dict[uuid.UUID, RepairType] = {}
    part_types: dict[uuid.UUID, PartType] = {}
    if repair_type_ids:
        rows = await session.execute(select(RepairType).where(RepairType.id.in_(repair_type_ids)))
        repair_types = {row.id: row for row in rows.scalars()}
    if part_type_ids:
        rows = await session.execute(select(PartType).where(PartType.id.in_(part_type_ids)))
        part_types = {row.id: row for row in rows.scalars()}
    return _CatalogTypes(repair_types, part_types)


def _checked_item_total(quantity: int, unit_price: Decimal, discount: Decimal, field: str) -> Decimal:
    try:
        return money.item_total(quantity, unit_price, discount)
    except ValueError:
        gross = money.gross_amount(quantity, unit_price)
        raise ValidationFailed.for_field(
            field, f"the discount ({discount}) cannot exceed quantity × unit price ({gross})"
        ) from None


async def _price_line(
    session: AsyncSession,
    device_model_id: uuid.UUID | None,
    item: LineItemCreate,
    types: _CatalogTypes,
    prefix: str,
) -> PricedLine:
    repair_type = part_type = None
    if item.repair_type_id is not None:
        repair_type = types.repair_types.get(item.repair_type_id)
        if repair_type is None:
            raise ValidationFailed.for_field(_field(prefix, "repairTypeId"), "no repair type with this id")
    if item.part_type_id is not None:
        part_type = types.part_types.get(item.part_type_id)
        if part_type is None:
            raise ValidationFailed.for_field(_field(prefix, "partTypeId"), "no part type with this id")
    given_quality = item.part_quality.value if item.part_quality is not None else None
    # The grade of the line: as given, else the part type's own grade (the catalog may refine it below).
    quality = given_quality or (part_type.quality if part_type is not None else None)

    pricing_id = None
    unit_cost = item.unit_cost
    confidence = None
    if item.unit_price is not None:
        unit_price, source = item.unit_price, PriceSource.manual.value
    else:
        # The schema guarantees a repair type here: a line without one must carry its own price.
        assert repair_type is not None
        if device_model_id is None:
            raise ValidationFailed.for_field(
                _field(prefix, "unitPrice"),
                f"the repair has no catalog device model (deviceModelId), so '{repair_type.name}' cannot "
                "be priced from the catalog; give a unitPrice or set the repair's deviceModelId",
            )
        pricing = await catalog.find_price(
            session, device_model_id, repair_type.id, part_type.id if part_type else None, given_quality
        )
        if pricing is not None:
            unit_price, source, pricing_id = pricing.price, PriceSource.catalog.value, pricing.id
            quality = pricing.part_quality
            # A line naming no part takes the price's part: the warranty needs to know what was fitted.
            part_type = part_type or pricing.part_type
            if unit_cost is None:
                unit_cost = pricing.cost
        else:
            quality = quality or DEFAULT_QUALITY
            try:
                estimate = await estimator.estimate_price(session, device_model_id, repair_type.id, quality)
            except NotFound as error:
                raise ValidationFailed.for_field(
                    _field(prefix, "unitPrice"),
                    f"the price list has no price for '{repair_type.name}' on this device and none can be "
                    f"estimated ({error.detail}); give a unitPrice",
                ) from None
            # Stored prices are whole cents; the line total is computed from the stored price.
            unit_price = money.round_money(Decimal(estimate.price))
            source = PriceSource.estimate.value
            confidence = Decimal(str(estimate.confidence))

    description = item.description
    if description is None:
        assert repair_type is not None
        description = f"{repair_type.name} ({part_type.name})" if part_type else repair_type.name
    line_total = _checked_item_total(item.quantity, unit_price, item.discount, _field(prefix, "discount"))
    return PricedLine(
        repair_type_id=item.repair_type_id,
        part_type_id=part_type.id if part_type is not None else None,
        part_quality=quality,
        pricing_id=pricing_id,
        description=description[:300],
        quantity=item.quantity,
        unit_price=unit_price,
        unit_cost=unit_cost,
        discount=item.discount,
        line_total=line_total,
        price_source=source,
        estimate_confidence=confidence,
    )


async def price_items(
    session: AsyncSession,
    device_model_id: uuid.UUID | None,
    items: Sequence[LineItemCreate],
) -> list[PricedLine]:
    """Resolve the unit price, description and total of each line (in order) for a repair of catalog
    device ``device_model_id`` (``None`` for a free-text device).

    Raises :class:`ValidationFailed` (400, field ``items.<index>.<name>``) for an unknown repair
    or part type, a line to be priced from the catalog on a repair without a device model, a line the
    price list and the estimator cannot price, and a discount above ``quantity × unitPrice``."""
    types = await _catalog_types(session, items)
    return [
        await _price_line(session, device_model_id, item, types, f"items.{index}")
        for index, item in enumerate(items)
    ]


def labour_values(data: RepairLabourCreate) -> dict[str, Any]:
    """The column values of a labour line: description, hours, rate and ``hours × rate`` rounded half-up."""
    return {
        "description": data.description,
        "hours": data.hours,
        "rate": data.rate,
        "line_total": money.labour_total(data.hours, data.rate),
    }


# --- totals -------------------------------------------------------------------------------------------


async def has_lines(session: AsyncSession, repair_id: uuid.UUID) -> bool:
    """True when the repair has at least one item or labour line (its total is then computed)."""
    statement = select(
        exists().where(RepairItem.repair_id == repair_id)
        | exists().where(RepairLabour.repair_id == repair_id)
    )
    return bool((await session.execute(statement)).scalar())


async def recompute_totals(session: AsyncSession, repair: Repair) -> money.Totals:
    """Set the repair's ``subtotal``, ``tax_amount`` and ``total_cost`` from its stored lines (flushed),
    at its ``tax_rate``; one query. Returns the totals."""
    line_totals = union_all(
        select(RepairItem.line_total.label("amount")).where(RepairItem.repair_id == repair.id),
        select(RepairLabour.line_total.label("amount")).where(RepairLabour.repair_id == repair.id),
    )
    amounts = (await session.execute(select(line_totals.subquery().c.amount))).scalars()
    result = money.compute_totals(amounts, repair.tax_rate)
    repair.subtotal = result.subtotal
    repair.tax_amount = result.tax_amount
    repair.total_cost = result.total
    return result


async def _next_position(
    session: AsyncSession, model: type[RepairItem] | type[RepairLabour], repair_id: uuid.UUID
) -> int:
    statement = select(func.max(model.position)).where(model.repair_id == repair_id)
    highest = (await session.execute(statement)).scalar()
    return 0 if highest is None else int(highest) + 1


async def add_lines(
    session: AsyncSession,
    repair: Repair,
    items: Sequence[RepairItemCreate],
    labour: Sequence[RepairLabourCreate],
) -> None:
    """Add item and labour lines to ``repair`` (flushed, e.g. at intake) after its existing ones, and
    recompute its totals. Raises like :func:`price_items` (fields ``items.<index>.<name>``)."""
    priced = await price_items(session, repair.device_model_id, items)
    item_start = await _next_position(session, RepairItem, repair.id) if priced else 0
    labour_start = await _next_position(session, RepairLabour, repair.id) if labour else 0
    for offset, (line, data) in enumerate(zip(priced, items, strict=True)):
        session.add(
            RepairItem(
                repair_id=repair.id,
                position=item_start + offset,
                removed_serial=data.removed_serial,
                installed_serial=data.installed_serial,
                product_id=data.product_id,
                **line.values(),
            )
        )
    for offset, labour_line in enumerate(labour):
        session.add(
            RepairLabour(repair_id=repair.id, position=labour_start + offset, **labour_values(labour_line))
        )
    await session.flush()
    await recompute_totals(session, repair)
    await session.flush()


def same_part(old: RepairItem, new: dict[str, Any]) -> bool:
    """Whether the item column values ``new`` describe the same job on the same part as the stored item
    ``old``: the same repair type and part type; for lines with neither (free text), the same
    description regardless of case and surrounding spaces."""
    if old.repair_type_id is not None or old.part_type_id is not None:
        return (old.repair_type_id, old.part_type_id) == (new.get("repair_type_id"), new.get("part_type_id"))
    if new.get("repair_type_id") is not None or new.get("part_type_id") is not None:
        return False
    return old.description.strip().casefold() == str(new.get("description", "")).strip().casefold()


def _with_serials_of(previous: list[RepairItem], items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    unmatched = [item for item in previous if item.removed_serial or item.installed_serial or item.product_id]
    result = []
    for values in items:
        values = dict(values)
        match = next((old for old in unmatched if same_part(old, values)), None)
        if match is not None:
            unmatched.remove(match)
            for name in ("removed_serial", "installed_serial", "product_id"):
                if not values.get(name):
                    values[name] = getattr(match, name)
        result.append(values)
    return result


async def replace_lines(
    session: AsyncSession,
    repair: Repair,
    items: Sequence[dict[str, Any]],
    labour: Sequence[dict[str, Any]],
) -> money.Totals:
    """Replace every item and labour line of ``repair`` with the given column values (e.g. an approved
    quote's lines) and recompute its totals. Returns the totals.

    Serial numbers already recorded on the repair's items (the faulty part's, often noted at diagnosis,
    before the quote) are kept: each new item that :func:`same_part` matches with an old one takes its
    ``removed_serial`` and ``installed_serial`` (and the ``product_id`` of the part in stock) where the new
    values give none. Old items are matched at most once, in their order, so two identical lines keep two
    different serials."""
    previous = list(
        (
            await session.execute(
                select(RepairItem)
                .where(RepairItem.repair_id == repair.id)
                .order_by(RepairItem.position, RepairItem.id)
            )
        ).scalars()
    )
    items = _with_serials_of(previous, items)
    await session.execute(delete(RepairItem).where(RepairItem.repair_id == repair.id))
    await session.execute(delete(RepairLabour).where(RepairLabour.repair_id == repair.id))
    for position, values in enumerate(items):
        session.add(RepairItem(repair_id=repair.id, position=position, **values))
    for position, values in enumerate(labour):
        session.add(RepairLabour(repair_id=repair.id, position=position, **values))
    await session.flush()
    result = await recompute_totals(session, repair)
    await session.flush()
    return result


# --- the line endpoints -------------------------------------------------------------------------------


def ensure_open(repair: Repair) -> None:
    """Raise :class:`Conflict` (409) unless the repair is open (not completed, delivered or cancelled)."""
    if repair.status not in {status.value for status in lifecycle.OPEN_STATUSES}:
        raise Conflict(
            f"Repair {repair.repair_number} is {repair.status}; its lines and prices can no longer change.",
            status=repair.status,
        )


async def _repair_for_lines(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> Repair:
    repair = await access.get_for_change(session, principal, repair_id)
    ensure_open(repair)
    return repair


async def _lines_changed(
    session: AsyncSession, principal: Principal, repair: Repair, kind: str, previous_total: Decimal | None
) -> None:
    await recompute_totals(session, repair)
    repair.updated_at = utcnow()
    await session.flush()
    changed = [kind] if repair.total_cost == previous_total else [kind, "totalCost"]
    actor = principal.staff_user_id
    await publish(
        session,
        REPAIR_UPDATED,
        RepairEventPayload.of(repair, changed_fields=changed, changed_by_id=actor),
        customer_id=repair.customer_id,
        actor_id=actor,
    )


async def add_item(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, data: RepairItemCreate
) -> tuple[RepairItem, Repair]:
    """Add a part-and-repair line to an open repair (priced as :func:`price_items` says) and recompute
    its totals; publishes ``repair.updated`` (``changedFields`` ``items`` and ``totalCost``).

    Raises :class:`NotFound` (404) for a repair the principal cannot see, :class:`Forbidden` (403) for a
    technician's change to a repair not assigned to them, :class:`Conflict` (409) for a closed repair and
    :class:`ValidationFailed` (400) like :func:`price_items` (fields without a prefix)."""
    repair = await _repair_for_lines(session, principal, repair_id)
    previous_total = repair.total_cost
    types = await _catalog_types(session, [data])
    line = await _price_line(session, repair.device_model_id, data, types, "")
    item = RepairItem(
        repair_id=repair.id,
        position=await _next_position(session, RepairItem, repair.id),
        removed_serial=data.removed_serial,
        installed_serial=data.installed_serial,
        product_id=data.product_id,
        **line.values(),
    )
    session.add(item)
    await session.flush()
    await _lines_changed(session, principal, repair, "items", previous_total)
    return item, repair


Line = TypeVar("Line", RepairItem, RepairLabour)


async def _line_of(session: AsyncSession, model: type[Line], repair: Repair, line_id: uuid.UUID) -> Line:
    """The item or labour line ``line_id`` of ``repair``; :class:`NotFound` for another repair's."""
    statement = select(model).where(model.id == line_id, model.repair_id == repair.id)
    line = (await session.execute(statement)).scalar_one_or_none()
    if line is None:
        label = "Line item" if model is RepairItem else "Labour line"
        raise NotFound(f"{label} {line_id} not found on repair {repair.repair_number}.")
    return line


async def update_item(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    item_id: uuid.UUID,
    data: RepairItemUpdate,
) -> tuple[RepairItem, Repair]:
    """Change a line item of an open repair and recompute the totals; a new ``unitPrice`` makes the
    price ``manual``. Publishes ``repair.updated`` (``items``, plus ``totalCost`` when it changed).

    Raises like :func:`add_item`, :class:`NotFound` for an item of another repair, and
    :class:`ValidationFailed` for a null ``description``/``quantity``/``unitPrice``/``discount`` or a
    discount above ``quantity × unitPrice``."""
    repair = await _repair_for_lines(session, principal, repair_id)
    item = await _line_of(session, RepairItem, repair, item_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "description", "quantity", "unit_price", "discount")
    previous_total = repair.total_cost
    quantity = values.get("quantity", item.quantity)
    unit_price = values.get("unit_price", item.unit_price)
    discount = values.get("discount", item.discount)
    line_total = _checked_item_total(quantity, unit_price, discount, "discount")
    if "unit_price" in values and values["unit_price"] != item.unit_price:
        item.price_source = PriceSource.manual.value
        item.pricing_id = None
        item.estimate_confidence = None
    for name, value in values.items():
        setattr(item, name, value)
    item.line_total = line_total
    item.updated_at = utcnow()
    await session.flush()
    await _lines_changed(session, principal, repair, "items", previous_total)
    return item, repair


async def delete_item(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, item_id: uuid.UUID
) -> Repair:
    """Remove a line item from an open repair and recompute the totals (no lines left: all zero).
    Publishes ``repair.updated``. Raises like :func:`update_item`."""
    repair = await _repair_for_lines(session, principal, repair_id)
    item = await _line_of(session, RepairItem, repair, item_id)
    previous_total = repair.total_cost
    await session.delete(item)
    await session.flush()
    await _lines_changed(session, principal, repair, "items", previous_total)
    return repair


async def add_labour(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, data: RepairLabourCreate
) -> tuple[RepairLabour, Repair]:
    """Add a labour line (``hours × rate``) to an open repair and recompute its totals; publishes
    ``repair.updated`` (``labour``, ``totalCost``). Raises like :func:`add_item`."""
    repair = await _repair_for_lines(session, principal, repair_id)
    previous_total = repair.total_cost
    line = RepairLabour(
        repair_id=repair.id,
        position=await _next_position(session, RepairLabour, repair.id),
        **labour_values(data),
    )
    session.add(line)
    await session.flush()
    await _lines_changed(session, principal, repair, "labour", previous_total)
    return line, repair


async def update_labour(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    labour_id: uuid.UUID,
    data: RepairLabourUpdate,
) -> tuple[RepairLabour, Repair]:
    """Change a labour line of an open repair and recompute the totals; publishes ``repair.updated``.
    Raises like :func:`add_item`, :class:`NotFound` for a line of another repair and
    :class:`ValidationFailed` for a null field."""
    repair = await _repair_for_lines(session, principal, repair_id)
    line = await _line_of(session, RepairLabour, repair, labour_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "description", "hours", "rate")
    previous_total = repair.total_cost
    for name, value in values.items():
        setattr(line, name, value)
    line.line_total = money.labour_total(line.hours, line.rate)
    line.updated_at = utcnow()
    await session.flush()
    await _lines_changed(session, principal, repair, "labour", previous_total)
    return line, repair


async def delete_labour(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, labour_id: uuid.UUID
) -> Repair:
    """Remove a labour line from an open repair and recompute the totals; publishes ``repair.updated``.
    Raises like :func:`update_labour`."""
    repair = await _repair_for_lines(session, principal, repair_id)
    line = await _line_of(session, RepairLabour, repair, labour_id)
    previous_total = repair.total_cost
    await session.delete(line)
    await session.flush()
    await _lines_changed(session, principal, repair, "labour", previous_total)
    return repair
