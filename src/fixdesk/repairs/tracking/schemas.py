"""Request and response models of the public tracking page and of customer reviews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from fixdesk.platform.schemas import CamelModel, InputModel

if TYPE_CHECKING:
    from fixdesk.config import Settings
    from fixdesk.repairs.models import RepairReview


class ReviewCreate(InputModel):
    """A customer's rating of a completed repair: 1 (poor) to 5 (excellent), with an optional comment.

    The rating must be a JSON integer (``4``; not ``4.0``, ``"4"`` or ``true``). A blank comment is stored
    as none."""

    rating: int = Field(ge=1, le=5, strict=True, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=2000, description="Up to 2,000 characters")


class ReviewRead(CamelModel):
    """A customer's review of one repair (one per repair). ``comment`` is cleared when the customer's
    personal data is erased; the rating stays."""

    id: uuid.UUID
    repair_id: uuid.UUID
    customer_id: uuid.UUID
    rating: int
    comment: str | None
    created_at: datetime


class ReviewListItem(ReviewRead):
    """A review in the staff list, with the repair's number and the customer's full name."""

    repair_number: str
    customer_name: str

    @classmethod
    def of(cls, review: RepairReview) -> ReviewListItem:
        """Build from a review loaded with its ``repair`` and ``customer``."""
        return cls(
            **ReviewRead.model_validate(review).model_dump(),
            repair_number=review.repair.repair_number,
            customer_name=review.customer.full_name,
        )


class TrackingStep(CamelModel):
    """One step of a repair's status history as the customer sees it (no staff names, no notes)."""

    status: str
    label: str = Field(description="The status in the customer's language")
    at: datetime


class ShopContact(CamelModel):
    """How to reach the shop (``FIXDESK_SHOP_NAME``, ``FIXDESK_SHOP_PHONE``, ``FIXDESK_SHOP_EMAIL``)."""

    name: str
    phone: str
    email: str

    @classmethod
    def of(cls, settings: Settings) -> ShopContact:
        return cls(name=settings.shop_name, phone=settings.shop_phone, email=settings.shop_email)


class TrackingRead(CamelModel):
    """What the public tracking link shows of a repair.

    The link is a bearer secret that travels by SMS and email and may be forwarded, so it carries no
    personal data beyond the customer's first name: no last name, contact details, address, serial
    number, IMEI, issue description, staff notes or staff names, and no prices (an amount owed by a named
    person is personal financial data; prices are in the signed-in portal). Labels and ``language`` are
    the customer's (``en`` or ``pt``).
    """

    repair_number: str
    status: str
    status_label: str = Field(description="The status in the customer's language")
    language: str = Field(description="en or pt: the customer's language, used for every label")
    device_brand: str
    device_model: str
    customer_first_name: str
    estimated_completion: datetime | None = Field(description="When the shop expects it to be ready")
    completed_at: datetime | None = Field(description="When it became ready for pickup")
    delivered_at: datetime | None = Field(description="When the customer collected it")
    history: list[TrackingStep] = Field(description="Every status it went through, oldest first")
    shop: ShopContact
