"""Definitions of the shop's custom fields. The values live on the records themselves, in their
``custom_fields`` JSON column, keyed by the definition's ``key``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, TimestampMixin


class CustomFieldType(StrEnum):
    text = "text"
    number = "number"
    date = "date"  # YYYY-MM-DD
    boolean = "boolean"
    select = "select"  # one of ``options``


class CustomFieldDefinition(IdMixin, TimestampMixin, Base):
    """One custom field: its ``key`` (as it appears in ``customFields`` and in ``?customFields.<key>=``),
    label, type, the options of a select, and whether a value is required."""

    __tablename__ = "custom_field_definitions"

    # The kind of record (customfields.registry: "customer", "repair", …, as the domains declare them).
    entity: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    field_type: Mapped[str] = mapped_column(String(10))
    options: Mapped[list[Any] | None] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("entity", "key"),)
