"""The gadgets table."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, JSONDocument


class Gadget(IdMixin, Base):
    __tablename__ = "test_gadgets"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    name: Mapped[str] = mapped_column(String(100))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
