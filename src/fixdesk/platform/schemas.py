"""Base classes and field types for every request and response model.

Output is camelCase; input accepts camelCase and snake_case (``populate_by_name``), so clients written
against any of the seed APIs keep working. Money is ``Decimal`` with two places, written to JSON as a
number (parse it as a decimal; trailing zeros may be dropped, e.g. ``12.5``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


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
