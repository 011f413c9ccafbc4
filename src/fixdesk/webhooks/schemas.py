"""Request and response models for webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from fixdesk.platform.schemas import CamelModel, InputModel

EventName = Field(min_length=1, max_length=100)


def _clean_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    names = sorted({name.strip() for name in value if name.strip()})
    # "*" already takes every event; keeping other names next to it would only mislead a reader.
    return ["*"] if "*" in names else names


class WebhookCreate(InputModel):
    """A new subscription. ``events`` are names from ``GET /api/v1/webhooks/events``, or ``["*"]`` for all.
    The signing secret is generated and shown once in the answer."""

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL that receives POST requests")
    events: list[str] = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    active: bool = True

    _events = field_validator("events")(_clean_events)


class WebhookUpdate(InputModel):
    """Fields to change; omitted fields stay. Setting ``active`` to true again re-enables a disabled
    endpoint and forgets its failure streak."""

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None

    _events = field_validator("events")(_clean_events)


class WebhookRead(CamelModel):
    """A subscription as listed: never its secret."""

    id: uuid.UUID
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_by_id: uuid.UUID | None
    secret_rotated_at: datetime | None
    first_failure_at: datetime | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    """The answer to creating a subscription or rotating its secret: the only time the secret is shown."""

    secret: str = Field(
        description="Standard Webhooks secret (whsec_<base64>); the signing key is the base64-decoded part"
    )


class DeliveryAttemptRead(CamelModel):
    attempt_number: int
    attempted_at: datetime
    success: bool
    status_code: int | None
    duration_ms: int | None
    error: str | None


class DeliveryRead(CamelModel):
    """One event sent to one endpoint, its outcome and its attempts (oldest first)."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID = Field(description="Sent as the webhook-id header; the same on every attempt")
    event: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_status_code: int | None
    last_duration_ms: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempt_log: list[DeliveryAttemptRead] = Field(default_factory=list)
