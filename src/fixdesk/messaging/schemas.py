"""Response models of notifications for staff and for the customer portal."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from fixdesk.platform.pagination import Page
from fixdesk.platform.schemas import CamelModel


class NotificationRead(CamelModel):
    """A notification as staff see it: where it went, what it said and what the provider made of it."""

    id: uuid.UUID
    customer_id: uuid.UUID
    repair_id: uuid.UUID | None
    channel: str = Field(description="email, sms or whatsapp")
    event: str = Field(description="The template, e.g. repair_created")
    language: str
    recipient: str = Field(description="Email address or E.164 phone number")
    subject: str | None
    body_preview: str
    status: str = Field(description="queued, sent or failed")
    provider: str | None = Field(description="file, smtp, sendgrid or twilio")
    provider_message_id: str | None
    provider_status: str | None = Field(description="The provider's delivery status (Twilio callbacks)")
    error: str | None = Field(description="Why the last attempt failed; rate_limited for the hourly cap")
    attempts: int
    read_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    event_id: uuid.UUID | None = Field(description="The domain event that caused it")


class CustomerNotificationRead(CamelModel):
    """A message the customer was sent, as the portal shows it."""

    id: uuid.UUID
    repair_id: uuid.UUID | None
    channel: str
    event: str
    subject: str | None
    body_preview: str
    read_at: datetime | None
    created_at: datetime
    sent_at: datetime | None


class CustomerNotificationPage(Page[CustomerNotificationRead]):
    """A page of the customer's messages and how many of all their messages are unread."""

    unread_count: int


class TwilioStatusAnswer(CamelModel):
    """What the Twilio status callback answers: whether a notification matched the message sid."""

    updated: bool
