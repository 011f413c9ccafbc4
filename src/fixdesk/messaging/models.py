"""Notifications: one row per message to a customer on one channel, from queued to sent or failed."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, utcnow


class NotificationChannel(StrEnum):
    email = "email"
    sms = "sms"
    whatsapp = "whatsapp"


class NotificationStatus(StrEnum):
    queued = "queued"  # waiting for (or between) send attempts
    sent = "sent"  # accepted by the provider (or reported delivered by it)
    failed = "failed"  # out of attempts, refused, rate limited or reported undelivered


class Notification(IdMixin, Base):
    """One message to one customer on one channel, rendered from the template named by ``event``.

    ``variables`` holds the template's input as it was when the triggering event happened, so a retry an
    hour later says what the customer was told then, not what the repair looks like now. ``event_id`` is
    the domain event that caused it; unique with ``channel``, so a re-dispatched event never creates a
    second notification.
    """

    __tablename__ = "notifications"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    repair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repairs.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(5), default="en")
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(300))
    body_preview: Mapped[str] = mapped_column(String(500), default="")
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.queued.value)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    provider_status: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    event_id: Mapped[uuid.UUID | None] = mapped_column()
    # Files the email carries, as references made into files when it is sent (messaging.attachments):
    # [{"kind": "invoice_pdf", "reference": "<invoice id>"}]. Empty for SMS and most emails.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")

    __table_args__ = (
        UniqueConstraint("event_id", "channel"),
        Index("ix_notifications_created_at", "created_at"),
        Index("ix_notifications_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_notifications_repair_id_created_at", "repair_id", "created_at"),
        Index("ix_notifications_status_created_at", "status", "created_at"),
        Index("ix_notifications_channel_created_at", "channel", "created_at"),
        # The per-customer hourly limit counts sent messages of one channel.
        Index("ix_notifications_customer_id_channel_sent_at", "customer_id", "channel", "sent_at"),
        # Twilio's delivery callbacks find the notification by the message sid.
        Index("ix_notifications_provider_message_id", "provider_message_id"),
    )
