"""Base classes and field types for every request and response model.

Output is camelCase; input accepts camelCase and snake_case (``populate_by_name``), so clients written
against any of the seed APIs keep working. Money is ``Decimal`` with two places, written to JSON as a
number (parse it as a decimal; trailing zeros may be dropped, e.g. ``12.5``).

Text input never holds C0 control characters other than tab, line feed and carriage return
(:func:`control_character_problem`): PostgreSQL cannot store NUL in text at all, SQLite would store it and
hand it to every report and export, and the others are invisible in every screen that shows them. Request
bodies refuse them here (:class:`InputModel`, ``400 VALIDATION_ERROR`` naming the field); query strings and
path parameters in :class:`fixdesk.platform.guards.ControlCharacterGuard`; form fields through
:data:`FormText`; file names and CSV cells where they are read.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from fixdesk.platform.errors import ValidationFailed

# C0 controls (U+0000 to U+001F) except tab (U+0009), line feed (U+000A) and carriage return (U+000D).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_CONTROL_RANGES = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F"
TEXT_PATTERN = f"^[^{_CONTROL_RANGES}]*$"
"""The rule of :func:`control_character_problem` as a JSON Schema ``pattern`` (ECMA-262 escapes), published
on every free-text input of the OpenAPI document (``fixdesk.platform.openapi``) so clients and generators
know it."""
NON_BLANK_TEXT_PATTERN = f"^[^{_CONTROL_RANGES}]*[^\\s{_CONTROL_RANGES}][^{_CONTROL_RANGES}]*$"
""":data:`TEXT_PATTERN` for a required text (``minLength`` ≥ 1): input is stripped before its length is
checked, so it must also hold one character that is not white space."""


def control_character_problem(value: str) -> str | None:
    """Why ``value`` is refused as text input, or ``None`` when it is acceptable.

    Refused are the C0 control characters U+0000 to U+001F except tab, line feed and carriage return
    (NUL among them, which PostgreSQL cannot store in text). The message names the first one and its
    1-based position, e.g. ``"contains the control character U+0000 at position 4"``.
    """
    found = _CONTROL_CHARACTER.search(value)
    if found is None:
        return None
    return f"contains the control character U+{ord(found.group()):04X} at position {found.start() + 1}"


def nested_control_character_problem(value: Any, where: str = "") -> str | None:
    """:func:`control_character_problem` for every string inside ``value`` (dict keys and values, list
    and tuple items, at any depth), prefixed with where it was found (``"notes.2: contains …"``).
    Pydantic models inside are skipped: an :class:`InputModel` checks its own fields."""
    if isinstance(value, str):
        problem = control_character_problem(value)
        return f"{where}: {problem}" if problem and where else problem
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and (problem := control_character_problem(key)):
                return f"key {path!r} {problem}"
            if problem := nested_control_character_problem(item, path):
                return problem
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            if problem := nested_control_character_problem(item, f"{where}.{index}" if where else str(index)):
                return problem
    return None


def _refuse_control_characters(value: str) -> str:
    problem = control_character_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def require_plain_text(value: str | None, field: str, *, label: str | None = None) -> str | None:
    """``value`` unchanged, or :class:`~fixdesk.platform.errors.ValidationFailed` (400 naming ``field``)
    when it holds a control character: for text that arrives outside a request model, such as an uploaded
    file's name (``require_plain_text(upload.filename, "file", label="the file name")``)."""
    if value is not None and (problem := control_character_problem(value)):
        raise ValidationFailed.for_field(field, f"{label} {problem}" if label else problem)
    return value


FormText = Annotated[str, AfterValidator(_refuse_control_characters)]
"""A text form field (multipart or urlencoded) that refuses control characters like every JSON field."""


