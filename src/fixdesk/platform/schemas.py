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
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, field_validator
from pydantic.alias_generators import to_camel

from fixdesk.platform.errors import ValidationFailed

# C0 controls (U+0000 to U+001F) except tab (U+0009), line feed (U+000A) and carriage return (U+000D).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


class InputModel(CamelModel):
    """Base of request bodies: unknown fields are rejected, so a client cannot smuggle in fields it may
    not set (a role, a total) and have them silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

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
