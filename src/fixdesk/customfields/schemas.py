"""Request and response models of custom field definitions (``/api/v1/custom-fields``).

The values themselves travel in the ``customFields`` object of customers and repairs; their rules are in
:mod:`fixdesk.customfields.service`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetJsonSchemaHandler
from pydantic_core import CoreSchema

from fixdesk.customfields import registry
from fixdesk.customfields.models import CustomFieldType
from fixdesk.platform.schemas import CamelModel, InputModel, NotNull

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
MAX_OPTIONS = 100

Key = Annotated[
    str,
    Field(
        pattern=KEY_PATTERN,
        description="Lower-case slug (a letter, then letters, digits or _; at most 50 characters), the name "
        "of the value in customFields and in ?customFields.<key>=",
        examples=["warranty_contract"],
    ),
]
Label = Annotated[
    str, Field(min_length=1, max_length=100, description="What forms show", examples=["Contract"])
]
Option = Annotated[str, Field(min_length=1, max_length=100)]
Options = Annotated[
    list[Option],
    Field(
        max_length=MAX_OPTIONS,
        description="The choices of a select field (required for select, refused for other types); "
        "unique, kept in the order given",
        examples=[["gold", "silver", "none"]],
    ),
]


def _registered_entity(value: str) -> str:
    if not registry.is_known(value):
        raise ValueError(f"must be one of: {', '.join(registry.names())}")
    return value


class _RegisteredEntities:
    """Documents an entity name as the enum of the entities the installed domains declare (read when the
    OpenAPI document is built, after the domains were loaded)."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        json_schema = handler(schema)
        json_schema["enum"] = list(registry.names())
        return json_schema


EntityName = Annotated[
    str,
    AfterValidator(_registered_entity),
    _RegisteredEntities(),
    Field(description="The kind of record: customer, repair, …", examples=["repair"]),
]
"""The name of a custom field entity (:mod:`fixdesk.customfields.registry`); anything else is a 400."""

Position = Annotated[int, Field(ge=0, le=10_000, description="Sort order in lists and forms, lowest first")]
Description = Annotated[str, Field(max_length=500, description="Help text for staff")]


class CustomFieldDefinitionCreate(InputModel):
    """A new custom field on customers or repairs. ``key`` and ``entity`` can never change afterwards."""

    entity: EntityName
    key: Key
    label: Label
    field_type: CustomFieldType = Field(
        alias="type", description="text (≤ 1000 characters), number, date (YYYY-MM-DD), boolean or select"
    )
    options: Options | None = None
    required: bool = Field(
        default=False, description="A value must be given when a record is created by staff or an API client"
    )
    position: Position = 0
    description: Description | None = None


class CustomFieldDefinitionUpdate(InputModel):
    """Changes to a definition; absent fields stay as they are. ``key`` and ``entity`` are immutable.

    ``type`` may change only while no record holds a value for the field; a select option may be removed
    only while no record holds it; ``isActive: true`` reactivates a deactivated field.
    """

    label: NotNull[Label] = None
    field_type: NotNull[CustomFieldType] = Field(default=None, alias="type")
    options: Options | None = None
    required: NotNull[bool] = None
    position: NotNull[Position] = None
    description: Description | None = None
    is_active: NotNull[bool] = None


class CustomFieldDefinitionRead(CamelModel):
    """A custom field definition."""

    id: uuid.UUID
    entity: str = Field(description="The kind of record: customer, repair, …")
    key: str
    label: str
    field_type: str = Field(alias="type", description="text, number, date, boolean or select")
    options: list[str] | None = Field(description="The choices of a select field; null for other types")
    required: bool
    is_active: bool = Field(
        description="False once deleted: stored values are kept and still returned and filterable, but "
        "no new value can be written"
    )
    position: int
    description: str | None
    created_at: datetime
    updated_at: datetime
