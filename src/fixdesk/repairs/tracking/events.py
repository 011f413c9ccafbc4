"""Events of fixdesk.repairs.tracking (loaded through the repairs manifest): a customer reviewed a repair.

The tracking token is never part of an event: events reach webhooks and live clients, and the token is
the customer's secret link."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel
from fixdesk.repairs.models import Repair, RepairReview
from fixdesk.repairs.permissions import REPAIRS_READ


class ReviewEventPayload(CamelModel):
    """A review as the ``repair.reviewed`` event describes it (``id`` is the review's id)."""

    id: uuid.UUID
    repair_id: uuid.UUID
    repair_number: str
    customer_id: uuid.UUID
    rating: int
    comment: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, review: RepairReview, repair: Repair) -> ReviewEventPayload:
        return cls(
            id=review.id,
            repair_id=repair.id,
            repair_number=repair.repair_number,
            customer_id=review.customer_id,
            rating=review.rating,
            comment=review.comment,
            created_at=review.created_at,
        )


REPAIR_REVIEWED = event_type(
    "repair.reviewed",
    "A customer rated a completed repair (rating 1–5, optional comment).",
    ReviewEventPayload,
    permission=REPAIRS_READ,
).name
