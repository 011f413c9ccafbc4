"""Staff users, staff invitations, scheduled account deletions and API clients (OAuth2 client credentials).

Login sessions, emailed codes and links are in :mod:`fixdesk.credentials.models`, the audit log in
:mod:`fixdesk.audit.models`: the customers domain, below identity, works with them too."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, TimestampMixin, utcnow


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    technician = "technician"
    agent = "agent"


class User(IdMixin, TimestampMixin, Base):
    """A staff member who signs in to the dashboards. ``permissions`` are extra grants beyond the role's."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20), index=True)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column()
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class UserInvitation(IdMixin, Base):
    """A one-time link for an invited staff user to set their password; only the token's SHA-256 is kept."""

    __tablename__ = "user_invitations"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class AccountDeletion(IdMixin, Base):
    """A deletion the account holder asked for: the personal data is anonymised at ``scheduled_for``."""

    __tablename__ = "account_deletions"

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_for: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_account_deletions_completed_at_scheduled_for", "completed_at", "scheduled_for"),
    )


class ApiClient(IdMixin, Base):
    """A machine caller using OAuth2 client credentials (RFC 6749 §4.4).

    ``client_id`` is public; the secret is 256 random bits shown once, and only its SHA-256 is stored
    (``secret_hash``): for a random secret of that size a slow password hash adds nothing but latency on
    every token request. ``scopes`` are permission strings (one scope = one permission).
    """

    __tablename__ = "api_clients"

    name: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
