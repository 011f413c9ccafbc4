"""Events of fixdesk.repairs.warranty (loaded through the repairs manifest): an accepted claim."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel
from fixdesk.repairs.permissions import REPAIRS_READ


class WarrantyClaimedPayload(CamelModel):
    """An accepted warranty claim: the warranty, the repair it covers and the no-charge repair it opened.
    Carries no costs, since the customer concerned receives it live too."""

    id: uuid.UUID = Field(description="The claim")
    warranty_id: uuid.UUID
    repair_id: uuid.UUID = Field(description="The repair whose warranty is claimed")
    repair_number: str
    claim_repair_id: uuid.UUID = Field(description="The warranty job opened for the claim")
    claim_repair_number: str
    customer_id: uuid.UUID
    part_type_id: uuid.UUID | None
    description: str = Field(description="The part under warranty")
    ends_on: date = Field(description="Last day of the warranty (inclusive, shop time zone)")
    issue_description: str
    created_by_id: uuid.UUID | None = Field(description="The staff user who took the claim")
    created_at: datetime


WARRANTY_CLAIMED = event_type(
    "warranty.claimed",
    "A warranty claim was accepted and opened a no-charge repair (claimRepairId, claimRepairNumber).",
    WarrantyClaimedPayload,
    permission=REPAIRS_READ,
).name
