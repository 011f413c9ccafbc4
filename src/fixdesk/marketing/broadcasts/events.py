"""Broadcast events in the catalogue: ``message.delivered`` (seed 002's "message delivered" WebSocket
event, ``{messageId, deliveryStatus, …}``) and ``broadcast.sent`` (a broadcast finished: every recipient
sent, failed or skipped). Both reach staff holding ``broadcasts:read`` live and webhooks by name."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.marketing.broadcasts.models import Broadcast
from fixdesk.marketing.permissions import BROADCASTS_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel


class MessageDeliveredPayload(CamelModel):
    """One broadcast message Twilio reported delivered: ``messageId`` is the broadcast's id (seed 002's
    Message), ``deliveryStatus`` Twilio's status (``delivered`` or ``read``)."""

    message_id: uuid.UUID
    customer_id: uuid.UUID
    type: str
    delivery_status: str
    provider_message_id: str
    delivered_at: datetime


class BroadcastSentPayload(CamelModel):
    """A broadcast that has finished sending, with its counters at that moment (deliveries keep coming)."""

    id: uuid.UUID
    message_id: uuid.UUID
    type: str
    recipient_count: int
    sent_count: int
    delivered_count: int
    failed_count: int
    skipped_count: int
    sent_at: datetime | None

    @classmethod
    def of(cls, broadcast: Broadcast) -> BroadcastSentPayload:
        return cls(
            id=broadcast.id,
            message_id=broadcast.id,
            type=broadcast.type,
            recipient_count=broadcast.recipient_count,
            sent_count=broadcast.sent_count,
            delivered_count=broadcast.delivered_count,
            failed_count=broadcast.failed_count,
            skipped_count=broadcast.skipped_count,
            sent_at=broadcast.sent_at,
        )


MESSAGE_DELIVERED = event_type(
    "message.delivered",
    "An SMS or WhatsApp broadcast message was reported delivered by Twilio (messageId, customerId, "
    "deliveryStatus).",
    MessageDeliveredPayload,
    permission=BROADCASTS_READ,
).name
BROADCAST_SENT = event_type(
    "broadcast.sent",
    "An SMS or WhatsApp broadcast finished sending (recipientCount, sentCount, failedCount, skippedCount).",
    BroadcastSentPayload,
    permission=BROADCASTS_READ,
).name
