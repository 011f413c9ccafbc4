"""Request and response models of the marketing domain: consent, suppressions, audiences and segments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut, NotNull

Channel = Literal["email", "sms", "whatsapp"]
"""A marketing channel: ``email`` reaches the customer's email, ``sms`` and ``whatsapp`` their phone."""

ConsentSourceName = Literal[
    "portal",
    "staff",
    "import",
    "web_form",
    "sms_keyword",
    "unsubscribe_link",
    "list_unsubscribe",
    "complaint",
    "api",
]
SuppressionReasonName = Literal["unsubscribed", "bounced", "complained", "stop"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "whatsapp")


class ConsentRead(CamelModel):
    """A customer's current marketing consent on one channel. ``granted`` is false, and ``changedAt`` and
    ``source`` null, for a channel the customer was never asked about. ``address`` is where the channel
    reaches them (null: no email or phone on file, so nothing is sent whatever the consent); ``suppressed``
    says whether that address is on the suppression list (nothing is sent either)."""

    channel: Channel
    granted: bool
    changed_at: datetime | None = None
    source: str | None = None
    evidence: str | None = None
    address: str | None = None
    suppressed: bool = False


class ConsentChangeRead(CamelModel):
    """One row of a customer's consent history, newest first."""

    channel: Channel
    granted: bool
    source: str
    evidence: str | None = None
    actor_type: str
    actor_id: uuid.UUID | None = None
    changed_at: datetime


class ConsentsRead(CamelModel):
    """Every channel's current consent and the latest changes (at most 50, newest first)."""

    customer_id: uuid.UUID
    consents: list[ConsentRead]
    history: list[ConsentChangeRead]


class ConsentUpdate(InputModel):
    """Grant or withdraw marketing consent on a channel. Staff say how it was given (``source``, default
    ``staff``) and may add ``evidence`` (a signed form's reference, what the customer said on the phone)."""

    granted: bool
    source: ConsentSourceName = "staff"
    evidence: str | None = Field(default=None, max_length=2000)


class PortalConsentUpdate(InputModel):
    """The signed-in customer grants or withdraws their own consent on a channel (recorded with source
    ``portal``). The channel is in the body: the portal's routes carry no path parameter but ids."""

    channel: Channel
    granted: bool


class SuppressionCreate(InputModel):
    """Put an address on the suppression list of a channel: an email for ``email``, a phone number in
    international form (``+351912345678``) for ``sms`` and ``whatsapp``."""

    channel: Channel
    address: str = Field(min_length=3, max_length=255)
    reason: SuppressionReasonName
    source: str = Field(default="staff", min_length=1, max_length=32, pattern=r"^[a-z_]+$")


class SuppressionRead(CamelModel):
    channel: Channel
    address: str
    reason: SuppressionReasonName
    source: str
    created_at: datetime


class AudienceSpec(InputModel):
    """Who a campaign or a broadcast is for: every customer (``all``), a saved segment (``segmentId``) or
    listed customers (``customerIds``, at most 10,000). Whatever it says, only active customers with
    consent on the channel, an address for it and no suppression of that address are reached."""

    recipient_type: Literal["all", "segment", "customers"]
    segment_id: uuid.UUID | None = None
    customer_ids: list[uuid.UUID] | None = Field(default=None, max_length=10_000)


RfmSegmentName = Literal[
    "champions",
    "loyal",
    "potential_loyalist",
    "new_customer",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
]


class SegmentFilter(InputModel):
    """A filter over customers; every given criterion must hold (AND), none given matches every customer
    who is not archived.

    * ``tagsAny`` / ``tagsAll``: at least one / every one of the tags;
    * ``statuses``: customer status among these (default: active and inactive);
    * ``customFields``: custom field values, each equal (read by the field's type);
    * ``minTotalSpend`` / ``maxTotalSpend``: total spend in the shop's currency, inclusive;
    * ``lastVisitBefore`` / ``lastVisitAfter``: the last visit strictly before / at or after a moment;
      a customer never seen matches ``lastVisitBefore`` (they have not visited since) but not
      ``lastVisitAfter``;
    * ``rfmSegments``: the customer's RFM segment is among these (customers without a purchase have none).

    Total spend, last visit and RFM are defined in :mod:`fixdesk.marketing.segments`.
    """

    tags_any: list[str] | None = Field(default=None, max_length=50)
    tags_all: list[str] | None = Field(default=None, max_length=50)
    statuses: list[Literal["active", "inactive"]] | None = Field(default=None, max_length=2)
    custom_fields: dict[str, str | int | float | bool] | None = Field(default=None, max_length=20)
    min_total_spend: MoneyIn | None = None
    max_total_spend: MoneyIn | None = None
    last_visit_before: datetime | None = None
    last_visit_after: datetime | None = None
    rfm_segments: list[RfmSegmentName] | None = Field(default=None, max_length=11)

    @model_validator(mode="after")
    def _consistent(self) -> SegmentFilter:
        if (
            self.min_total_spend is not None
            and self.max_total_spend is not None
            and self.min_total_spend > self.max_total_spend
        ):
            raise ValueError("minTotalSpend must not exceed maxTotalSpend")
        for name in ("last_visit_before", "last_visit_after"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-01-31T00:00:00Z)")
        return self


class SegmentCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    filter: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentUpdate(InputModel):
    name: NotNull[str] = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    filter: NotNull[SegmentFilter] = None


class SegmentRead(CamelModel):
    """A saved segment; ``customerCount`` is live (counted when read), present on a single segment."""

    id: uuid.UUID
    name: str
    description: str | None = None
    filter: SegmentFilter
    customer_count: int | None = None
    created_at: datetime
    updated_at: datetime


class SegmentCount(CamelModel):
    """How many customers an (unsaved) filter matches now."""

    customer_count: int


class SegmentMemberRead(CamelModel):
    """A customer in a segment, with the figures segments filter on."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    status: str
    tags: list[str]
    total_spend: MoneyOut
    purchase_count: int
    last_visit_at: datetime | None = None
    rfm_segment: RfmSegmentName | None = None


class SegmentationCustomer(CamelModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None = None
    order_count: int
    total_revenue: MoneyOut


class SegmentationGroup(CamelModel):
    count: int
    customers: list[SegmentationCustomer]


class SegmentationWithOrders(SegmentationGroup):
    total_revenue: MoneyOut
    average_order_value: MoneyOut


class SegmentationRead(CamelModel):
    """Seed 002's customer segmentation: customers with and without (sales) orders, the first customers
    of each (at most 20), and the conversion rate (percent of customers with an order, two decimals)."""

    with_orders: SegmentationWithOrders
    without_orders: SegmentationGroup
    conversion_rate: DecimalNumber
