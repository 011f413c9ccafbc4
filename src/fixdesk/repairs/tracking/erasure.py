"""What an account erasure (GDPR Art. 17) removes from a customer's reviews: run from the
``customer.anonymised`` event (:mod:`fixdesk.repairs.tracking.jobs`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import RepairReview
from fixdesk.repairs.tracking.events import REPAIR_REVIEWED


async def erase_review_comments(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """Clear the comments of the customer's reviews, in their rows and in the ``repair.reviewed`` events
    kept in the outbox; ratings stay, since a number from an anonymous customer is no longer personal
    data and the shop's satisfaction figures should not change. Returns how many reviews were changed.

    Run by the ``customer.anonymised`` subscriber, in its job's transaction; idempotent."""
    result = await session.execute(
        update(RepairReview)
        .where(RepairReview.customer_id == customer_id, RepairReview.comment.is_not(None))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    events = await session.execute(
        select(DomainEvent).where(DomainEvent.name == REPAIR_REVIEWED, DomainEvent.customer_id == customer_id)
    )
    for event in events.scalars():
        if event.payload.get("comment") is not None:
            # A new dict: the JSON column notices a replaced value, not an edit in place.
            event.payload = {**event.payload, "comment": None}
    await session.flush()
    return result.rowcount