class CamelModel(BaseModel):
    """Base of every schema: camelCase aliases, snake_case accepted, built from ORM objects."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


_T = TypeVar("_T")


class _NotNullMarker:
    """Metadata of :data:`NotNull` fields."""

    def __repr__(self) -> str:
        return "NotNull"


_NOT_NULL = _NotNullMarker()

NotNull = Annotated[_T, _NOT_NULL]
"""A field of a PATCH body that may be left out but not set to ``null`` (its column is NOT NULL):
``name: NotNull[str] = None``. Left out, it is ``None`` and not in ``model_dump(exclude_unset=True)``;
sent as ``null``, the request is refused with ``400`` naming the field. The OpenAPI schema declares it
without ``null`` (and without the placeholder default), so the document and the server agree. A field
whose ``null`` means "clear it" is declared ``X | None = None`` instead."""

FieldKind = Literal["boolean", "date", "date-time", "not-null"]

# A number written as a string: lax Pydantic reads it as a Unix timestamp for dates and date-times.
_NUMERIC_TEXT = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_UNION_TYPES = (Union, types.UnionType)


def _unwrap(annotation: Any) -> tuple[set[type], bool]:
    """The plain types behind an annotation (through ``Annotated`` and unions) and whether it is
    marked :data:`NotNull`."""
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        found, not_null = _unwrap(inner)
        return found, not_null or any(item is _NOT_NULL for item in metadata)
    if origin in _UNION_TYPES:
        found: set[type] = set()
        not_null = False
        for argument in get_args(annotation):
            argument_types, argument_not_null = _unwrap(argument)
            found |= argument_types
            not_null = not_null or argument_not_null
        return found, not_null
    return ({annotation} if isinstance(annotation, type) else set()), False


@cache
def _field_kinds(model: type[BaseModel]) -> dict[str, frozenset[FieldKind]]:
    kinds: dict[str, frozenset[FieldKind]] = {}
    for name, info in model.model_fields.items():
        annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        found, not_null = _unwrap(annotation)
        field_kinds: set[FieldKind] = {"not-null"} if not_null else set()
        if bool in found:
            field_kinds.add("boolean")
        if datetime in found:
            field_kinds.add("date-time")
        elif date in found:
            field_kinds.add("date")
        if field_kinds:
            kinds[name] = frozenset(field_kinds)
    return kinds


def check_strict_value(kinds: frozenset[FieldKind], value: Any) -> Any:
    """Refuse what lax Pydantic would coerce: a number (or ``"1"``, ``"yes"``) for a boolean, a number
    or numeric text for a date or date-time (it would read a Unix timestamp), and ``null`` for a
    :data:`NotNull` field. Raises ``ValueError`` (a 400 naming the field)."""
    if value is None:
        if "not-null" in kinds:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value
    if "boolean" in kinds and not isinstance(value, bool) and not kinds & {"date", "date-time"}:
        raise ValueError("must be true or false")
    is_temporal = kinds & {"date", "date-time"} and not isinstance(value, date)
    if is_temporal and (not isinstance(value, str) or _NUMERIC_TEXT.fullmatch(value)):
        expected = "a date-time (ISO 8601)" if "date-time" in kinds else "a date (YYYY-MM-DD)"
        raise ValueError(f"must be {expected}")
    return value


@dataclass
class _DecimalRules:
    """What a Decimal field accepts: its sign and its digits."""

    unsigned: bool = False
    positive: bool = False
    integer_digits: int | None = None
    decimal_places: int | None = None

    def pattern(self) -> str:
        """A regular expression of the decimal text accepted (no lookarounds: generators cannot use
        them). A positive amount needs a non-zero digit before or after the point."""
        sign = "" if self.unsigned or self.positive else "[-+]?"
        digits = f"{{0,{self.integer_digits - 1}}}" if self.integer_digits else "*"
        places = self.decimal_places
        fraction = "" if places == 0 else (f"(\\.\\d{{1,{places}}})?" if places else "(\\.\\d+)?")
        if not self.positive:
            whole = f"\\d{{1,{self.integer_digits}}}" if self.integer_digits else "\\d+"
            return f"^{sign}{whole}{fraction}$"
        nonzero_whole = f"[1-9]\\d{digits}{fraction}"
        if places == 0:
            return f"^{nonzero_whole}$"
        # 0.05: some zeros, a non-zero digit, then at most the places left.
        count = places or 1
        nonzero_fractions = "|".join(
            "0" * zeros + "[1-9]" + (f"\\d{{0,{count - zeros - 1}}}" if places else "\\d*")
            for zeros in range(count)
        )
        return f"^({nonzero_whole}|0?\\.({nonzero_fractions}))$"


def _decimal_rules(annotation: Any, metadata: Iterable[Any] = ()) -> _DecimalRules | None:
    """The rules of a Decimal annotation (through ``Annotated``, unions and nested ``Field``s), or
    ``None`` when the annotation is not a Decimal."""
    items = list(metadata)
    found = False
    stack = [annotation]
    while stack:
        current = stack.pop()
        if current is Decimal:
            found = True
        elif get_origin(current) is Annotated:
            inner, *extra = get_args(current)
            stack.append(inner)
            items.extend(extra)
        elif get_origin(current) in _UNION_TYPES:
            stack.extend(get_args(current))
    if not found:
        return None
    rules = _DecimalRules()
    while items:
        item = items.pop()
        items.extend(getattr(item, "metadata", None) or ())
        if getattr(item, "ge", None) is not None and item.ge >= 0:
            rules.unsigned = True
        if getattr(item, "gt", None) is not None and item.gt >= 0:
            rules.positive = True
        if getattr(item, "decimal_places", None) is not None:
            rules.decimal_places = item.decimal_places
        if getattr(item, "max_digits", None) is not None:
            rules.integer_digits = item.max_digits
    if rules.integer_digits is not None and rules.decimal_places is not None:
        rules.integer_digits -= rules.decimal_places
    return rules


def _publish_input_rules(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Complete an input model's JSON schema with what Pydantic checks but does not publish, so the
    OpenAPI document and the server agree (the schemathesis run in the suite holds them to it)."""
    kinds = _field_kinds(model)
    properties = schema.get("properties", {})
    for name, info in model.model_fields.items():
        published = properties.get(info.alias or name)
        if published is None:
            continue
        if "not-null" in kinds.get(name, ()):
            # A NotNull field's default None only means "left out"; published, it would contradict it.
            published.pop("default", None)
        branches = published.get("anyOf", [published])
        rules = _decimal_rules(info.annotation, info.metadata)
        for branch in branches:
            if rules is not None and branch.get("type") == "string" and "pattern" not in branch:
                # A decimal may come as a JSON string; only decimal text is accepted.
                branch["pattern"] = rules.pattern()
            if rules is not None and branch.get("type") == "number":
                if rules.decimal_places is not None:
                    branch["multipleOf"] = float(Decimal(1).scaleb(-rules.decimal_places))
                if rules.integer_digits is not None and not {"maximum", "exclusiveMaximum"} & set(branch):
                    branch["exclusiveMaximum"] = 10**rules.integer_digits
            if branch.get("format") == "email" and "maxLength" not in branch:
                # RFC 5321's limit, which the email validator applies.
                branch["maxLength"] = 254
            if branch.get("type") == "string" and branch.get("minLength", 0) >= 1 and "pattern" not in branch:
                # Input strings are stripped before the length is checked: blanks alone are empty.
                branch["pattern"] = NON_BLANK_TEXT_PATTERN


