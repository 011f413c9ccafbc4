"""Custom field rules: definitions, validation of values on write and list filters.

PLACEHOLDER until the custom-fields work lands: no definitions exist yet, so any value or filter names an
unknown field and is refused with 400.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.platform.errors import ValidationFailed


async def validate_values(
    session: AsyncSession,
    entity: str,
    values: dict[str, Any] | None,
    *,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The custom-field values to store for a record of ``entity`` (``customer`` or ``repair``).

    ``values`` are the client's input (``None``: unchanged); on update ``current`` holds the stored values
    and ``values`` is merged into them (a ``null`` value removes a key). On create (``current is None``)
    every required field must be present. Raises :class:`ValidationFailed` (400) naming
    ``customFields.<key>`` for an unknown key, a value of the wrong type, a select value outside its
    options or a missing required field.
    """
    if not values:
        return dict(current or {})
    errors = [{"field": f"customFields.{key}", "message": "no such custom field"} for key in values]
    raise ValidationFailed("Unknown custom fields.", errors=errors)


async def filter_conditions(
    session: AsyncSession, entity: str, column: Any, filters: dict[str, str]
) -> list[Any]:
    """SQL conditions for ``?customFields.<key>=<value>`` filters on ``column`` (the JSON column of
    ``entity``). Raises :class:`ValidationFailed` (400) for an unknown key or a value of the wrong type."""
    if not filters:
        return []
    errors = [{"field": f"customFields.{key}", "message": "no such custom field"} for key in filters]
    raise ValidationFailed("Unknown custom fields.", errors=errors)
