"""Import the device catalog and price list from CSV, and export it in the same format.

The format
==========

UTF-8 text (a byte-order mark is allowed), comma-separated, fields quoted the usual way (RFC 4180), one
header row naming the columns in any order. Header names are matched regardless of case, spaces and
underscores (``modelNumber``, ``model_number`` and ``Model Number`` are the same column); a column the
format does not know, or a column given twice, makes the whole file invalid.

====================  ========  =====================================================================
column                required  meaning
====================  ========  =====================================================================
``brand``             yes       manufacturer, matched by name regardless of case (``Apple``)
``model``             yes       device model name, unique within its brand, matched regardless of case
``modelNumber``                 manufacturer's model number (``A2633``), up to 100 characters
``releaseYear``                 year of first release (``2021``)
``deviceType``        new only  ``phone``, ``tablet``, ``laptop``, ``desktop``, ``console``, ``watch``, ``other``
``screenSize``                  diagonal in inches, dot decimal separator (``6.1``)
``tierLevel``                   ``1`` flagship, ``2`` standard, ``3`` budget (or those words); new models: 2
``repairType``        price     kind of repair (``Screen replacement``), matched regardless of case
``partType``          price     kind of part (``OLED display assembly``), matched regardless of case
``partQuality``                 ``original``, ``aftermarket_premium``, ``aftermarket_standard``,
                                ``aftermarket_economy``; blank means the part type's own quality
``price``             price     the shop's price in the shop currency (``FIXDESK_CURRENCY``)
``cost``                        what the part costs the shop, same currency
``validFrom``                   ``YYYY-MM-DD`` (midnight in ``FIXDESK_SHOP_TIMEZONE``) or an ISO 8601
                                time (without an offset it is shop time); new prices: now
``validUntil``                  same format, after ``validFrom``; blank is open-ended
``notes``                       a note on the price, up to 500 characters
====================  ========  =====================================================================

Rules:

* A row with only device columns upserts the brand and the device model. A row that also has
  ``repairType``, ``partType`` and ``price`` upserts that price as well, keyed like the price list on device
  model × repair type × part type × part quality. A price column without those three rejects the row.
* Money uses a dot as the decimal separator and at most two decimals (``149``, ``149.5``, ``149.99``);
  anything else (``149,99``, ``$149``, ``1,499.00``, ``149.999``, negative amounts) rejects the row.
* A blank optional cell leaves what is stored alone: it never clears a value. Clearing is done through
  the API. A new device model needs ``deviceType``.
* Brands, repair types and part types that do not exist yet are created and counted as created. A new
  part type takes the row's ``partQuality`` (default ``aftermarket_standard``) and a 3-month warranty; a new
  repair type has no default bench time. Adjust both through the API afterwards.
* A device model may appear on many rows (one per price). Its columns must agree: a row that gives a
  different value for a column an earlier row already set (e.g. another ``releaseYear``) is rejected with
  the line of the first value. A price key given twice is rejected from the second time on as
  ``duplicate of line N``: nothing is silently overwritten.
* A rejected row changes nothing, and never stops the other rows: every good row is written. Each
  rejection names the 1-based line of the file where the record starts, the reason and, where one column
  is at fault, that column.
* A file that is not UTF-8 CSV, lacks the ``brand`` and ``model`` headers or has an unknown header is
  refused as a whole (:class:`~fixdesk.platform.errors.ValidationFailed`, 400) and changes nothing.
* A changed price keeps its id. When price or cost change (or a price is created) a price-history row is
  written with source ``import``, naming the file and line, and a ``catalog.price_changed`` event is
  published, as for a change through the API; a change of only the validity dates or notes updates the
  price without either. A changed price saved earlier from the estimator becomes the shop's own
  (``isEstimated`` false). Records an import creates are active; it never changes the active flag of
  existing ones (deactivating and reactivating is done through the API).

Counts are per distinct record, not per row: ``created``, ``updated`` and ``unchanged`` for brands, device
models, repair types, part types and prices (brands, repair types and part types are never updated by an
import, only created or referenced).

Everything happens in the caller's one transaction: existing records are loaded with a few chunked
queries, the changes are computed in Python, and written with chunked multi-row
``INSERT … ON CONFLICT`` statements (SQLAlchemy's ``insertmanyvalues`` batching), so the number of
statements grows with the file size divided by the chunk size, never with one query per row.

:func:`export_catalog_csv` writes the same format, so an export imported again reports everything
unchanged.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from fixdesk.catalog.events import PRICE_CHANGED, PriceChangedPayload
from fixdesk.catalog.models import (
    Brand,
    DeviceModel,
    PartQuality,
    PartType,
    PriceChangeSource,
    PriceHistory,
    Pricing,
    RepairType,
    TierLevel,
)
from fixdesk.catalog.service import device_search_text, invalidate_catalog_cache
from fixdesk.catalog.service import slug_for as name_slug
from fixdesk.db import new_id, utcnow
from fixdesk.platform.errors import FixdeskError, ValidationFailed
from fixdesk.platform.events import publish_many
from fixdesk.repairs.models import DeviceType

COLUMNS: tuple[str, ...] = (
    "brand",
    "model",
    "modelNumber",
    "releaseYear",
    "deviceType",
    "screenSize",
    "tierLevel",
    "repairType",
    "partType",
    "partQuality",
    "price",
    "cost",
    "validFrom",
    "validUntil",
    "notes",
)
"""The columns of the format, in the order the export writes them."""

REQUIRED_COLUMNS: tuple[str, ...] = ("brand", "model")
PRICE_KEY_COLUMNS: tuple[str, ...] = ("repairType", "partType", "price")
PRICE_COLUMNS: tuple[str, ...] = (
    "repairType",
    "partType",
    "partQuality",
    "price",
    "cost",
    "validFrom",
    "validUntil",
    "notes",
)
DEVICE_TYPES: tuple[str, ...] = tuple(kind.value for kind in DeviceType)
DEFAULT_PART_QUALITY = PartQuality.aftermarket_standard.value
DEFAULT_WARRANTY_MONTHS = 3
WRITE_CHUNK_ROWS = 1_000
SELECT_CHUNK_KEYS = 500
EXPORT_CHUNK_ROWS = 1_000
MAX_REJECTIONS_REPORTED = 1_000

# Device model columns of the file → DeviceModel attributes.
_DEVICE_FIELDS: dict[str, str] = {
    "modelNumber": "model_number",
    "releaseYear": "release_year",
    "deviceType": "device_type",
    "screenSize": "screen_size",
    "tierLevel": "tier_level",
}
_MAX_LENGTHS: dict[str, int] = {
    "brand": 100,
    "model": 200,
    "modelNumber": 100,
    "repairType": 100,
    "partType": 100,
    "notes": 500,
}
_MONEY = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_SCREEN_SIZE = re.compile(r"^\d{1,2}(\.\d{1,2})?$")
_TIER_NAMES = {tier.name: tier.value for tier in TierLevel}
_QUALITIES = frozenset(quality.value for quality in PartQuality)


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_HEADER_ALIASES: dict[str, str] = {_header_key(column): column for column in COLUMNS} | {
    "devicemodel": "model",
    "quality": "partQuality",
}


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportCounts:
    """How many distinct records of one kind the import created, changed and found already as given."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: the 1-based line where its record starts, why, and the column at
    fault when there is one."""

    line: int
    reason: str
    column: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What :func:`import_catalog` did. ``rows`` counts the data records read (blank lines aside),
    ``accepted`` those imported; ``price_history`` is the number of price-history rows written."""

    rows: int = 0
    accepted: int = 0
    brands: ImportCounts = field(default_factory=ImportCounts)
    device_models: ImportCounts = field(default_factory=ImportCounts)
    repair_types: ImportCounts = field(default_factory=ImportCounts)
    part_types: ImportCounts = field(default_factory=ImportCounts)
    prices: ImportCounts = field(default_factory=ImportCounts)
    price_history: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(
            counts.created or counts.updated
            for counts in (self.brands, self.device_models, self.repair_types, self.part_types, self.prices)
        )


