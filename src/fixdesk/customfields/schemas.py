"""Request and response models of custom field definitions (``/api/v1/custom-fields``).

The values themselves travel in the ``customFields`` object of customers and repairs; their rules are in
:mod:`fixdesk.customfields.service`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from fixdesk.customfields.models import CustomFieldEntity, CustomFieldType
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
Position = Annotated[int, Field(ge=0, le=10_000, description="Sort order in lists and forms, lowest first")]
Description = Annotated[str, Field(max_length=500, description="Help text for staff")]


class CustomFieldDefinitionCreate(InputModel):
    """A new custom field on customers or repairs. ``key`` and ``entity`` can never change afterwards."""

    entity: CustomFieldEntity
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
    entity: str = Field(description="customer or repair")
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
