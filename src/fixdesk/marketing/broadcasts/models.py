"""Broadcasts (seed 002's ``messages`` table), one recipient row per customer, and reusable templates.

* ``broadcasts``: what was sent, to which audience, when, and its counters (kept by the same statements
  that move recipient rows, so they always agree with them);
* ``broadcast_recipients``: one row per customer of a broadcast, keyed by (broadcast, customer), so the
  recipient list is made in one ``INSERT … SELECT`` and a second run of it adds nobody twice. Its status
  moves ``queued → sending`` (claimed by one worker with a conditional ``UPDATE``) ``→ sent | failed |
  skipped``, and Twilio's callbacks move a sent message to ``delivered``, ``undelivered`` or ``failed``;
* ``broadcast_templates``: named message bodies (Jinja2, sandboxed) staff pick from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, TimestampMixin, utcnow


class BroadcastStatus(StrEnum):
    """``scheduled`` (waiting for ``scheduleAt``) → ``sending`` (recipients chosen, batches going out) →
    ``sent`` (every recipient done); a scheduled broadcast may be ``cancelled`` before its time (final:
    nothing of it is sent). Seed 002's ``draft`` has no place: a broadcast exists once sent or scheduled."""

    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"


class RecipientStatus(StrEnum):
    """One recipient's message: see the module docstring for the moves."""

    queued = "queued"
    sending = "sending"  # claimed by a worker; the provider may or may not have it yet
    sent = "sent"  # accepted by the provider
    delivered = "delivered"  # the provider reported delivery to the handset
    undelivered = "undelivered"  # the provider reported the carrier could not deliver it
    failed = "failed"  # refused by the provider, or reported failed
    skipped = "skipped"  # suppressed, consent withdrawn or no longer reachable when its turn came


class Broadcast(IdMixin, Base):
    """One SMS or WhatsApp message to an audience (seed 002's Message)."""

    __tablename__ = "broadcasts"

    type: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("broadcast_templates.id", ondelete="SET NULL")
    )
    recipient_type: Mapped[str] = mapped_column(String(16))
    segment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    customer_ids: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.scheduled.value)
    schedule_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    # The estimate given when it was sent (shop currency) and the figures it was made from.
    estimated_recipients: Mapped[int] = mapped_column(Integer, default=0)
    segments_per_message: Mapped[int] = mapped_column(Integer, default=1)
    estimated_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    delivered_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # The list: newest first, optionally of one type (seed 002's idx_messages_type, idx_messages_sent_at).
        Index("ix_broadcasts_created_at", "created_at"),
        Index("ix_broadcasts_type_created_at", "type", "created_at"),
        Index("ix_broadcasts_status_created_at", "status", "created_at"),
    )


class BroadcastRecipient(Base):
    """One customer's copy of a broadcast."""

    __tablename__ = "broadcast_recipients"

    broadcast_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=RecipientStatus.queued.value)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # A batch claims the next queued rows of its broadcast; counts read by status.
        Index("ix_broadcast_recipients_broadcast_id_status", "broadcast_id", "status"),
        # Twilio's status callbacks find the row by the message sid.
        Index("ix_broadcast_recipients_provider_message_id", "provider_message_id"),
        Index("ix_broadcast_recipients_customer_id", "customer_id"),
    )


class BroadcastTemplate(IdMixin, TimestampMixin, Base):
    """A named SMS or WhatsApp body, rendered per customer in the sandboxed Jinja2 environment."""

    __tablename__ = "broadcast_templates"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_broadcast_templates_type_name", "type", "name"),)
