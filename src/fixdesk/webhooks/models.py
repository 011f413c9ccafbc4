"""Webhook subscriptions, one delivery per (subscription, event) and the log of every delivery attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.db import Base, IdMixin, TimestampMixin, new_id, utcnow
from fixdesk.platform.crypto import Keyring, encrypted_column

SECRET_PURPOSE = "webhooks.signing-secret"


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its first attempt or for a retry
    delivered = "delivered"  # the endpoint answered 2xx
    failed = "failed"  # given up: out of attempts, refused address, or the endpoint was disabled


class WebhookSubscription(IdMixin, TimestampMixin, Base):
    """An endpoint of another system that receives Fixdesk's events, signed with its own secret.

    Signing needs the secret itself (``whsec_<base64>``), so it cannot be hashed like a password:
    ``secret_ciphertext`` holds it encrypted (:mod:`fixdesk.platform.crypto`, purpose
    :data:`SECRET_PURPOSE`, bound to the row's id); read and write it with :meth:`reveal_secret` and
    :meth:`set_secret`. ``first_failure_at`` is the start of the current run of failed
    deliveries (cleared by any success); a run a day long disables the endpoint.
    """

    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_ciphertext: Mapped[str] = mapped_column(String(500))
    secret_rotated_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    first_failure_at: Mapped[datetime | None] = mapped_column()
    last_failure_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    disabled_at: Mapped[datetime | None] = mapped_column()
    disabled_reason: Mapped[str | None] = mapped_column(String(500))

    def set_secret(self, secret: str, keyring: Keyring) -> None:
        """Store ``secret`` encrypted under the keyring's current key (the row needs its id first)."""
        if self.id is None:
            self.id = new_id()
        self.secret_ciphertext = keyring.encrypt(secret, purpose=SECRET_PURPOSE, record_id=self.id)

    def reveal_secret(self, keyring: Keyring) -> str:
        """The plain signing secret; :class:`fixdesk.platform.crypto.DecryptionFailed` when no configured
        key opens it."""
        return keyring.decrypt(self.secret_ciphertext, purpose=SECRET_PURPOSE, record_id=self.id)

    def wants(self, event_name: str) -> bool:
        """Whether this subscription's events filter lets ``event_name`` through."""
        return "*" in self.events or event_name in self.events


encrypted_column(WebhookSubscription, "secret_ciphertext", SECRET_PURPOSE)


class WebhookDelivery(IdMixin, Base):
    """One event sent (or to be sent) to one subscription; retried and redelivered under the same
    ``webhook-id`` (the event id), so the receiver can drop duplicates."""

    __tablename__ = "webhook_deliveries"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    attempt_log: Mapped[list[WebhookDeliveryAttempt]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="WebhookDeliveryAttempt.attempt_number",
    )

    __table_args__ = (
        # Fan-out runs at least once per event; this keeps it to one delivery per subscription and event.
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_subscription_id_created_at", "subscription_id", "created_at"),
    )


class WebhookDeliveryAttempt(IdMixin, Base):
    """One HTTP request made for a delivery (or refused before it was made) and how it ended."""

    __tablename__ = "webhook_delivery_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt_number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)
