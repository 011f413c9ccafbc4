"""Request and response models of SMS and WhatsApp broadcasts (seed 002's Message and message templates)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import Field, model_validator

from fixdesk.marketing.schemas import AudienceSpec
from fixdesk.platform.pagination import Page
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyOut, NotNull

BroadcastType = Literal["sms", "whatsapp"]
"""The channel of a broadcast: ``sms`` or ``whatsapp`` (Twilio's WhatsApp sender)."""

# Twilio accepts a message body of at most 1,600 characters.
MAX_CONTENT = 1600

TEMPLATE_VARIABLES = (
    "customer_name",
    "first_name",
    "last_name",
    "shop_name",
    "shop_phone",
    "shop_email",
)
"""The variables a broadcast's text may use (Jinja2 syntax, ``{{ first_name }}``): the customer's name
(``customer_name`` is first and last), and the shop's name, phone and email. Any other name is refused."""


class BroadcastMessage(InputModel):
    """The text of a broadcast: ``content`` written here, or the ``templateId`` of a saved template (one of
    the two). Either is a Jinja2 template rendered per customer in a sandbox with the variables listed in
    ``TEMPLATE_VARIABLES`` (``Hi {{ first_name }}, …``), at most 1,600 characters."""

    type: BroadcastType
    content: str | None = Field(default=None, min_length=1, max_length=MAX_CONTENT)
    template_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _content_or_template(self) -> BroadcastMessage:
        if (self.content is None) == (self.template_id is None):
            raise ValueError("give either content or templateId")
        return self


class BroadcastEstimateCreate(BroadcastMessage, AudienceSpec):
    """What a broadcast would cost: its text and audience (as for ``POST /messages/send``)."""


class BroadcastCreate(BroadcastEstimateCreate):
    """Send a broadcast now, or at ``scheduleAt`` (a future moment with its time zone). Its audience is
    every customer (``recipientType: all``), a saved segment (``segmentId``) or listed customers
    (``customerIds``); only active customers with consent on the channel, a phone and no suppression are
    reached, as they are when it is sent."""

    schedule_at: datetime | None = None

    @model_validator(mode="after")
    def _aware(self) -> BroadcastCreate:
        if self.schedule_at is not None and self.schedule_at.tzinfo is None:
            raise ValueError("scheduleAt needs a time zone (e.g. 2026-12-02T09:00:00Z)")
        return self


class BroadcastEstimate(CamelModel):
    """The estimated cost of a broadcast before it is sent: ``recipients × segmentsPerMessage ×
    pricePerSegment``, rounded half-up to cents, in ``currency`` (the shop's). The text is rendered for up
    to 100 of the recipients (names vary its length and may need UCS-2) and the longest one counts:
    ``preview`` is that text as its recipient would receive it (with sample names when nobody is reached),
    ``encoding`` its encoding (``GSM-7``: 160 characters in one segment, 153 per segment beyond; ``UCS-2``:
    70, then 67), ``characters`` its length in that encoding's units, ``segmentsPerMessage`` its segments."""

    type: BroadcastType
    recipients: int
    segments_per_message: int
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int = Field(description="Length of the preview in its encoding's units")
    price_per_segment: DecimalNumber
    estimated_cost: MoneyOut
    currency: str
    preview: str


class BroadcastRead(CamelModel):
    """A broadcast (seed 002's Message) with its counters: ``sentCount`` messages handed to the provider
    (accepted or refused), ``deliveredCount`` reported delivered, ``failedCount`` refused or reported failed
    or undelivered, ``skippedCount`` left out when their turn came (suppressed, consent withdrawn), and
    ``deliveryRate`` = delivered / sent × 100 (two decimals; 0 before anything was sent)."""

    id: uuid.UUID
    type: BroadcastType
    content: str
    template_id: uuid.UUID | None = None
    recipient_type: Literal["all", "segment", "customers"]
    segment_id: uuid.UUID | None = None
    customer_ids: list[uuid.UUID] | None = None
    status: Literal["scheduled", "sending", "sent", "cancelled"]
    schedule_at: datetime | None = None
    started_at: datetime | None = None
    sent_at: datetime | None = None
    recipient_count: int
    sent_count: int
    delivered_count: int
    failed_count: int
    skipped_count: int
    delivery_rate: DecimalNumber
    estimated_recipients: int
    segments_per_message: int
    estimated_cost: MoneyOut
    currency: str
    created_by_id: uuid.UUID | None = None
    created_at: datetime


RecipientStatusName = Literal["queued", "sending", "sent", "delivered", "undelivered", "failed", "skipped"]
"""A recipient's message: ``queued`` (waiting for its batch), ``sending`` (claimed by a worker), ``sent``
(accepted by the provider), ``delivered`` / ``undelivered`` (as the provider reported), ``failed`` (refused
by the provider or reported failed), ``skipped`` (no longer reachable when its turn came)."""


class BroadcastRecipientRead(CamelModel):
    """One customer's copy of a broadcast: who (``customerId`` and their name now; an erased customer's
    name is the anonymised one), the number it went to (E.164), its ``status`` (see
    :data:`RecipientStatusName`), the provider's last reported status and error, and when it was sent and
    delivered."""

    customer_id: uuid.UUID
    first_name: str
    last_name: str
    address: str
    status: RecipientStatusName
    provider_status: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None


class ChannelStats(CamelModel):
    """One channel's totals over every broadcast: messages sent, delivered and failed, and the delivery
    rate (delivered / sent × 100, two decimals)."""

    sent: int
    delivered: int
    failed: int
    delivery_rate: DecimalNumber


class BroadcastStats(CamelModel):
    """Seed 002's totals (``totalSmsSent``, ``totalWhatsAppSent``, ``averageDeliveryRate``: delivered over
    sent of both channels × 100) and each channel's figures."""

    total_sms_sent: int
    total_whats_app_sent: int
    average_delivery_rate: DecimalNumber
    sms: ChannelStats
    whatsapp: ChannelStats


class BroadcastPage(Page[BroadcastRead]):
    """A page of broadcasts, newest first, and the totals of every broadcast (``stats``)."""

    stats: BroadcastStats


class BroadcastTemplateCreate(InputModel):
    """A reusable broadcast text (Jinja2 with the variables of ``TEMPLATE_VARIABLES``, checked when saved)."""

    name: str = Field(min_length=1, max_length=120)
    type: BroadcastType
    content: str = Field(min_length=1, max_length=MAX_CONTENT)


class BroadcastTemplateUpdate(InputModel):
    name: NotNull[str] = Field(default=None, min_length=1, max_length=120)
    type: NotNull[BroadcastType] = None
    content: NotNull[str] = Field(default=None, min_length=1, max_length=MAX_CONTENT)


class BroadcastTemplateRead(CamelModel):
    """A saved template; ``segments`` and ``encoding`` are those of its text rendered with sample names."""

    id: uuid.UUID
    name: str
    type: BroadcastType
    content: str
    segments: int
    encoding: Literal["GSM-7", "UCS-2"]
    created_at: datetime
    updated_at: datetime


class TwilioCallbackAnswer(CamelModel):
    """What a signed delivery report changed: whether it matched a broadcast message."""

    updated: bool


def delivery_rate(delivered: int, sent: int) -> Decimal:
    """``delivered / sent × 100`` with two decimals (half-up); 0 when nothing was sent."""
    if not sent:
        return Decimal("0.00")
    return (Decimal(delivered) * 100 / Decimal(sent)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
