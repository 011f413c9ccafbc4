"""Request and response models for customers and the customer's own portal profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, field_validator

from fixdesk.platform.schemas import CamelModel, InputModel, NotNull

Language = Literal["en", "pt"]
Name = Field(min_length=1, max_length=100)
Tag = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[\w\- ]+$")]


def _clean_tags(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return sorted({tag.strip().lower() for tag in value if tag.strip()})


class CustomerCreate(InputModel):
    """A new customer. ``phone`` may be national (``512-555-0100``, read in the shop's default region) or
    international (``+44 20 7946 0958``); it is stored in E.164. ``email`` is unique, case-insensitively.

    Staff never set a customer's portal password: a body with ``portalPassword`` is refused (400 naming
    the field). The customer chooses it through an emailed link (``POST /customers/{id}/portal-invitation``).
    """

    first_name: str = Name
    last_name: str = Name
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    company_name: str | None = Field(default=None, max_length=200)
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100, description="State, province or county")
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    language: Language = "en"
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA time zone, e.g. Europe/Lisbon"
    )
    notify_email: bool = Field(default=True, description="Send repair updates by email")
    notify_sms: bool = Field(default=True, description="Send repair updates by SMS")
    notes: str | None = Field(default=None, max_length=5000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    status: Literal["active", "inactive"] = "active"
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="Values of the shop's custom fields for customers, by key"
    )

    _tags = field_validator("tags")(_clean_tags)


class CustomerUpdate(InputModel):
    """Fields to change; omitted fields stay as they are, ``null`` clears an optional field.

    ``portalPassword`` is refused (400 naming the field): staff send a password-reset link instead
    (``POST /customers/{id}/password-reset``). Changing ``email`` is a change of the customer's
    credentials: their sessions end, their emailed codes and links stop working, the address counts as
    unverified, the change is audited and the old address is told."""

    first_name: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    last_name: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    company_name: str | None = Field(default=None, max_length=200)
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    language: NotNull[Language] = None
    timezone: str | None = Field(default=None, max_length=64)
    notify_email: NotNull[bool] = None
    notify_sms: NotNull[bool] = None
    notes: str | None = Field(default=None, max_length=5000)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    status: NotNull[Literal["active", "inactive"]] = None
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="Merged into the stored values; null for a key removes it"
    )

    _tags = field_validator("tags")(_clean_tags)


class CustomerRead(CamelModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    full_name: str
    email: str | None
    phone: str | None
    company_name: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    language: str
    timezone: str | None
    notify_email: bool
    notify_sms: bool
    notes: str | None
    status: str
    tags: list[str] = Field(validation_alias="tag_names")
    custom_fields: dict[str, Any]
    has_portal_access: bool = Field(description="The customer has chosen a portal password")
    archived_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CustomerBrief(CamelModel):
    """A customer embedded in a repair."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None


class CustomerProfileRead(CamelModel):
    """What a customer sees of themselves in the portal (no staff notes, no tags)."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    company_name: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    language: str
    timezone: str | None
    notify_email: bool
    notify_sms: bool
    created_at: datetime
    updated_at: datetime


class CustomerProfileUpdate(InputModel):
    """What a customer may change about themselves (seed 000, ``PUT /customer/profile``)."""

    first_name: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    last_name: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    language: NotNull[Language] = None
    timezone: str | None = Field(default=None, max_length=64)
    notify_email: NotNull[bool] = None
    notify_sms: NotNull[bool] = None
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)


class PortalLinkSent(CamelModel):
    """A portal invitation or password-reset link queued for the customer's email on file."""

    success: bool = True
    message: str
    expires_at: datetime = Field(description="When the link stops working")
