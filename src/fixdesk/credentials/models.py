"""Login sessions (refresh-token families) of staff users and customers, and the codes and links emailed to
customers. Identity signs accounts in with them; the customers domain revokes them when a customer's
credentials change (:mod:`fixdesk.credentials.service`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.db import Base, IdMixin, utcnow


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
