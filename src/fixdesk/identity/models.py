"""Staff users, login sessions (refresh-token families), emailed login codes, staff invitations, scheduled
account deletions, API clients (OAuth2 client credentials) and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
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
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))

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
    # A session opened by a sign-in page: the SHA-256 of the secret in the browser's session cookie
    # (fixdesk.identity.browser_sessions). API logins leave it empty.
    browser_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

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


class LoginCode(IdMixin, Base):
    """A 6-digit code emailed to a customer to verify the address or to log in without a password
    (``purpose`` ``verification`` or ``login``), or a set-password link (``portal_invitation``,
    ``password_reset``: :mod:`fixdesk.identity.portal_access`).

    Only an HMAC of a code (keyed with the app secret, salted with the row id) is stored, and only the
    SHA-256 of a link's 256-bit token. A code expires 10 minutes after ``created_at``, dies after 5 wrong
    tries (``attempts``), and issuing a new one voids the customer's open codes (``voided_at``); links
    expire and void each other the same way, with lifetimes of their own.
    """

    __tablename__ = "login_codes"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()
    voided_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_login_codes_customer_id_created_at", "customer_id", "created_at"),)


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


class AuditEvent(IdMixin, Base):
    """One entry of the activity and audit log: who did what to what, from where.

    Written in the transaction of the action it records. No foreign keys on purpose: the log outlives the
    rows it names (and must never block deleting or anonymising them).
    """

    __tablename__ = "audit_events"

    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID | None] = mapped_column()
    customer_id: Mapped[uuid.UUID | None] = mapped_column()
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        Index("ix_audit_events_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_events_action_created_at", "action", "created_at"),
        Index("ix_audit_events_target_id_created_at", "target_id", "created_at"),
        Index("ix_audit_events_customer_id_created_at", "customer_id", "created_at"),
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
