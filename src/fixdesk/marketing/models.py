"""Marketing consent, its history, the suppression list and saved customer segments (issue 13, items 4
and 5).

* ``marketing_consents`` holds the **current** state, one row per customer and channel (the row an
  audience query joins, through ``ix_marketing_consents_channel_granted_customer_id``);
* ``marketing_consent_changes`` holds **every** change (who or what recorded it, when, how), never
  updated nor deleted: the evidence a regulator or a customer may ask for;
* ``marketing_suppressions`` lists the addresses no marketing message may reach whatever the audience
  says (an unsubscribe, a hard bounce, a spam complaint, an SMS STOP), keyed by channel and normalised
  address (lower-cased email, E.164 phone);
* ``segments`` are saved filters over customers (:mod:`fixdesk.marketing.segments`).

Marketing consent is separate from the repair-notification preferences (``customers.notify_email`` and
``notify_sms``): those govern transactional messages about a customer's own repairs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, JSONDocument, TimestampMixin, utcnow


class Channel(StrEnum):
    """A marketing channel. Email reaches the customer's email, SMS and WhatsApp their (E.164) phone."""

    email = "email"
    sms = "sms"
    whatsapp = "whatsapp"


class ConsentSource(StrEnum):
    """How a consent change was recorded."""

    portal = "portal"
    staff = "staff"
    import_ = "import"
    web_form = "web_form"
    sms_keyword = "sms_keyword"
    unsubscribe_link = "unsubscribe_link"
    list_unsubscribe = "list_unsubscribe"
    complaint = "complaint"
    api = "api"


class SuppressionReason(StrEnum):
    """Why an address is suppressed."""

    unsubscribed = "unsubscribed"
    bounced = "bounced"
    complained = "complained"
    stop = "stop"


class MarketingConsent(Base):
    """The current marketing consent of one customer on one channel. No row means never asked: not
    granted."""

    __tablename__ = "marketing_consents"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # The audience query: "customers granted on this channel" is an index range.
        Index("ix_marketing_consents_channel_granted_customer_id", "channel", "granted", "customer_id"),
    )


class MarketingConsentChange(IdMixin, Base):
    """One change of a customer's consent on a channel (the history; rows are only ever added)."""

    __tablename__ = "marketing_consent_changes"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str | None] = mapped_column(Text)
    # Who recorded it: a staff user, the customer, an API client, or the system (a webhook, a link).
    actor_type: Mapped[str] = mapped_column(String(16), default="system")
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_marketing_consent_changes_customer_id_changed_at", "customer_id", "changed_at"),
    )


class Suppression(Base):
    """An address no marketing message may reach on a channel."""

    __tablename__ = "marketing_suppressions"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Segment(IdMixin, TimestampMixin, Base):
    """A saved filter over customers (:class:`fixdesk.marketing.schemas.SegmentFilter` as JSON)."""

    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    filter: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict, server_default=text("'{}'"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