class ImportTooLarge(FixdeskError):
    """413: the uploaded CSV is larger than ``FIXDESK_MAX_IMPORT_BYTES``."""

    status, code, title = 413, "PAYLOAD_TOO_LARGE", "Request body too large"


class ImportProgress(Protocol):
    """Receives progress: ``stage`` starts a stage (``reading``, ``checking``, ``writing``) of ``total``
    units (rows), ``advance`` reports ``count`` more done in the current stage. Calls may come from a worker
    thread."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class _NoProgress:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------


def clean_name(value: str) -> str:
    """A name as stored: surrounding whitespace removed, inner runs of whitespace made one space."""
    return " ".join(value.split())


# --------------------------------------------------------------------------------------------------
# Parsing: bytes → rows of typed cells (no database)
# --------------------------------------------------------------------------------------------------


class _RowProblem(Exception):
    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


@dataclass(slots=True)
class _PriceCells:
    repair_type: str
    part_type: str
    part_quality: str | None
    price: Decimal
    cost: Decimal | None
    valid_from: datetime | None
    valid_until: datetime | None
    notes: str | None


@dataclass(slots=True)
class _Row:
    line: int
    brand: str
    model: str
    # Only the device columns the row gives, by DeviceModel attribute.
    device: dict[str, Any]
    price: _PriceCells | None


@dataclass(slots=True)
class _ParsedFile:
    rows: list[_Row]
    rejected: list[RejectedRow]
    records: int


def _file_problem(message: str) -> ValidationFailed:
    return ValidationFailed.for_field("file", message)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _file_problem(
                f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read); save the CSV as UTF-8."
            ) from None
    if "\x00" in text:
        raise _file_problem("The file is not a CSV text file (it contains NUL bytes).")
    if not text.strip():
        raise _file_problem("The file is empty; the first line must name the columns.")
    return text


def _read_header(header: Sequence[str]) -> list[str | None]:
    """Map each header cell to its column name; refuses unknown and repeated columns."""
    columns: list[str | None] = []
    unknown: list[str] = []
    for cell in header:
        if not cell.strip():
            columns.append(None)  # an empty trailing header cell, as spreadsheets write
            continue
        column = _HEADER_ALIASES.get(_header_key(cell))
        if column is None:
            unknown.append(cell.strip())
        columns.append(column)
    named = [column for column in columns if column]
    missing = [column for column in REQUIRED_COLUMNS if column not in named]
    if missing:
        hint = ""
        if len(header) == 1 and any(separator in header[0] for separator in ";\t|"):
            hint = " Columns must be separated by commas."
        raise _file_problem(
            f"The header row lacks the required column(s) {', '.join(missing)}.{hint} "
            f"Known columns: {', '.join(COLUMNS)}."
        )
    if unknown:
        raise _file_problem(f"Unknown column(s) {', '.join(unknown)}. Known columns: {', '.join(COLUMNS)}.")
    repeated = sorted({column for column in named if named.count(column) > 1})
    if repeated:
        raise _file_problem(f"Column(s) given twice: {', '.join(repeated)}.")
    return columns


def _text(cells: dict[str, str], column: str) -> str | None:
    value = cells.get(column, "")
    value = clean_name(value) if column != "notes" else value.strip()
    if not value:
        return None
    limit = _MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        raise _RowProblem(f"{column} is longer than {limit} characters", column)
    return value


def _money(cells: dict[str, str], column: str) -> Decimal | None:
    value = cells.get(column, "").strip()
    if not value:
        return None
    if not _MONEY.match(value):
        raise _RowProblem(
            f"{column} {value!r} is not an amount: use digits, a dot as the decimal separator and at most "
            "two decimals, e.g. 149.99",
            column,
        )
    return Decimal(value)


def _moment(cells: dict[str, str], column: str, zone: ZoneInfo) -> datetime | None:
    value = cells.get(column, "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time(), zone).astimezone(UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _RowProblem(
            f"{column} {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time", column
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _device_cells(cells: dict[str, str], this_year: int) -> dict[str, Any]:
    device: dict[str, Any] = {}
    model_number = _text(cells, "modelNumber")
    if model_number is not None:
        device["model_number"] = model_number
    year = cells.get("releaseYear", "").strip()
    if year:
        if not year.isdigit() or not 1970 <= int(year) <= this_year + 2:
            raise _RowProblem(
                f"releaseYear {year!r} is not a year between 1970 and {this_year + 2}", "releaseYear"
            )
        device["release_year"] = int(year)
    device_type = cells.get("deviceType", "").strip().lower()
    if device_type:
        if device_type not in DEVICE_TYPES:
            raise _RowProblem(
                f"deviceType {device_type!r} is not one of {', '.join(DEVICE_TYPES)}", "deviceType"
            )
        device["device_type"] = device_type
    screen = cells.get("screenSize", "").strip()
    if screen:
        if not _SCREEN_SIZE.match(screen) or Decimal(screen) <= 0:
            raise _RowProblem(
                f"screenSize {screen!r} is not a size in inches with a dot decimal separator, e.g. 6.1",
                "screenSize",
            )
        device["screen_size"] = Decimal(screen).quantize(Decimal("0.01"))
    tier = cells.get("tierLevel", "").strip().lower()
    if tier:
        level = int(tier) if tier in ("1", "2", "3") else _TIER_NAMES.get(tier)
        if level is None:
            raise _RowProblem(
                f"tierLevel {tier!r} is not 1 (flagship), 2 (standard) or 3 (budget)", "tierLevel"
            )
        device["tier_level"] = level
    return device


def _price_cells(cells: dict[str, str], zone: ZoneInfo) -> _PriceCells | None:
    given = [column for column in PRICE_COLUMNS if cells.get(column, "").strip()]
    if not given:
        return None
    for column in PRICE_KEY_COLUMNS:
        if column not in given:
            raise _RowProblem(
                f"{column} is required when a row has price columns ({', '.join(given)}); a price needs "
                "repairType, partType and price",
                column,
            )
    quality = cells.get("partQuality", "").strip().lower().replace("-", "_").replace(" ", "_") or None
    if quality is not None and quality not in _QUALITIES:
        raise _RowProblem(
            f"partQuality {quality!r} is not one of {', '.join(q.value for q in PartQuality)}", "partQuality"
        )
    price = _money(cells, "price")
    assert price is not None
    # validUntil after validFrom is checked once the stored values are known (a blank cell keeps them).
    valid_from = _moment(cells, "validFrom", zone)
    valid_until = _moment(cells, "validUntil", zone)
    return _PriceCells(
        repair_type=_text(cells, "repairType") or "",
        part_type=_text(cells, "partType") or "",
        part_quality=quality,
        price=price,
        cost=_money(cells, "cost"),
        valid_from=valid_from,
        valid_until=valid_until,
        notes=_text(cells, "notes"),
    )


def _parse_csv(
    data: bytes | str, *, timezone: str = "UTC", progress: ImportProgress | None = None
) -> _ParsedFile:
    """Read a catalog CSV into typed rows, rejecting rows whose cells are malformed.

    Raises :class:`ValidationFailed` (field ``file``) when the file as a whole is not usable.
    """
    progress = progress or _NoProgress()
    text = _decode(data)
    zone = ZoneInfo(timezone)
    this_year = datetime.now(zone).year
    progress.stage("reading", text.count("\n") + (not text.endswith("\n")))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        columns = _read_header(header)
        progress.advance(reader.line_num)
        rows: list[_Row] = []
        rejected: list[RejectedRow] = []
        records = 0
        previous_line = reader.line_num
        for record in reader:
            line = previous_line + 1
            progress.advance(reader.line_num - previous_line)
            previous_line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            records += 1
            if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns) :]):
                rejected.append(
                    RejectedRow(line, f"{len(record)} fields, but the header names {len(columns)} columns")
                )
                continue
            cells = {column: cell for column, cell in zip(columns, record, strict=False) if column}
            try:
                brand = _text(cells, "brand")
                if brand is None:
                    raise _RowProblem("brand is required", "brand")
                model = _text(cells, "model")
                if model is None:
                    raise _RowProblem("model is required", "model")
                device = _device_cells(cells, this_year)
                price = _price_cells(cells, zone)
            except _RowProblem as problem:
                rejected.append(RejectedRow(line, problem.reason, problem.column))
                continue
            rows.append(_Row(line, brand, model, device, price))
    except csv.Error as exc:
        raise _file_problem(f"The file is not valid CSV near line {reader.line_num}: {exc}.") from None
    return _ParsedFile(rows, rejected, records)


# --------------------------------------------------------------------------------------------------
# Planning: rows + what the database holds → records to create and update
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _NamedPlan:
    """A brand, repair type or part type the file refers to."""

    slug: str
    name: str
    id: uuid.UUID
    exists: bool
    quality: str = DEFAULT_PART_QUALITY  # part types only


@dataclass(slots=True)
class _DevicePlan:
    brand: _NamedPlan
    name: str
    id: uuid.UUID
    current: dict[str, Any] | None
    values: dict[str, Any]
    # The line that first set each attribute from the file, for conflict messages.
    given_at: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _PricePlan:
    device: _DevicePlan
    repair_type: _NamedPlan
    part_type: _NamedPlan
    quality: str
    line: int
    current: dict[str, Any] | None
    values: dict[str, Any]
    id: uuid.UUID | None = None  # known once written (or from ``current``)


_DEVICE_COMPARED = ("model_number", "release_year", "device_type", "screen_size", "tier_level")
_PRICE_COMPARED = ("price", "cost", "valid_from", "valid_until", "notes")


@dataclass(slots=True)
class _Existing:
    brands: dict[str, dict[str, Any]]
    repair_types: dict[str, dict[str, Any]]
    part_types: dict[str, dict[str, Any]]
    # (brand id, lower-cased name) → row.
    devices: dict[tuple[uuid.UUID, str], dict[str, Any]]
    prices: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID, str], dict[str, Any]]


class _Planner:
    """Walks the parsed rows in file order against what exists, rejecting rows that conflict."""

    def __init__(self, existing: _Existing, now: datetime) -> None:
        self.existing = existing
        self.now = now
        self.brands: dict[str, _NamedPlan] = {}
        self.repair_types: dict[str, _NamedPlan] = {}
        self.part_types: dict[str, _NamedPlan] = {}
        self.devices: dict[tuple[str, str], _DevicePlan] = {}
        self.prices: dict[tuple[tuple[str, str], str, str, str], _PricePlan] = {}
        self.rejected: list[RejectedRow] = []
        self.accepted = 0

    def _named(self, plans: dict[str, _NamedPlan], rows: dict[str, dict[str, Any]], name: str) -> _NamedPlan:
        slug = name.lower()  # cells are cleaned already: this is slug_for(name)
        plan = plans.get(slug)
        if plan is not None:
            return plan
        row = rows.get(slug)
        if row is not None:
            return _NamedPlan(slug, row["name"], row["id"], True, row.get("quality") or DEFAULT_PART_QUALITY)
        return _NamedPlan(slug, name, new_id(), False)

    def _device(self, brand: _NamedPlan, model: str) -> _DevicePlan:
        key = (brand.slug, model.lower())
        plan = self.devices.get(key)
        if plan is not None:
            return plan
        row = self.existing.devices.get((brand.id, model.lower())) if brand.exists else None
        if row is not None:
            current = {name: row[name] for name in _DEVICE_COMPARED}
            return _DevicePlan(brand, row["name"], row["id"], current, dict(current))
        return _DevicePlan(brand, model, new_id(), None, {"tier_level": TierLevel.standard.value})

    def add(self, row: _Row) -> None:
        try:
            self._add(row)
        except _RowProblem as problem:
            self.rejected.append(RejectedRow(row.line, problem.reason, problem.column))
        else:
            self.accepted += 1

    def _add(self, row: _Row) -> None:
        brand = self._named(self.brands, self.existing.brands, row.brand)
        device = self._device(brand, row.model)
        device_key = (brand.slug, row.model.lower())
        known_device = device_key in self.devices or device.current is not None
        if not known_device and "device_type" not in row.device:
            raise _RowProblem("deviceType is required for a new device model", "deviceType")
        for attribute, value in row.device.items():
            first_line = device.given_at.get(attribute)
            if first_line is not None and device.values[attribute] != value:
                column = _column_of(attribute)
                raise _RowProblem(
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
        self, row: _Row, device: _DevicePlan, device_key: tuple[str, str]
    ) -> tuple[tuple[tuple[str, str], str, str, str], _PricePlan]:
        """The price a row sets, with its key; raises :class:`_RowProblem` when it cannot be taken."""
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
            raise _RowProblem(
                f"duplicate of line {earlier.line} (same device model, repair type, part type and quality)"
            )
        current = None
        if device.current is not None and repair_type.exists and part_type.exists:
            current = self.existing.prices.get((device.id, repair_type.id, part_type.id, quality))
        values = _price_values(cells, current, self.now)
        if values["valid_until"] is not None and values["valid_until"] <= values["valid_from"]:
            raise _RowProblem("validUntil must be after validFrom", "validUntil")
        return price_key, _PricePlan(device, repair_type, part_type, quality, row.line, current, values)


def _price_values(cells: _PriceCells, current: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    if current is None:
        return {
            "price": cells.price,
            "cost": cells.cost,
            "valid_from": cells.valid_from or now,
            "valid_until": cells.valid_until,
            "notes": cells.notes,
        }
    values = {name: current[name] for name in _PRICE_COMPARED}
    values["price"] = cells.price
    for name in ("cost", "valid_from", "valid_until", "notes"):
        given = getattr(cells, name)
        if given is not None:
            values[name] = given
    return values


def _column_of(attribute: str) -> str:
    return next(column for column, name in _DEVICE_FIELDS.items() if name == attribute)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------------------------------
# Loading what exists
# --------------------------------------------------------------------------------------------------


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def _select_in(
    connection: AsyncConnection, build: Callable[[Sequence[Any]], Select[Any]], keys: Sequence[Any]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(keys, SELECT_CHUNK_KEYS):
        rows.extend(dict(row) for row in (await connection.execute(build(chunk))).mappings())
    return rows


async def _load_existing(connection: AsyncConnection, parsed: _ParsedFile) -> _Existing:
    # File cells are cleaned (clean_name), so their lower-cased form is their slug.
    brand_slugs = sorted({row.brand.lower() for row in parsed.rows})
    repair_slugs = sorted({row.price.repair_type.lower() for row in parsed.rows if row.price})
    part_slugs = sorted({row.price.part_type.lower() for row in parsed.rows if row.price})
    brands = Brand.__table__.c
    repair_types = RepairType.__table__.c
    part_types = PartType.__table__.c
    devices = DeviceModel.__table__.c
    prices = Pricing.__table__.c

    brand_rows = await _select_in(
        connection,
        lambda chunk: select(brands.id, brands.name, brands.slug).where(brands.slug.in_(chunk)),
        brand_slugs,
    )
    repair_rows = await _select_in(
        connection,
        lambda chunk: select(repair_types.id, repair_types.name, repair_types.slug).where(
            repair_types.slug.in_(chunk)
        ),
        repair_slugs,
    )
    part_rows = await _select_in(
        connection,
        lambda chunk: select(part_types.id, part_types.name, part_types.slug, part_types.quality).where(
            part_types.slug.in_(chunk)
        ),
        part_slugs,
    )
    wanted_models: dict[str, set[str]] = {}
    for row in parsed.rows:
        wanted_models.setdefault(row.brand.lower(), set()).add(row.model.lower())
    device_map: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    brand_ids = [row["id"] for row in brand_rows]
    device_rows = await _select_in(
        connection,
        lambda chunk: select(
            devices.id, devices.brand_id, devices.name, *(devices[name] for name in _DEVICE_COMPARED)
        ).where(devices.brand_id.in_(chunk)),
        brand_ids,
    )
    slug_of_brand = {row["id"]: row["slug"] for row in brand_rows}
    for row in device_rows:
        lowered = name_slug(row["name"])
        if lowered not in wanted_models.get(slug_of_brand[row["brand_id"]], ()):
            continue
        key = (row["brand_id"], lowered)
        held = device_map.get(key)
        # The catalog service keeps names unique regardless of case within a brand; should two such rows
        # exist anyway (written before that rule), the older one is used, consistently.
        if held is None or row["id"] < held["id"]:
            device_map[key] = row
    price_rows: list[dict[str, Any]] = []
    if repair_rows and part_rows and device_map:
        device_ids = sorted(row["id"] for row in device_map.values())
        repair_ids = [row["id"] for row in repair_rows]
        part_ids = [row["id"] for row in part_rows]
        price_rows = await _select_in(
            connection,
            lambda chunk: select(
                prices.id,
                prices.device_model_id,
                prices.repair_type_id,
                prices.part_type_id,
                prices.part_quality,
                prices.is_estimated,
                prices.confidence_score,
                *(prices[name] for name in _PRICE_COMPARED),
            ).where(
                prices.device_model_id.in_(chunk),
                prices.repair_type_id.in_(repair_ids),
                prices.part_type_id.in_(part_ids),
            ),
            device_ids,
        )
    return _Existing(
        brands={row["slug"]: row for row in brand_rows},
        repair_types={row["slug"]: row for row in repair_rows},
        part_types={row["slug"]: row for row in part_rows},
        devices=device_map,
        prices={
            (row["device_model_id"], row["repair_type_id"], row["part_type_id"], row["part_quality"]): row
            for row in price_rows
        },
    )


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _insert(connection: AsyncConnection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def _write_named(
    connection: AsyncConnection,
    table: Table,
    plans: list[_NamedPlan],
    counts: ImportCounts,
    rows: Callable[[_NamedPlan], dict[str, Any]],
    progress: ImportProgress,
) -> None:
    """Insert new brands / repair types / part types; one created meanwhile by someone else is used as is."""
    created = sorted((plan for plan in plans if not plan.exists), key=lambda plan: plan.slug)
    counts.unchanged += len(plans) - len(created)
    if not created:
        return
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_nothing(index_elements=["slug"]).returning(table.c.id, table.c.slug)
    inserted: dict[str, uuid.UUID] = {}
    for chunk in _chunks(created, WRITE_CHUNK_ROWS):
        result = await connection.execute(statement, [rows(plan) for plan in chunk])
        inserted.update({row.slug: row.id for row in result})
        progress.advance(len(chunk))
    raced = [plan.slug for plan in created if plan.slug not in inserted]
    if raced:
        found = await _select_in(
            connection, lambda chunk: select(table.c.id, table.c.slug).where(table.c.slug.in_(chunk)), raced
        )
        inserted.update({row["slug"]: row["id"] for row in found})
    for plan in created:
        plan.id = inserted[plan.slug]
    counts.created += len(created) - len(raced)
    counts.unchanged += len(raced)


async def _write(
    session: AsyncSession,
    planner: _Planner,
    report: ImportReport,
    *,
    changed_by_id: uuid.UUID | None,
    reason: str,
    progress: ImportProgress,
) -> None:
    # Core statements on the session's connection: executemany with insertmanyvalues batching, without the
    # ORM's per-row bulk-insert handling (several times slower at 100,000 rows).
    connection = await session.connection()
    now = planner.now
    brand_plans = list(planner.brands.values())
    device_plans = list(planner.devices.values())
    price_plans = list(planner.prices.values())

    device_writes = [plan for plan in device_plans if plan.current is None or plan.values != plan.current]
    price_writes = [plan for plan in price_plans if plan.current is None or _price_changed(plan)]
    history_plans = [
        plan
        for plan in price_writes
        if plan.current is None
        or plan.values["price"] != plan.current["price"]
        or plan.values["cost"] != plan.current["cost"]
    ]
    new_named = sum(
        1
        for plans in (planner.brands, planner.repair_types, planner.part_types)
        for plan in plans.values()
        if not plan.exists
    )
    progress.stage("writing", new_named + len(device_writes) + len(price_writes) + len(history_plans))

    await _write_named(
        connection,
        Brand.__table__,
        brand_plans,
        report.brands,
        lambda plan: {
            "id": plan.id,
            "name": plan.name,
            "slug": plan.slug,
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        },
        progress,
    )
    await _write_named(
        connection,
        RepairType.__table__,
        list(planner.repair_types.values()),
        report.repair_types,
        lambda plan: {
            "id": plan.id,
            "name": plan.name,
            "slug": plan.slug,
            "description": None,
            "default_minutes": None,
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        },
        progress,
    )
    await _write_named(
        connection,
        PartType.__table__,
        list(planner.part_types.values()),
        report.part_types,
        lambda plan: {
            "id": plan.id,
            "name": plan.name,
            "slug": plan.slug,
            "quality": plan.quality,
            "warranty_months": DEFAULT_WARRANTY_MONTHS,
            "description": None,
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        },
        progress,
    )

    report.device_models.created = sum(1 for plan in device_plans if plan.current is None)
    report.device_models.updated = len(device_writes) - report.device_models.created
    report.device_models.unchanged = len(device_plans) - len(device_writes)
    await _write_devices(connection, device_writes, now, progress)
    report.prices.created = sum(1 for plan in price_plans if plan.current is None)
    report.prices.updated = len(price_writes) - report.prices.created
    report.prices.unchanged = len(price_plans) - len(price_writes)
    await _write_prices(connection, price_writes, now, progress)
    await _write_history(
        session, history_plans, now, changed_by_id=changed_by_id, reason=reason, progress=progress
    )
    report.price_history = len(history_plans)


async def _write_devices(
    connection: AsyncConnection, device_writes: list[_DevicePlan], now: datetime, progress: ImportProgress
) -> None:
    """Upsert new and changed device models in chunks; RETURNING gives the ids that hold (a model created
    meanwhile by someone else keeps its id and takes these values)."""
    if not device_writes:
        return
    # In key order, so concurrent imports lock rows in the same order (no deadlock between them).
    device_writes = sorted(device_writes, key=lambda plan: (str(plan.brand.id), plan.name))
    table = DeviceModel.__table__
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=["brand_id", "name"],
        set_={
            **{name: statement.excluded[name] for name in _DEVICE_COMPARED},
            "search_text": statement.excluded.search_text,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(table.c.id, table.c.brand_id, table.c.name)
    for chunk in _chunks(device_writes, WRITE_CHUNK_ROWS):
        rows = []
        for plan in chunk:
            values = plan.values
            rows.append(
                {
                    "id": plan.id,
                    "brand_id": plan.brand.id,
                    "name": plan.name,
                    "model_number": values.get("model_number"),
                    "release_year": values.get("release_year"),
                    "device_type": values["device_type"],
                    "screen_size": values.get("screen_size"),
                    "tier_level": values["tier_level"],
                    "is_active": True,
                    "search_text": device_search_text(plan.brand.name, plan.name, values.get("model_number")),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        result = await connection.execute(statement, rows)
        ids = {(row.brand_id, row.name): row.id for row in result}
        for plan in chunk:
            plan.id = ids[(plan.brand.id, plan.name)]
        progress.advance(len(chunk))


async def _write_prices(
    connection: AsyncConnection, price_writes: list[_PricePlan], now: datetime, progress: ImportProgress
) -> None:
    """Upsert new and changed prices in chunks (a changed price keeps its id) and note each one's id."""
    if not price_writes:
        return
    price_writes = sorted(
        price_writes,
        key=lambda plan: (
            str(plan.device.id),
            str(plan.repair_type.id),
            str(plan.part_type.id),
            plan.quality,
        ),
    )
    table = Pricing.__table__
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=["device_model_id", "repair_type_id", "part_type_id", "part_quality"],
        set_={
            **{name: statement.excluded[name] for name in _PRICE_COMPARED},
            "is_estimated": statement.excluded.is_estimated,
            "confidence_score": statement.excluded.confidence_score,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(
        table.c.id,
        table.c.device_model_id,
        table.c.repair_type_id,
        table.c.part_type_id,
        table.c.part_quality,
    )
    for chunk in _chunks(price_writes, WRITE_CHUNK_ROWS):
        rows = [_price_row(plan, now) for plan in chunk]
        result = await connection.execute(statement, rows)
        ids = {
            (row.device_model_id, row.repair_type_id, row.part_type_id, row.part_quality): row.id
            for row in result
        }
        for plan in chunk:
            plan.id = ids[(plan.device.id, plan.repair_type.id, plan.part_type.id, plan.quality)]
        progress.advance(len(chunk))


async def _write_history(
    session: AsyncSession,
    history_plans: list[_PricePlan],
    now: datetime,
    *,
    changed_by_id: uuid.UUID | None,
    reason: str,
    progress: ImportProgress,
) -> None:
    """A price-history row (source ``import``) and a ``catalog.price_changed`` event for every created
    price and every price whose amount or cost changed."""
    if not history_plans:
        return
    connection = await session.connection()
    history = PriceHistory.__table__
    for chunk in _chunks(history_plans, WRITE_CHUNK_ROWS):
        await connection.execute(
            history.insert(),
            [
                {
                    "id": new_id(),
                    "pricing_id": plan.id,
                    "old_price": plan.current["price"] if plan.current is not None else None,
                    "new_price": plan.values["price"],
                    "old_cost": plan.current["cost"] if plan.current is not None else None,
                    "new_cost": plan.values["cost"],
                    "source": PriceChangeSource.import_.value,
                    "changed_by_id": changed_by_id,
                    "reason": f"{reason}, line {plan.line}"[:500],
                    "created_at": now,
                }
                for plan in chunk
            ],
        )
        progress.advance(len(chunk))
    # One catalog.price_changed event per history row, as for a change through the API.
    await publish_many(
        session,
        PRICE_CHANGED,
        [
            PriceChangedPayload(
                pricing_id=plan.id,
                device_model_id=plan.device.id,
                repair_type_id=plan.repair_type.id,
                part_type_id=plan.part_type.id,
                part_quality=plan.quality,
                old_price=plan.current["price"] if plan.current is not None else None,
                new_price=plan.values["price"],
                source=PriceChangeSource.import_.value,
                is_estimated=False,
                reason=f"{reason}, line {plan.line}"[:500],
            )
            for plan in history_plans
        ],
        actor_id=changed_by_id,
    )


def _price_changed(plan: _PricePlan) -> bool:
    assert plan.current is not None
    return any(plan.values[name] != plan.current[name] for name in _PRICE_COMPARED)


def _price_row(plan: _PricePlan, now: datetime) -> dict[str, Any]:
    values = plan.values
    current = plan.current
    money_changed = (
        current is None or values["price"] != current["price"] or values["cost"] != current["cost"]
    )
    # A price the shop sets itself replaces an estimate saved earlier; a change of dates or notes does not.
    estimated = False if money_changed else bool(current and current["is_estimated"])
    return {
        "id": current["id"] if current is not None else new_id(),
        "device_model_id": plan.device.id,
        "repair_type_id": plan.repair_type.id,
        "part_type_id": plan.part_type.id,
        "part_quality": plan.quality,
        "price": values["price"],
        "cost": values["cost"],
        "is_active": True,
        "is_estimated": estimated,
        "confidence_score": current["confidence_score"] if estimated and current is not None else None,
        "valid_from": values["valid_from"],
        "valid_until": values["valid_until"],
        "notes": values["notes"],
        "created_at": now,
        "updated_at": now,
    }


# --------------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------------


async def import_catalog(
    session: AsyncSession,
    data: bytes | str,
    *,
    timezone: str = "UTC",
    changed_by_id: uuid.UUID | None = None,
    source_name: str | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Upsert brands, device models, repair types, part types and prices from a catalog CSV (format in the
    module docstring) within ``session``'s transaction (flushes, never commits) and report what happened.

    ``timezone`` is the shop's IANA zone (``FIXDESK_SHOP_TIMEZONE``) for dates without a time;
    ``changed_by_id`` (a staff user) and ``source_name`` (the file name) are recorded in the price history.
    Rows with problems are listed in :attr:`ImportReport.rejected` and change nothing; the others are
    written. Raises :class:`ValidationFailed` (400, field ``file``) when the file is not a usable CSV,
    before anything is written. The catalog read cache is invalidated when the transaction commits.
    """
    progress = progress or _NoProgress()
    parsed = await asyncio.to_thread(_parse_csv, data, timezone=timezone, progress=progress)
    report = ImportReport(rows=parsed.records, rejected=list(parsed.rejected))
    if not parsed.rows:
        report.rejected.sort(key=lambda rejection: rejection.line)
        return report
    existing = await _load_existing(await session.connection(), parsed)
    planner = _Planner(existing, utcnow())

    def plan() -> None:
        progress.stage("checking", len(parsed.rows))
        for index, row in enumerate(parsed.rows, 1):
            planner.add(row)
            if index % 1_000 == 0:
                progress.advance(1_000)
        progress.advance(len(parsed.rows) % 1_000)

    await asyncio.to_thread(plan)
    report.accepted = planner.accepted
    report.rejected.extend(planner.rejected)
    report.rejected.sort(key=lambda rejection: rejection.line)
    reason = f"CSV import of {source_name}" if source_name else "CSV import"
    await _write(session, planner, report, changed_by_id=changed_by_id, reason=reason, progress=progress)
    if report.changed_anything:
        invalidate_catalog_cache(session)
    return report


# --------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """Which part of the price list to export. ``include_devices_without_prices`` adds one device-only row
    for every matching device model that has no (matching) price, making the file a whole-catalog backup."""

    brand_id: uuid.UUID | None = None
    device_type: str | None = None
    repair_type_id: uuid.UUID | None = None
    include_devices_without_prices: bool = False


def _export_statement(filters: ExportFilters) -> Select[Any]:
    brand = Brand.__table__.c
    device = DeviceModel.__table__.c
    repair = RepairType.__table__.c
    part = PartType.__table__.c
    price = Pricing.__table__.c
    price_condition = price.device_model_id == device.id
    if filters.repair_type_id is not None:
        price_condition = and_(price_condition, price.repair_type_id == filters.repair_type_id)
    joined = DeviceModel.__table__.join(Brand.__table__, brand.id == device.brand_id)
    outer = filters.include_devices_without_prices
    joined = joined.join(Pricing.__table__, price_condition, isouter=outer)
    joined = joined.join(RepairType.__table__, repair.id == price.repair_type_id, isouter=outer)
    joined = joined.join(PartType.__table__, part.id == price.part_type_id, isouter=outer)
    statement = select(
        brand.name.label("brand"),
        device.name.label("model"),
        device.model_number,
        device.release_year,
        device.device_type,
        device.screen_size,
        device.tier_level,
        repair.name.label("repair_type"),
        part.name.label("part_type"),
        price.part_quality,
        price.price,
        price.cost,
        price.valid_from,
        price.valid_until,
        price.notes,
    ).select_from(joined)
    if filters.brand_id is not None:
        statement = statement.where(device.brand_id == filters.brand_id)
    if filters.device_type is not None:
        statement = statement.where(device.device_type == filters.device_type)
    # Brand and model by name, so the file reads like a catalog; ids break ties between equal names.
    return statement.order_by(
        brand.name, brand.id, device.name, device.id, repair.name, part.name, price.part_quality
    )


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _size(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _export_moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A date when the moment is midnight in the shop's zone (how dates are imported), else the exact
    UTC time, so an import of the export reproduces the stored value."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    if local.time() == time():
        return local.date().isoformat()
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _export_record(row: Any, zone: ZoneInfo) -> list[str]:
    return [
        row.brand,
        row.model,
        row.model_number or "",
        "" if row.release_year is None else str(row.release_year),
        row.device_type,
        _size(row.screen_size),
        str(row.tier_level),
        row.repair_type or "",
        row.part_type or "",
        row.part_quality or "",
        _amount(row.price),
        _amount(row.cost),
        _export_moment(row.valid_from, zone),
        _export_moment(row.valid_until, zone),
        row.notes or "",
    ]


async def export_catalog_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: ExportFilters | None = None,
    *,
    timezone: str = "UTC",
) -> AsyncIterator[str]:
    """Yield the price list as CSV text in the import format (header first), a chunk of rows at a time.

    Reads through a server-side cursor (``yield_per``) in a session of its own from ``sessionmaker``, so it
    can run after the request's session has closed (a streaming response) and memory stays flat however
    large the catalog. Rows are ordered by brand, model, repair type, part type and quality; amounts have
    two decimals in the shop currency, dates are ``YYYY-MM-DD`` when they fall on midnight shop time
    (``timezone``) and UTC ISO 8601 times otherwise.
    """
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    async with sessionmaker() as session:
        statement = _export_statement(filters or ExportFilters()).execution_options(
            yield_per=EXPORT_CHUNK_ROWS
        )
        result = await session.stream(statement)
        async for partition in result.partitions():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(_export_record(row, zone) for row in partition)
            yield buffer.getvalue()


__all__ = [
    "COLUMNS",
    "ExportFilters",
    "ImportCounts",
    "ImportProgress",
    "ImportReport",
    "ImportTooLarge",
    "RejectedRow",
    "export_catalog_csv",
    "import_catalog",
]
