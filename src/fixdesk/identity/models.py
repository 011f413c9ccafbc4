"""Staff users and login sessions (refresh-token families)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

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

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class AuthSession(IdMixin, Base):
    """One login: a family of refresh tokens. Each refresh rotates the token inside the family; presenting
    a token that was already rotated revokes the whole family (it was stolen, or the client is broken)."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    user_agent: Mapped[str | None] = mapped_column(String(500))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    remember_me: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(String(50))

    tokens: Mapped[list[RefreshToken]] = relationship(back_populates="session", lazy="raise")


class RefreshToken(IdMixin, Base):
    """One refresh token of a family, stored only as its SHA-256. ``rotated_at`` is set when it was used."""

    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column()

    session: Mapped[AuthSession] = relationship(back_populates="tokens", lazy="raise")

    __table_args__ = (Index("ix_refresh_tokens_session_id_rotated_at", "session_id", "rotated_at"),)
