"""Request and response models of quotes (seed 000's quotes with their ``partsBreakdown``).

A quote's lines have the shape of a repair's lines (:mod:`fixdesk.repairs.items.schemas`) without the
part serial numbers, which are only known once the part is fitted. Money is in the shop's currency; the
server computes every total. Customers see a quote without the shop's part costs and pricing internals.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyOut
from fixdesk.repairs.items.schemas import LineItemCreate, RepairLabourCreate


class QuoteItemCreate(LineItemCreate):
    """A part-and-repair line of a quote, priced like a repair's line (catalog, then estimator)."""


class QuoteCreate(InputModel):
    """A new quote (a draft unless ``send`` is true). ``validUntil`` is the last day the customer may
    approve it (inclusive, the shop's time zone); it defaults to today + 14 days."""

    items: list[QuoteItemCreate] = Field(default_factory=list, max_length=100)
    labour: list[RepairLabourCreate] = Field(default_factory=list, max_length=100)
    valid_until: date | None = Field(default=None, description="YYYY-MM-DD; default today + 14 days")
    notes: str | None = Field(default=None, max_length=5000, description="Shown to the customer")
    send: bool = Field(default=False, description="Send it to the customer at once")

    @model_validator(mode="after")
    def _has_lines(self) -> QuoteCreate:
        if not self.items and not self.labour:
            raise ValueError("a quote needs at least one item or labour line")
        return self


class QuoteDecline(InputModel):
    """The customer's reason for declining, optional."""

    reason: str | None = Field(default=None, max_length=2000)


class QuoteItemRead(CamelModel):
    """A part-and-repair line of a quote as the customer sees it."""

    id: uuid.UUID
    position: int
    repair_type_id: uuid.UUID | None
    part_type_id: uuid.UUID | None
    part_quality: str | None
    description: str
    quantity: int
    unit_price: MoneyOut
    discount: MoneyOut
    line_total: MoneyOut


class QuoteItemStaffRead(QuoteItemRead):
    """A quote line for staff: with the part's cost to the shop and where its price came from."""

    pricing_id: uuid.UUID | None
    unit_cost: MoneyOut | None
    price_source: str = Field(description="manual | catalog | estimate")
    estimate_confidence: DecimalNumber | None = Field(description="0..1 when the price was estimated")


class QuoteLabourRead(CamelModel):
    id: uuid.UUID
    position: int
    description: str
    hours: DecimalNumber
    rate: MoneyOut
    line_total: MoneyOut


class QuoteRead(CamelModel):
    """A quote as the customer sees it: ``number`` is ``Q<version>`` (the repair's first quote is Q1);
    ``subtotal`` + ``taxAmount`` (at ``taxRate`` percent) = ``total``; ``expired`` is true once
    ``validUntil`` has passed in the shop's time zone."""

    id: uuid.UUID
    repair_id: uuid.UUID
    number: str
    version: int
    status: str = Field(description="draft | sent | approved | declined | superseded")
    valid_until: date
    expired: bool
    notes: str | None
    items: list[QuoteItemRead]
    labour: list[QuoteLabourRead]
    subtotal: MoneyOut
    tax_rate: DecimalNumber = Field(description="Percent")
    tax_amount: MoneyOut
    total: MoneyOut
    currency: str
    sent_at: datetime | None
    decided_at: datetime | None
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime


class QuoteStaffRead(QuoteRead):
    """A quote for staff, with part costs and price sources."""

    items: list[QuoteItemStaffRead]
    created_by_id: uuid.UUID | None
