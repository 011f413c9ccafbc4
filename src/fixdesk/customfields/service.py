"""Custom field rules: definitions, validation of values on write and list filters.

An admin defines a field for a kind of record the domains declare (customers, repairs, …: see
:mod:`fixdesk.customfields.registry`; :class:`CustomFieldDefinition`); its values live on the records, in
their ``custom_fields`` JSON column (``jsonb`` with a GIN index on PostgreSQL), keyed by the
definition's ``key``. Every stored value is valid for its definition:

* text: a string of 1–1000 characters (surrounding whitespace removed);
* number: a JSON number (not a boolean), finite, at most 2**53 − 1 in magnitude; stored as sent (``5`` or
  ``5.5``);
* date: a real calendar date written ``YYYY-MM-DD``, stored as that string;
* boolean: ``true`` or ``false``;
* select: one of the definition's options (exact, case-sensitive).

Definitions keep their stored values consistent: ``key`` and ``entity`` never change, ``type`` changes only
while no record holds a value (409 otherwise), and a select option can be removed only while no record holds
it (409 naming the options in use). Deleting a definition deactivates it: its values stay stored, are still
returned in ``customFields`` and can still be filtered on, but no new value can be written (a ``null`` may
still remove one); ``isActive: true`` brings it back. Its key stays taken.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.customfields import registry
from fixdesk.customfields.models import CustomFieldDefinition, CustomFieldType
from fixdesk.customfields.schemas import CustomFieldDefinitionCreate, CustomFieldDefinitionUpdate
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams, paginate

MAX_TEXT_LENGTH = 1000
# Every write of a customer or repair loads the entity's definitions, so their number is bounded.
MAX_DEFINITIONS_PER_ENTITY = 100
# JavaScript's Number.MAX_SAFE_INTEGER: browsers read JSON numbers as doubles, so larger ones lose digits.
MAX_SAFE_INTEGER = 2**53 - 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A number in a query string, as JSON writes numbers (a leading + or zeros are tolerated).
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")


def _field(key: str) -> str:
    return f"customFields.{key}"


# --- definitions -------------------------------------------------------------------------------------------


async def load_definitions(session: AsyncSession, entity: str) -> dict[str, CustomFieldDefinition]:
    """Every definition of ``entity`` (active or not) by key, in one query."""
    rows = await session.execute(select(CustomFieldDefinition).where(CustomFieldDefinition.entity == entity))
    return {definition.key: definition for definition in rows.scalars()}


def _check_options(field_type: str, options: list[str] | None) -> list[str] | None:
    """The options to store for a field of ``field_type``: required, non-empty and unique for a select,
    refused for every other type. Raises :class:`ValidationFailed` (400) naming ``options``."""
    if field_type != CustomFieldType.select:
        if options is not None:
            raise ValidationFailed.for_field("options", f"only select fields have options, not {field_type}")
        return None
    if not options:
        raise ValidationFailed.for_field("options", "a select field needs at least one option")
    duplicates = sorted({option for option in options if options.count(option) > 1})
    if duplicates:
        raise ValidationFailed.for_field("options", f"options must be unique: {', '.join(duplicates)}")
    return list(options)


async def list_definitions(
    session: AsyncSession,
    params: PageParams,
    *,
    entity: str | None = None,
    include_inactive: bool = False,
) -> tuple[list[CustomFieldDefinition], int]:
    """A page of definitions ordered by entity, position and key; deactivated ones only when
    ``include_inactive``."""
    statement = select(CustomFieldDefinition)
    if entity is not None:
        statement = statement.where(CustomFieldDefinition.entity == entity)
    if not include_inactive:
        statement = statement.where(CustomFieldDefinition.is_active.is_(True))
    statement = statement.order_by(
        CustomFieldDefinition.entity, CustomFieldDefinition.position, CustomFieldDefinition.key
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_definition(session: AsyncSession, definition_id: uuid.UUID) -> CustomFieldDefinition:
    """One definition, active or not; raises :class:`NotFound` (404)."""
    definition = await session.get(CustomFieldDefinition, definition_id)
    if definition is None:
        raise NotFound(f"Custom field {definition_id} not found.")
    return definition


async def create_definition(
    session: AsyncSession, data: CustomFieldDefinitionCreate
) -> CustomFieldDefinition:
    """Define a custom field.

    Raises :class:`ValidationFailed` (400) for a select without options, duplicate options or options on
    another type; :class:`Conflict` (409) when the entity already has a field with this key (deactivated
    ones included: reactivate it instead) or already has :data:`MAX_DEFINITIONS_PER_ENTITY` fields.
    """
    entity = data.entity
    options = _check_options(data.field_type.value, data.options)
    existing = await load_definitions(session, entity)
    if data.key in existing:
        hint = "" if existing[data.key].is_active else " (deactivated: PATCH isActive=true brings it back)"
        raise Conflict(f"A {entity} custom field with key '{data.key}' already exists{hint}.", field="key")
    if len(existing) >= MAX_DEFINITIONS_PER_ENTITY:
        raise Conflict(f"A {entity} can have at most {MAX_DEFINITIONS_PER_ENTITY} custom fields.")
    now = utcnow()
    definition = CustomFieldDefinition(
        entity=entity,
        key=data.key,
        label=data.label,
        field_type=data.field_type.value,
        options=options,
        required=data.required,
        is_active=True,
        position=data.position,
        description=data.description,
        created_at=now,
        updated_at=now,
    )
    session.add(definition)
    await session.flush()
    return definition


def _holds_a_value(session: AsyncSession, column: Any, key: str) -> ColumnElement[bool]:
    if _is_postgresql(session):
        return type_coerce(column, JSONB).has_key(key)  # jsonb ``?``, served by the GIN index
    return func.json_type(column, _path(key)).is_not(None)


async def _records_holding(session: AsyncSession, definition: CustomFieldDefinition) -> int:
    column = registry.column(definition.entity)
    statement = select(func.count()).where(_holds_a_value(session, column, definition.key))
    return (await session.execute(statement)).scalar_one()


async def _options_in_use(
    session: AsyncSession, definition: CustomFieldDefinition, options: list[str]
) -> list[str]:
    column = registry.column(definition.entity)
    key = definition.key
    if _is_postgresql(session):
        document = type_coerce(column, JSONB)
        value = document[key].astext
        condition = or_(*(document.contains({key: option}) for option in options))
    else:
        value = func.json_extract(column, _path(key))
        condition = value.in_(options)
    rows = await session.execute(select(value).where(condition).distinct())
    return sorted(rows.scalars())


async def update_definition(
    session: AsyncSession, definition_id: uuid.UUID, data: CustomFieldDefinitionUpdate
) -> CustomFieldDefinition:
    """Change a definition's label, type, options, required flag, position, description or isActive.

    Raises :class:`NotFound` (404); :class:`ValidationFailed` (400) for a null label, type, required,
    position or isActive and for options that break :func:`_check_options` with the resulting type;
    :class:`Conflict` (409) for a type change while some record holds a value, or for removing select
    options that records hold (the answer names them: move those records to another option first).
    Making a field required applies to records created from then on and forbids removing its value.
    """
    definition = await get_definition(session, definition_id)
    changes = data.model_dump(exclude_unset=True, by_alias=False)
    for name, request_field in (
        ("label", "label"),
        ("field_type", "type"),
        ("required", "required"),
        ("position", "position"),
        ("is_active", "isActive"),
    ):
        if name in changes and changes[name] is None:
            raise ValidationFailed.for_field(request_field, "cannot be null")
    field_type = changes.get("field_type", definition.field_type)
    if "options" in changes:
        options = changes["options"]
    elif field_type == CustomFieldType.select:
        options = definition.options
    else:
        # Leaving select for another type drops the options along with it.
        options = None
    options = _check_options(str(field_type), options)
    if field_type != definition.field_type:
        holding = await _records_holding(session, definition)
        if holding:
            raise Conflict(
                f"{holding} {definition.entity} record(s) hold a value for '{definition.key}', so its type "
                f"cannot change from {definition.field_type} to {field_type}.",
                field="type",
            )
    elif field_type == CustomFieldType.select:
        removed = [option for option in definition.options or [] if option not in (options or [])]
        in_use = await _options_in_use(session, definition, removed) if removed else []
        if in_use:
            raise Conflict(
                f"Records hold the options {', '.join(in_use)} of '{definition.key}'; change those records "
                "before removing the options.",
                field="options",
                optionsInUse=in_use,
            )
    definition.field_type = str(field_type)
    definition.options = options
    for name in ("label", "required", "position", "description", "is_active"):
        if name in changes:
            setattr(definition, name, changes[name])
    definition.updated_at = utcnow()
    await session.flush()
    return definition


async def deactivate_definition(session: AsyncSession, definition_id: uuid.UUID) -> CustomFieldDefinition:
    """Deactivate a definition (what ``DELETE`` does): stored values stay, are returned and filterable, but
    no new value can be written. Raises :class:`NotFound` (404)."""
    definition = await get_definition(session, definition_id)
    if definition.is_active:
        definition.is_active = False
        definition.updated_at = utcnow()
        await session.flush()
    return definition


# --- values ------------------------------------------------------------------------------------------------


def _stored_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """``value`` as it is stored for ``definition``; raises ``ValueError`` with the message for the client."""
    field_type = definition.field_type
    if field_type == CustomFieldType.text:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        value = value.strip()
        if not value:
            raise ValueError("must not be blank; send null to remove the value")
        if len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"must be at most {MAX_TEXT_LENGTH} characters")
        return value
    if field_type == CustomFieldType.number:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"must be a finite number between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}")
        return value
    if field_type == CustomFieldType.date:
        return _checked_date(value)
    if field_type == CustomFieldType.boolean:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    options = definition.options or []
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"must be one of: {', '.join(options)}")
    return value


def _checked_date(value: Any) -> str:
    # date.fromisoformat alone would also take 20250131 or 2025-W05-5; the API speaks YYYY-MM-DD only.
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None
    return value


async def validate_values(
    session: AsyncSession,
    entity: str,
    values: dict[str, Any] | None,
    *,
    current: dict[str, Any] | None = None,
    enforce_required: bool = True,
) -> dict[str, Any]:
    """The custom-field values to store for a record of ``entity`` (``customer`` or ``repair``): a new
    dict, ``current`` is never changed in place (JSON change tracking needs a new object).

    ``values`` are the client's input (``None``: unchanged); on update ``current`` holds the stored values
    and ``values`` is merged into them, a ``null`` removing a key. On create (``current is None``) every
    active required field must be present and non-null, unless ``enforce_required`` is false (records a
    customer creates themselves, who cannot know the shop's fields). On update a required field's value
    cannot be removed, and a deactivated field's value can only be removed. Value rules: see the module.

    Raises :class:`ValidationFailed` (400) listing every bad field at once, each named
    ``customFields.<key>``: an unknown key, a deactivated field, a value of the wrong type, a select value
    outside its options, a missing required field. Costs one query (the entity's definitions) unless
    there is nothing to check.
    """
    creating = current is None
    if not values and not (creating and enforce_required):
        return dict(current or {})
    definitions = await load_definitions(session, entity)
    stored = dict(current or {})
    errors: list[dict[str, str]] = []
    for key, value in (values or {}).items():
        definition = definitions.get(key)
        if definition is None:
            errors.append({"field": _field(key), "message": f"no such {entity} custom field"})
        elif value is None:
            # On create a null counts as missing (reported below); on update it removes the value.
            if definition.required and definition.is_active and not creating:
                errors.append({"field": _field(key), "message": "is required and cannot be removed"})
            stored.pop(key, None)
        elif not definition.is_active:
            errors.append({"field": _field(key), "message": "this custom field is deactivated"})
        else:
            try:
                stored[key] = _stored_value(definition, value)
            except ValueError as problem:
                errors.append({"field": _field(key), "message": str(problem)})
    if creating and enforce_required:
        missing = [
            definition
            for definition in definitions.values()
            if definition.required and definition.is_active and (values or {}).get(definition.key) is None
        ]
        for definition in sorted(missing, key=lambda d: (d.position, d.key)):
            errors.append({"field": _field(definition.key), "message": "is required"})
    if errors:
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors[:5])
        raise ValidationFailed(f"Invalid custom fields: {detail}", errors=errors)
    return stored


# --- list filters ------------------------------------------------------------------------------------------


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _path(key: str) -> str:
    # Keys are slugs (^[a-z][a-z0-9_]*$), so they need no quoting in a JSON path.
    return f"$.{key}"


def _filter_value(definition: CustomFieldDefinition, raw: str) -> Any:
    """The JSON value a ``?customFields.<key>=<raw>`` filter matches; raises ``ValueError``."""
    text = raw.strip()
    field_type = definition.field_type
    if field_type == CustomFieldType.number:
        if not _NUMBER.fullmatch(text):
            raise ValueError("must be a number, e.g. 5 or 2.5")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError("must be a number, e.g. 5 or 2.5") from None
        if abs(number) > MAX_SAFE_INTEGER:
            raise ValueError(f"must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}")
        # 5, 5.0 and 5e0 are one number: an integral filter is sent as an int, which matches 5 and 5.0.
        return int(number) if number == number.to_integral_value() else float(number)
    if field_type == CustomFieldType.boolean:
        if text.lower() not in ("true", "false"):
            raise ValueError("must be true or false")
        return text.lower() == "true"
    if not text:
        raise ValueError("give the value to match")
    if field_type == CustomFieldType.date:
        return _checked_date(text)
    if field_type == CustomFieldType.select and text not in (definition.options or []):
        raise ValueError(f"must be one of: {', '.join(definition.options or [])}")
    return text


def _sqlite_condition(column: Any, key: str, value: Any) -> ColumnElement[bool]:
    kind = func.json_type(column, _path(key))
    if isinstance(value, bool):
        return kind == ("true" if value else "false")
    extracted = func.json_extract(column, _path(key))
    if isinstance(value, int | float):
        return and_(kind.in_(("integer", "real")), extracted == value)
    return and_(kind == "text", extracted == value)


async def filter_conditions(
    session: AsyncSession, entity: str, column: Any, filters: dict[str, str]
) -> list[Any]:
    """SQL conditions (combined with AND) for ``?customFields.<key>=<value>`` filters on ``column`` (the
    JSON column of ``entity``), each value read by its field's type: a number matches numerically (``5``
    matches 5 and 5.0), a boolean is ``true``/``false``, a date ``YYYY-MM-DD``, text and select match
    exactly. Deactivated fields can be filtered on (their values are still returned).

    On PostgreSQL the filters become one jsonb containment (``custom_fields @> '{"key": value, …}'``),
    which the GIN index (``ix_customers_custom_fields_gin``, ``ix_repairs_custom_fields_gin``) answers;
    on SQLite ``json_extract`` comparisons. Raises :class:`ValidationFailed` (400) naming
    ``customFields.<key>`` for every unknown key or value of the wrong type. Costs one query.
    """
    if not filters:
        return []
    definitions = await load_definitions(session, entity)
    wanted: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for key, raw in filters.items():
        definition = definitions.get(key)
        if definition is None:
            errors.append({"field": _field(key), "message": f"no such {entity} custom field"})
            continue
        try:
            wanted[key] = _filter_value(definition, raw)
        except ValueError as problem:
            errors.append({"field": _field(key), "message": str(problem)})
    if errors:
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors[:5])
        raise ValidationFailed(f"Invalid custom field filters: {detail}", errors=errors)
    if _is_postgresql(session):
        return [type_coerce(column, JSONB).contains(wanted)]
    return [_sqlite_condition(column, key, value) for key, value in wanted.items()]
