"""Request and response models of repair line items, labour lines and totals.

The same line shapes are used by quotes (``fixdesk.repairs.quotes``), whose lines become the repair's
lines when the customer approves. Money is in the shop's currency (``FIXDESK_CURRENCY``); hours are
decimal hours (``1.5`` = 90 minutes); the server computes every total.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator

from fixdesk.catalog.models import PartQuality
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut, NotNull

Hours = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]
"""Decimal hours of labour, more than 0 and at most 1000, to 0.01 h."""


class LineItemCreate(InputModel):
    """A part-and-repair line of a repair or a quote. With ``repairTypeId`` (and ``partTypeId``/
    ``partQuality``) on a repair of a catalog device, ``unitPrice`` may be left out: it defaults to the
    shop's price list (``priceSource`` ``catalog``, ``unitCost`` from the price's cost) and, where the list
    has no price, to the estimator's (``priceSource`` ``estimate`` with its confidence). ``partQuality``
    defaults to the part type's quality. ``description`` defaults to "<repair type> (<part type>)".
    ``discount`` is an amount (not a percentage) taken off the line, at most ``quantity × unitPrice``."""

    repair_type_id: uuid.UUID | None = None
    part_type_id: uuid.UUID | None = None
    part_quality: PartQuality | None = None
    description: str | None = Field(default=None, min_length=1, max_length=300)
    quantity: int = Field(default=1, ge=1, le=1000)
    unit_price: MoneyIn | None = Field(default=None, description="Per unit, shop currency")
    unit_cost: MoneyIn | None = Field(default=None, description="What one part cost the shop")
    discount: MoneyIn = Decimal("0.00")

    @model_validator(mode="after")
    def _something_to_charge_for(self) -> LineItemCreate:
        if self.repair_type_id is None and self.description is None:
            raise ValueError("give a repairTypeId or a description")
        if self.repair_type_id is None and self.unit_price is None:
            raise ValueError("a line without a repairTypeId needs a unitPrice")
        return self


class RepairItemCreate(LineItemCreate):
    """A part-and-repair line of a repair (see :class:`LineItemCreate`), with the serial numbers of the
    removed (faulty) and installed (replacement) part, which the warranty records."""

    removed_serial: str | None = Field(default=None, max_length=100)
    installed_serial: str | None = Field(default=None, max_length=100)
    product_id: uuid.UUID | None = Field(
        default=None,
        description="The product (a part in stock, /api/v1/products) the line fits: the part leaves stock "
        "when the repair is completed and returns if that is undone",
    )


class RepairItemUpdate(InputModel):
    """Fields of a line item to change; totals are recomputed. A new ``unitPrice`` makes the line's price
    ``manual`` (it no longer comes from the price list or the estimator). ``unitCost`` and the serial
    numbers may be set to null; the other fields may not."""

    description: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    quantity: NotNull[int] = Field(default=None, ge=1, le=1000)
    unit_price: NotNull[MoneyIn] = None
    unit_cost: MoneyIn | None = None
    discount: NotNull[MoneyIn] = None
    removed_serial: str | None = Field(default=None, max_length=100)
    installed_serial: str | None = Field(default=None, max_length=100)
    product_id: uuid.UUID | None = None


class RepairLabourCreate(InputModel):
    """A labour line: ``hours × rate`` (rate per hour, shop currency)."""

    description: str = Field(min_length=1, max_length=300)
    hours: Hours
    rate: MoneyIn = Field(description="Per hour, shop currency")


class RepairLabourUpdate(InputModel):
    """Fields of a labour line to change (none may be null); totals are recomputed."""

    description: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    hours: NotNull[Hours] = None
    rate: NotNull[MoneyIn] = None


class RepairItemRead(CamelModel):
    id: uuid.UUID
    position: int
    repair_type_id: uuid.UUID | None
    part_type_id: uuid.UUID | None
    part_quality: str | None
    pricing_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price: MoneyOut
    unit_cost: MoneyOut | None
    discount: MoneyOut
    line_total: MoneyOut
    price_source: str = Field(description="manual | catalog | estimate | quote | warranty")
    estimate_confidence: DecimalNumber | None = Field(description="0..1 when the price was estimated")
    removed_serial: str | None
    installed_serial: str | None
    product_id: uuid.UUID | None = Field(default=None, description="The product (part) the line fits")
    created_at: datetime
    updated_at: datetime


class RepairLabourRead(CamelModel):
    id: uuid.UUID
    position: int
    description: str
    hours: DecimalNumber
    rate: MoneyOut
    line_total: MoneyOut
    created_at: datetime
    updated_at: datetime


class RepairTotals(CamelModel):
    """What the repair costs: ``subtotal`` (items and labour after discounts) + ``taxAmount`` (at
    ``taxRate`` percent) = ``total``; ``balance`` = ``total`` − ``deposit``. Rounded half-up to cents."""

    subtotal: MoneyOut
    tax_rate: DecimalNumber = Field(description="Percent, e.g. 8.25")
    tax_amount: MoneyOut
    total: MoneyOut | None
    deposit: MoneyOut
    balance: MoneyOut | None
    currency: str

    @classmethod
    def of(cls, repair: Any, currency: str) -> RepairTotals:
        """The totals stored on a repair (``fixdesk.repairs.models.Repair``), in ``currency``."""
        return cls(
            subtotal=repair.subtotal,
            tax_rate=repair.tax_rate,
            tax_amount=repair.tax_amount,
            total=repair.total_cost,
            deposit=repair.deposit,
            balance=repair.balance,
            currency=currency,
        )


class RepairItemResult(CamelModel):
    """A line item as added or changed, with the repair's totals after the change."""

    item: RepairItemRead
    totals: RepairTotals


class RepairLabourResult(CamelModel):
    """A labour line as added or changed, with the repair's totals after the change."""

    labour: RepairLabourRead
    totals: RepairTotals
