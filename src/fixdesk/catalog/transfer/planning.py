"""Planning an import: the parsed rows, walked in file order against what the database holds, become
the records to create and update; a row that conflicts with the stored data or an earlier row is
rejected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fixdesk.catalog.models import TierLevel
from fixdesk.catalog.transfer.csv_format import DEFAULT_PART_QUALITY, DEVICE_FIELDS
from fixdesk.catalog.transfer.parsing import ParsedRow, PriceCells, RowProblem
from fixdesk.catalog.transfer.report import RejectedRow
from fixdesk.db import new_id


@dataclass(slots=True)
class NamedPlan:
    """A brand, repair type or part type the file refers to."""

    slug: str
    name: str
    id: uuid.UUID
    exists: bool
    quality: str = DEFAULT_PART_QUALITY  # part types only


@dataclass(slots=True)
class DevicePlan:
    """A device model the file refers to: as stored (``current``, ``None`` when new) and as the file wants it
    (``values``, by DeviceModel attribute)."""

    brand: NamedPlan
    name: str
    id: uuid.UUID
    current: dict[str, Any] | None
    values: dict[str, Any]
    # The line that first set each attribute from the file, for conflict messages.
    given_at: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class PricePlan:
    """A price the file sets, with its keys: as stored (``current``, ``None`` when new) and as the file wants
    it (``values``)."""

    device: DevicePlan
    repair_type: NamedPlan
    part_type: NamedPlan
    quality: str
    line: int
    current: dict[str, Any] | None
    values: dict[str, Any]
    id: uuid.UUID | None = None  # known once written (or from ``current``)


# The stored attributes an import compares (and sets) of device models and of prices.
DEVICE_COMPARED = ("model_number", "release_year", "device_type", "screen_size", "tier_level")
PRICE_COMPARED = ("price", "cost", "valid_from", "valid_until", "notes")


@dataclass(slots=True)
class ExistingRecords:
    """The stored records the file refers to (rows as dicts): brands, repair types and part types by slug,
    device models by brand id and lower-cased name, prices by their four keys."""

    brands: dict[str, dict[str, Any]]
    repair_types: dict[str, dict[str, Any]]
    part_types: dict[str, dict[str, Any]]
    # (brand id, lower-cased name) → row.
    devices: dict[tuple[uuid.UUID, str], dict[str, Any]]
    prices: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID, str], dict[str, Any]]


class Planner:
    """Walks the parsed rows in file order against what exists, rejecting rows that conflict."""

    def __init__(self, existing: ExistingRecords, now: datetime) -> None:
        self.existing = existing
        self.now = now
        self.brands: dict[str, NamedPlan] = {}
        self.repair_types: dict[str, NamedPlan] = {}
        self.part_types: dict[str, NamedPlan] = {}
        self.devices: dict[tuple[str, str], DevicePlan] = {}
        self.prices: dict[tuple[tuple[str, str], str, str, str], PricePlan] = {}
        self.rejected: list[RejectedRow] = []
        self.accepted = 0

    def _named(self, plans: dict[str, NamedPlan], rows: dict[str, dict[str, Any]], name: str) -> NamedPlan:
        slug = name.lower()  # cells are cleaned already: this is slug_for(name)
        plan = plans.get(slug)
        if plan is not None:
            return plan
        row = rows.get(slug)
        if row is not None:
            return NamedPlan(slug, row["name"], row["id"], True, row.get("quality") or DEFAULT_PART_QUALITY)
        return NamedPlan(slug, name, new_id(), False)

    def _device(self, brand: NamedPlan, model: str) -> DevicePlan:
        key = (brand.slug, model.lower())
        plan = self.devices.get(key)
        if plan is not None:
            return plan
        row = self.existing.devices.get((brand.id, model.lower())) if brand.exists else None
        if row is not None:
            current = {name: row[name] for name in DEVICE_COMPARED}
            return DevicePlan(brand, row["name"], row["id"], current, dict(current))
        return DevicePlan(brand, model, new_id(), None, {"tier_level": TierLevel.standard.value})

    def add(self, row: ParsedRow) -> None:
        """Plan what ``row`` contributes, or reject it (:attr:`rejected`) when it conflicts."""
        try:
            self._add(row)
        except RowProblem as problem:
            self.rejected.append(RejectedRow(row.line, problem.reason, problem.column))
        else:
            self.accepted += 1

    def _add(self, row: ParsedRow) -> None:
        brand = self._named(self.brands, self.existing.brands, row.brand)
        device = self._device(brand, row.model)
        device_key = (brand.slug, row.model.lower())
        known_device = device_key in self.devices or device.current is not None
        if not known_device and "device_type" not in row.device:
            raise RowProblem("deviceType is required for a new device model", "deviceType")
        for attribute, value in row.device.items():
            first_line = device.given_at.get(attribute)
            if first_line is not None and device.values[attribute] != value:
                column = _column_of(attribute)
                raise RowProblem(
                    f"{column} {_show(value)} differs from {_show(device.values[attribute])} given for this "
                    f"device model on line {first_line}",
                    column,
                )

        priced = self._price(row, device, device_key) if row.price is not None else None

        # The row is good: record what it contributes.
        self.brands.setdefault(brand.slug, brand)
        self.devices.setdefault(device_key, device)
        for attribute, value in row.device.items():
            device.values[attribute] = value
            device.given_at.setdefault(attribute, row.line)
        if priced is not None:
            price_key, plan = priced
            self.repair_types.setdefault(plan.repair_type.slug, plan.repair_type)
            self.part_types.setdefault(plan.part_type.slug, plan.part_type)
            self.prices[price_key] = plan

    def _price(
        self, row: ParsedRow, device: DevicePlan, device_key: tuple[str, str]
    ) -> tuple[tuple[tuple[str, str], str, str, str], PricePlan]:
        """The price a row sets, with its key; raises :class:`RowProblem` when it cannot be taken."""
        cells = row.price
        assert cells is not None
        repair_type = self._named(self.repair_types, self.existing.repair_types, cells.repair_type)
        part_type = self._named(self.part_types, self.existing.part_types, cells.part_type)
        if not part_type.exists and part_type.slug not in self.part_types:
            part_type.quality = cells.part_quality or DEFAULT_PART_QUALITY
        quality = cells.part_quality or part_type.quality
        price_key = (device_key, repair_type.slug, part_type.slug, quality)
        earlier = self.prices.get(price_key)
        if earlier is not None:
            raise RowProblem(
                f"duplicate of line {earlier.line} (same device model, repair type, part type and quality)"
            )
        current = None
        if device.current is not None and repair_type.exists and part_type.exists:
            current = self.existing.prices.get((device.id, repair_type.id, part_type.id, quality))
        values = _price_values(cells, current, self.now)
        if values["valid_until"] is not None and values["valid_until"] <= values["valid_from"]:
            raise RowProblem("validUntil must be after validFrom", "validUntil")
        return price_key, PricePlan(device, repair_type, part_type, quality, row.line, current, values)


def _price_values(cells: PriceCells, current: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    if current is None:
        return {
            "price": cells.price,
            "cost": cells.cost,
            "valid_from": cells.valid_from or now,
            "valid_until": cells.valid_until,
            "notes": cells.notes,
        }
    values = {name: current[name] for name in PRICE_COMPARED}
    values["price"] = cells.price
    for name in ("cost", "valid_from", "valid_until", "notes"):
        given = getattr(cells, name)
        if given is not None:
            values[name] = given
    return values


def _column_of(attribute: str) -> str:
    return next(column for column, name in DEVICE_FIELDS.items() if name == attribute)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)
