"""Request and response models of warranties and warranty claims.

Dates are ``YYYY-MM-DD`` in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``); ``endsOn`` is the last day
covered. Money (``partCost``) is in the shop's currency and shown to staff only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from fixdesk.platform.schemas import CamelModel, InputModel, MoneyOut


class WarrantyClaimCreate(InputModel):
    """A claim under one of the repair's warranties, taken at the front desk."""

    warranty_id: uuid.UUID = Field(description="A warranty of this repair (GET /repairs/{id}/warranty)")
    issue_description: str = Field(
        min_length=1, max_length=2000, description="What is wrong with the part now"
    )


class WarrantyClaimSummary(CamelModel):
    """A claim made under a warranty and the repair it opened."""

    id: uuid.UUID
    claim_repair_id: uuid.UUID = Field(description="The no-charge repair opened for the claim")
    claim_repair_number: str
    claim_repair_status: str = Field(description="Open while the claim is under way")
    issue_description: str
    created_at: datetime


class WarrantyClaimRead(WarrantyClaimSummary):
    """An accepted claim: the warranty, the repair it was made on and the repair it opened."""

    warranty_id: uuid.UUID
    repair_id: uuid.UUID = Field(description="The repair whose warranty is claimed")
    repair_number: str
    created_by_id: uuid.UUID | None = Field(description="The staff user who took the claim")


class ClaimOriginRead(CamelModel):
    """For a warranty job: the claim that opened it and the repair whose warranty it honours."""

    claim_id: uuid.UUID
    warranty_id: uuid.UUID
    repair_id: uuid.UUID
    repair_number: str


class PortalWarrantyRead(CamelModel):
    """The warranty on one part fitted in a repair, as the customer sees it (no costs)."""

    id: uuid.UUID
    repair_item_id: uuid.UUID | None = Field(description="The line item of the part")
    part_type_id: uuid.UUID | None
    description: str
    part_quality: str | None = Field(
        description="original | aftermarket_premium | aftermarket_standard | aftermarket_economy"
    )
    removed_serial: str | None = Field(description="Serial number of the faulty part taken out")
    installed_serial: str | None = Field(description="Serial number of the replacement fitted")
    warranty_months: int = Field(description="Length of the warranty in calendar months")
    starts_on: date = Field(description="The completion date")
    ends_on: date = Field(description="Last day covered (inclusive)")
    status: Literal["active", "expired"] = Field(description="On today's date in the shop's time zone")
    days_remaining: int = Field(
        description="Whole days left after today: 0 on the last day, and once expired"
    )
    claims: list[WarrantyClaimSummary] = Field(description="Claims made under this warranty, oldest first")


class WarrantyRead(PortalWarrantyRead):
    """The warranty on one part, for staff: with what the part cost the shop."""

    part_cost: MoneyOut | None = Field(description="unit cost × quantity of the line, shop currency")


class PortalRepairWarranty(CamelModel):
    """A repair's warranties as the customer sees them."""

    repair_id: uuid.UUID
    repair_number: str
    repair_status: str
    shop_date: date = Field(description="Today in the shop's time zone, the date status is computed on")
    warranties: list[PortalWarrantyRead]
    claimed_under: ClaimOriginRead | None = Field(description="For a warranty job: the claim that opened it")


class RepairWarranty(PortalRepairWarranty):
    """A repair's warranties (one per fitted part with a warranty), with costs, for staff."""

    currency: str = Field(description="ISO 4217 code of partCost")
    warranties: list[WarrantyRead]  # type: ignore[assignment]
