"""Campaign events in the catalogue: ``campaign.sent`` (seed 002's "Email campaign sent", WebSocket
``email:sent`` with ``campaignId`` and ``sentCount``), published through the outbox in the transaction that
marks the campaign sent, so it reaches the live channel and webhooks once."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.marketing.permissions import CAMPAIGNS_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel


class CampaignSentPayload(CamelModel):
    """A campaign whose every recipient was handled: ``sentCount`` accepted by the provider,
    ``failedCount`` refused or interrupted, ``skippedCount`` suppressed or withdrawn by their turn."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    name: str
    recipient_count: int
    sent_count: int
    failed_count: int
    skipped_count: int
    sent_at: datetime


CAMPAIGN_SENT = event_type(
    "campaign.sent",
    "An email campaign finished sending (seed 002's email campaign sent: campaignId, sentCount; also "
    "recipientCount, failedCount, skippedCount).",
    CampaignSentPayload,
    permission=CAMPAIGNS_READ,
).name
