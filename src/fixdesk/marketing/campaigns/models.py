"""Email templates, email campaigns and their recipients (issue 13 item 6, seed 002's ``email_campaigns``).

* ``email_templates``: reusable subject and HTML body, with seed 002's template type;
* ``email_campaigns``: one mailing, its audience (all, a saved segment, or listed customers), its own copy of
  subject and body (a template is copied in, so editing the template later does not change a campaign),
  its schedule and status ``draft → scheduled → sending → sent``, ``cancelled``;
* ``email_campaign_recipients``: one row per customer a campaign was sent to, made in bulk
  (``INSERT … SELECT`` from the audience) when sending starts. Its ``status`` is the furthest step the
  message reached (queued, sending, sent, opened, clicked, unsubscribed; or skipped, failed, bounced); the
  timestamps record every step. The key is (campaign, customer): a customer is in a campaign at most once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, TimestampMixin


class TemplateType(StrEnum):
    """Seed 002's template types."""

    blank = "blank"
    welcome = "welcome"
    promotion = "promotion"
    reminder = "reminder"
    newsletter = "newsletter"


class RecipientType(StrEnum):
    """Who a campaign goes to: every consenting customer, a saved segment's, or the listed ones."""

    all = "all"
    segment = "segment"
    customers = "customers"


class CampaignStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"  # waits for schedule_at; the periodic job starts it
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"


class RecipientStatus(StrEnum):
    """The furthest step a campaign's message to one customer reached."""

    queued = "queued"
    sending = "sending"  # claimed by a worker (claimed_by, claimed_until)
    skipped = "skipped"  # suppressed or consent withdrawn by the time it was its turn: never sent
    failed = "failed"  # refused by the provider, or its worker stopped while sending (see sending.py)
    sent = "sent"
    bounced = "bounced"
    opened = "opened"
    clicked = "clicked"
    unsubscribed = "unsubscribed"


class EmailTemplate(IdMixin, TimestampMixin, Base):
    """A reusable campaign email: subject and HTML body (Jinja2, sandboxed; see :mod:`.rendering`)."""

    __tablename__ = "email_templates"

    name: Mapped[str] = mapped_column(String(255), unique=True)
    template_type: Mapped[str] = mapped_column(String(20), default=TemplateType.blank.value)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EmailCampaign(IdMixin, TimestampMixin, Base):
    """One email campaign (seed 002's ``email_campaigns``)."""

    __tablename__ = "email_campaigns"

    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    template_type: Mapped[str] = mapped_column(String(20), default=TemplateType.blank.value)
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_templates.id", ondelete="SET NULL"), index=True
    )
    recipient_type: Mapped[str] = mapped_column(String(20), default=RecipientType.all.value)
    segment_id: Mapped[uuid.UUID | None] = mapped_column()
    customer_ids: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.draft.value)
    schedule_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        # Seed 002's two indexes; the scheduler's query is (status, schedule_at).
        Index("ix_email_campaigns_status_schedule_at", "status", "schedule_at"),
        Index("ix_email_campaigns_sent_at", "sent_at"),
    )

    def audience(self) -> dict[str, Any]:
        """The audience as :class:`fixdesk.marketing.access.AudienceSpec` takes it."""
        return {
            "recipient_type": self.recipient_type,
            "segment_id": self.segment_id,
            "customer_ids": [uuid.UUID(value) for value in self.customer_ids] if self.customer_ids else None,
        }


class CampaignRecipient(Base):
    """One customer's copy of a campaign: where it went, how far it got and when."""

    __tablename__ = "email_campaign_recipients"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # A snapshot taken when sending started, so one batch renders without a join.
    email: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5), default="en")
    status: Mapped[str] = mapped_column(String(20), default=RecipientStatus.queued.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    queued_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    bounced_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column()
    clicked_at: Mapped[datetime | None] = mapped_column()
    unsubscribed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        # The claim query: a campaign's queued rows (and its expired claims) in key order.
        Index("ix_email_campaign_recipients_campaign_id_status", "campaign_id", "status"),
    )
