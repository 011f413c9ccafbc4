"""Parsing a catalog CSV: bytes → rows of typed cells, without the database. A file that is not usable
as a whole is refused (:class:`~fixdesk.platform.errors.ValidationFailed`, field ``file``); a row with a
malformed cell is rejected with its line and column."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fixdesk.catalog.models import PartQuality, TierLevel
from fixdesk.catalog.names import clean_name
from fixdesk.catalog.transfer.csv_format import (
    COLUMNS,
    DEVICE_TYPES,
    HEADER_ALIASES,
    MAX_LENGTHS,
    PRICE_COLUMNS,
    PRICE_KEY_COLUMNS,
    REQUIRED_COLUMNS,
    header_key,
    unescape_cell,
)
from fixdesk.catalog.transfer.report import ImportProgress, NoProgress, RejectedRow
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.schemas import control_character_problem

_MONEY = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_SCREEN_SIZE = re.compile(r"^\d{1,2}(\.\d{1,2})?$")
_TIER_NAMES = {tier.name: tier.value for tier in TierLevel}
_QUALITIES = frozenset(quality.value for quality in PartQuality)


class RowProblem(Exception):
    """Why a row cannot be imported, and the column at fault when there is one."""

    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


@dataclass(slots=True)
class PriceCells:
    """The price columns of a row, typed (``None``: the cell is blank)."""

    repair_type: str
    part_type: str
    part_quality: str | None
    price: Decimal
    cost: Decimal | None
    valid_from: datetime | None
    valid_until: datetime | None
    notes: str | None


@dataclass(slots=True)
class ParsedRow:
    """A row whose cells are well-formed: its line, brand and model names (cleaned), device columns and
    price columns."""

    line: int
    brand: str
    model: str
    # Only the device columns the row gives, by DeviceModel attribute.
    device: dict[str, Any]
    price: PriceCells | None


@dataclass(slots=True)
class ParsedFile:
    """The well-formed rows of a file, the rows rejected while parsing and the count of data records."""

    rows: list[ParsedRow]
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
    if not text.strip():
        raise _file_problem("The file is empty; the first line must name the columns.")
    return text


def _read_header(header: Sequence[str]) -> list[str | None]:
    """Map each header cell to its column name; refuses unknown and repeated columns."""
    columns: list[str | None] = []
    unknown: list[str] = []
    for cell in header:
        if problem := control_character_problem(cell):
            # Typically a UTF-16 file (every other byte NUL): no row of it could be read either.
            raise _file_problem(f"The header row {problem}; save the file as UTF-8 CSV text.")
        if not cell.strip():
            columns.append(None)  # an empty trailing header cell, as spreadsheets write
            continue
        column = HEADER_ALIASES.get(header_key(cell))
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


def _refuse_control_characters(columns: list[str | None], record: list[str]) -> None:
    """Reject a row with a control character in any cell (the rule of every text input, see
    :func:`fixdesk.platform.schemas.control_character_problem`), naming the first such column."""
    for position, cell in enumerate(record):
        if problem := control_character_problem(cell):
            column = columns[position] if position < len(columns) else None
            raise RowProblem(f"{column or f'field {position + 1}'} {problem}", column)


def _text(cells: dict[str, str], column: str) -> str | None:
    value = cells.get(column, "")
    value = clean_name(value) if column != "notes" else value.strip()
    if not value:
        return None
    limit = MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        raise RowProblem(f"{column} is longer than {limit} characters", column)
    return value


def _money(cells: dict[str, str], column: str) -> Decimal | None:
    value = cells.get(column, "").strip()
    if not value:
        return None
    if not _MONEY.match(value):
        raise RowProblem(
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
        raise RowProblem(
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
            raise RowProblem(
                f"releaseYear {year!r} is not a year between 1970 and {this_year + 2}", "releaseYear"
            )
        device["release_year"] = int(year)
    device_type = cells.get("deviceType", "").strip().lower()
    if device_type:
        if device_type not in DEVICE_TYPES:
            raise RowProblem(
                f"deviceType {device_type!r} is not one of {', '.join(DEVICE_TYPES)}", "deviceType"
            )
        device["device_type"] = device_type
    screen = cells.get("screenSize", "").strip()
    if screen:
        if not _SCREEN_SIZE.match(screen) or Decimal(screen) <= 0:
            raise RowProblem(
                f"screenSize {screen!r} is not a size in inches with a dot decimal separator, e.g. 6.1",
                "screenSize",
            )
        device["screen_size"] = Decimal(screen).quantize(Decimal("0.01"))
    tier = cells.get("tierLevel", "").strip().lower()
    if tier:
        level = int(tier) if tier in ("1", "2", "3") else _TIER_NAMES.get(tier)
        if level is None:
            raise RowProblem(
                f"tierLevel {tier!r} is not 1 (flagship), 2 (standard) or 3 (budget)", "tierLevel"
            )
        device["tier_level"] = level
    return device


def _price_cells(cells: dict[str, str], zone: ZoneInfo) -> PriceCells | None:
    given = [column for column in PRICE_COLUMNS if cells.get(column, "").strip()]
    if not given:
        return None
    for column in PRICE_KEY_COLUMNS:
        if column not in given:
            raise RowProblem(
                f"{column} is required when a row has price columns ({', '.join(given)}); a price needs "
                "repairType, partType and price",
                column,
            )
    quality = cells.get("partQuality", "").strip().lower().replace("-", "_").replace(" ", "_") or None
    if quality is not None and quality not in _QUALITIES:
        raise RowProblem(
            f"partQuality {quality!r} is not one of {', '.join(q.value for q in PartQuality)}", "partQuality"
        )
    price = _money(cells, "price")
    assert price is not None
    # validUntil after validFrom is checked once the stored values are known (a blank cell keeps them).
    valid_from = _moment(cells, "validFrom", zone)
    valid_until = _moment(cells, "validUntil", zone)
    return PriceCells(
        repair_type=_text(cells, "repairType") or "",
        part_type=_text(cells, "partType") or "",
        part_quality=quality,
        price=price,
        cost=_money(cells, "cost"),
        valid_from=valid_from,
        valid_until=valid_until,
        notes=_text(cells, "notes"),
    )


def parse_csv(
    data: bytes | str, *, timezone: str = "UTC", progress: ImportProgress | None = None
) -> ParsedFile:
    """Read a catalog CSV into typed rows, rejecting rows whose cells are malformed.

    Raises :class:`ValidationFailed` (field ``file``) when the file as a whole is not usable.
    """
    progress = progress or NoProgress()
    text = _decode(data)
    zone = ZoneInfo(timezone)
    this_year = datetime.now(zone).year
    progress.stage("reading", text.count("\n") + (not text.endswith("\n")))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        columns = _read_header(header)
        progress.advance(reader.line_num)
        rows: list[ParsedRow] = []
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
            record = [unescape_cell(cell) for cell in record]
            cells = {column: cell for column, cell in zip(columns, record, strict=False) if column}
            try:
                _refuse_control_characters(columns, record)
                brand = _text(cells, "brand")
                if brand is None:
                    raise RowProblem("brand is required", "brand")
                model = _text(cells, "model")
                if model is None:
                    raise RowProblem("model is required", "model")
                device = _device_cells(cells, this_year)
                price = _price_cells(cells, zone)
            except RowProblem as problem:
                rejected.append(RejectedRow(line, problem.reason, problem.column))
                continue
            rows.append(ParsedRow(line, brand, model, device, price))
    except csv.Error as exc:
        raise _file_problem(f"The file is not valid CSV near line {reader.line_num}: {exc}.") from None
    return ParsedFile(rows, rejected, records)