class InputModel(CamelModel):
    """Base of request bodies: unknown fields are rejected, so a client cannot smuggle in fields it may
    not set (a role, a total) and have them silently ignored.

    Booleans, dates and date-times are strict about their JSON type (no ``1`` for ``true``, no Unix
    timestamp for a date) and :data:`NotNull` fields refuse ``null``, for every subclass, through one
    validator (:func:`check_strict_value`)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_publish_input_rules
    )

    @field_validator("*", mode="before")
    @classmethod
    def _strict_types(cls, value: Any, info: ValidationInfo) -> Any:
        kinds = _field_kinds(cls).get(info.field_name or "")
        return value if kinds is None else check_strict_value(kinds, value)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        """Every text of every field, nested lists and objects included, is free of control characters
        (see :func:`control_character_problem`); otherwise the field is a ``400 VALIDATION_ERROR``."""
        problem = nested_control_character_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


def _decimal_to_json(value: Decimal) -> float:
    # Amounts are exact in cents; a float repr of a two-place decimal below 2**53 cents prints exactly
    # those digits, so the JSON number equals the stored amount.
    return float(value)


DecimalNumber = Annotated[Decimal, PlainSerializer(_decimal_to_json, return_type=float, when_used="json")]
"""A two-place decimal (not money) written to JSON as a number."""

MoneyOut = Annotated[Decimal, PlainSerializer(_decimal_to_json, return_type=float, when_used="json")]
"""A money amount in a response: JSON number with at most two decimals, shop currency."""

MoneyIn = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
"""A non-negative money amount in a request, at most two decimals (cents)."""


def _day_or_moment(value: Any) -> Any:
    # Parsed here, so a bad value is one error naming the parameter (not one per member of the union),
    # and numeric text is never read as a Unix timestamp.
    if not isinstance(value, str):
        return value
    message = "must be a date (YYYY-MM-DD) or a date-time (ISO 8601)"
    if _NUMERIC_TEXT.fullmatch(value):
        raise ValueError(message)
    try:
        if len(value.strip()) == len("YYYY-MM-DD"):
            return date.fromisoformat(value.strip())
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(message) from None


DayOrMoment = Annotated[date | datetime, BeforeValidator(_day_or_moment)]
"""A query parameter that takes a day (``2026-03-01``) or a moment (``2026-03-01T09:30:00Z``). Numeric
text is refused: lax Pydantic would read ``0.5`` as a Unix timestamp."""
