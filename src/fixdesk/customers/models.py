"""Customer records. Emails are stored lower-cased (unique), phones in E.164."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.db import Base, IdMixin, JSONDocument, TimestampMixin


class CustomerStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    archived = "archived"


class Customer(IdMixin, TimestampMixin, Base):
    """A shop's customer. Archiving (DELETE) keeps the row and its history and hides it from default lists."""

    __tablename__ = "customers"

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    company_name: Mapped[str | None] = mapped_column(String(200))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Which channels the customer wants repair updates on (seed 003's notificationPreferences).
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CustomerStatus.active.value)
    archived_at: Mapped[datetime | None] = mapped_column()
    # Lower-cased "first last email phone" kept by the service: one column to search, one trigram index.
    search_text: Mapped[str] = mapped_column(String(600), default="")
    portal_password_hash: Mapped[str | None] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Portal accounts (identity domain): when the email was proven with a code, the customer's number at
    # their company (seed 004's companyCustomerId) and their BCP 47 locale (``language`` follows it).
    email_verified_at: Mapped[datetime | None] = mapped_column()
    company_customer_id: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(35))
    # Values of the shop's custom fields for customers, keyed by the field's key.
    custom_fields: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, default=dict, server_default=text("'{}'")
    )

    tags: Mapped[list[CustomerTag]] = relationship(
        back_populates="customer", lazy="raise", cascade="all, delete-orphan", order_by="CustomerTag.tag"
    )

    __table_args__ = (
        Index("ix_customers_custom_fields_gin", "custom_fields", postgresql_using="gin"),
        Index("ix_customers_status_created_at", "status", "created_at"),
        Index("ix_customers_last_name_first_name", "last_name", "first_name"),
        Index("ix_customers_first_name_last_name", "first_name", "last_name"),
        Index(
            "ix_customers_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def tag_names(self) -> list[str]:
        return [tag.tag for tag in self.tags]

    @property
    def has_portal_access(self) -> bool:
        return self.portal_password_hash is not None


class CustomerTag(Base):
    """One tag on one customer (a table, not a JSON list, so ``?tag=`` filters through an index)."""

    __tablename__ = "customer_tags"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)

    customer: Mapped[Customer] = relationship(back_populates="tags", lazy="raise")
