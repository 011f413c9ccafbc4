"""Request and response models of email templates and campaigns (seed 002: ``name``, ``subject``,
``body``, ``templateType``, ``recipientType``, ``recipientIds``, ``scheduleAt``, ``sentCount``,
``openedCount``, ``clickedCount``, ``openRate``, ``clickRate``, ``status``, ``sentAt``).

Audiences are ``recipientType`` ``all`` (every consenting customer), ``segment`` (with ``segmentId``) or
``customers`` (with ``customerIds``; seed 002's ``custom`` and ``recipientIds`` are accepted for them).
Rates are percentages with two decimals (seed 002's ``openRate: 80.00``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from fixdesk.marketing.campaigns.models import CampaignStatus, RecipientStatus, RecipientType, TemplateType
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, NotNull

MAX_BODY = 200_000
MAX_LISTED_CUSTOMERS = 10_000

Name = Annotated[str, Field(min_length=1, max_length=255)]
Subject = Annotated[str, Field(min_length=1, max_length=500)]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY, description="HTML, a Jinja2 template")]


class EmailTemplateCreate(InputModel):
    """A reusable email: ``subject`` and HTML ``body`` may use the variables listed in
    :mod:`fixdesk.marketing.campaigns.rendering` (``{{ first_name }}``…); others are refused with 422."""

    name: Name
    subject: Subject
    body: Body
    template_type: TemplateType = Field(
        default=TemplateType.blank, validation_alias=AliasChoices("templateType", "template_type", "type")
    )


class EmailTemplateUpdate(InputModel):
    name: NotNull[Name] = None
    subject: NotNull[Subject] = None
    body: NotNull[Body] = None
    template_type: NotNull[TemplateType] = Field(
        default=None, validation_alias=AliasChoices("templateType", "template_type", "type")
    )


class EmailTemplateRead(CamelModel):
    id: uuid.UUID
    name: str
    template_type: TemplateType
    type: TemplateType = Field(description="Seed 002's name for templateType")
    subject: str
    body: str
    variables: list[str] = Field(description="The variables the subject and body use")
    created_at: datetime
    updated_at: datetime


def _recipient_type(value: Any) -> Any:
    # Seed 002 calls a list of chosen customers "custom".
    return RecipientType.customers.value if value == "custom" else value


class _Audience(InputModel):
    recipient_type: RecipientType | None = None
    segment_id: uuid.UUID | None = None
    customer_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=MAX_LISTED_CUSTOMERS,
        validation_alias=AliasChoices("customerIds", "customer_ids", "recipientIds", "recipient_ids"),
    )

    @field_validator("recipient_type", mode="before")
    @classmethod
    def _seed_names(cls, value: Any) -> Any:
        return _recipient_type(value)


class EmailCampaignCreate(_Audience):
    """A new campaign: its own ``subject`` and ``body``, or a ``templateId`` whose subject and body are
    copied in (what is given wins). With a future ``scheduleAt`` it is ``scheduled`` and starts sending then;
    otherwise it is a ``draft`` until ``POST …/send``."""

    name: Name
    subject: Subject | None = None
    body: Body | None = None
    template_id: uuid.UUID | None = None
    template_type: TemplateType | None = None
    recipient_type: RecipientType = RecipientType.all
    schedule_at: datetime | None = None

    @model_validator(mode="after")
    def _complete(self) -> EmailCampaignCreate:
        if self.template_id is None and (self.subject is None or self.body is None):
            raise ValueError("give a subject and a body, or a templateId")
        check_audience_shape(self.recipient_type, self.segment_id, self.customer_ids)
        return self


class EmailCampaignUpdate(_Audience):
    """Changes to a draft or scheduled campaign. ``scheduleAt: null`` unschedules it (back to draft)."""

    name: NotNull[Name] = None
    subject: NotNull[Subject] = None
    body: NotNull[Body] = None
    template_type: NotNull[TemplateType] = None
    recipient_type: NotNull[RecipientType] = None
    schedule_at: datetime | None = None


def check_audience_shape(
    recipient_type: RecipientType | None, segment_id: uuid.UUID | None, customer_ids: list[Any] | None
) -> None:
    """``ValueError`` for a segment audience without a segment, or a customers one without customers."""
    if recipient_type == RecipientType.segment and segment_id is None:
        raise ValueError("recipientType segment needs a segmentId")
    if recipient_type == RecipientType.customers and not customer_ids:
        raise ValueError("recipientType customers needs customerIds")


class EmailCampaignRead(CamelModel):
    id: uuid.UUID
    name: str
    subject: str
    body: str
    template_type: TemplateType
    template_id: uuid.UUID | None
    recipient_type: RecipientType
    segment_id: uuid.UUID | None
    customer_ids: list[uuid.UUID] | None
    status: CampaignStatus
    schedule_at: datetime | None
    started_at: datetime | None
    sent_at: datetime | None
    cancelled_at: datetime | None
    recipient_count: int = Field(description="Recipients queued when sending started")
    sent_count: int
    opened_count: int
    clicked_count: int
    open_rate: DecimalNumber = Field(description="Percent of delivered")
    click_rate: DecimalNumber = Field(description="Percent of delivered")
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class CampaignStats(CamelModel):
    """A campaign's results. ``delivered`` is sent minus bounced (accepted by the provider and not
    bounced since). Rates are percentages with two decimals: ``deliveryRate`` and ``bounceRate`` of sent,
    ``openRate``, ``clickRate`` and ``unsubscribeRate`` of delivered, ``clickToOpenRate`` of opened."""

    campaign_id: uuid.UUID
    status: CampaignStatus
    recipients: int
    queued: int
    skipped: int
    sent: int
    delivered: int
    failed: int
    bounced: int
    opened: int
    clicked: int
    unsubscribed: int
    delivery_rate: DecimalNumber
    bounce_rate: DecimalNumber
    open_rate: DecimalNumber
    click_rate: DecimalNumber
    click_to_open_rate: DecimalNumber
    unsubscribe_rate: DecimalNumber


class CampaignPreviewRequest(InputModel):
    """Preview for this customer, or for a sample customer (Ana Example) without ``customerId``."""

    customer_id: uuid.UUID | None = None


class CampaignPreview(CamelModel):
    to: str
    subject: str
    html: str
    text: str
    customer_id: uuid.UUID | None
    links: list[str] = Field(description="The links clicks may lead to, in order")


class AudienceCount(CamelModel):
    """How many customers the campaign would reach now (consenting to email, not suppressed)."""

    campaign_id: uuid.UUID
    recipient_type: RecipientType
    count: int


class CampaignSendResult(CamelModel):
    """Sending has started (202): ``recipientCount`` messages are queued; ``campaign.sent`` follows."""

    campaign_id: uuid.UUID
    status: CampaignStatus
    recipient_count: int
    started_at: datetime | None


class RecipientRead(CamelModel):
    customer_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    status: RecipientStatus
    attempts: int
    error: str | None
    queued_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    bounced_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    unsubscribed_at: datetime | None


def percent(part: int, whole: int) -> Decimal:
    """``part`` of ``whole`` in percent, two decimals (0 when ``whole`` is 0)."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))
