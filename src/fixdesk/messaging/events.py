"""Messaging events in the catalogue: a notification was accepted by its provider."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.messaging.models import Notification
from fixdesk.messaging.permissions import NOTIFICATIONS_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel


class NotificationSentPayload(CamelModel):
    """A notification as the ``email.sent`` and ``message.sent`` events describe it."""

    id: uuid.UUID
    customer_id: uuid.UUID
    repair_id: uuid.UUID | None
    channel: str
    template: str
    recipient: str
    subject: str | None
    provider: str | None
    provider_message_id: str | None
    attempts: int
    sent_at: datetime | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationSentPayload:
        return cls(
            id=notification.id,
            customer_id=notification.customer_id,
            repair_id=notification.repair_id,
            channel=notification.channel,
            template=notification.event,
            recipient=notification.recipient,
            subject=notification.subject,
            provider=notification.provider,
            provider_message_id=notification.provider_message_id,
            attempts=notification.attempts,
            sent_at=notification.sent_at,
        )


EMAIL_SENT = event_type(
    "email.sent",
    "An email notification was accepted by the email provider (template, recipient, providerMessageId).",
    NotificationSentPayload,
    permission=NOTIFICATIONS_READ,
).name
MESSAGE_SENT = event_type(
    "message.sent",
    "An SMS or WhatsApp notification was accepted by the provider (channel, template, providerMessageId).",
    NotificationSentPayload,
    permission=NOTIFICATIONS_READ,
).name
