"""Tracking's event subscribers: a customer's erasure clears the comments of their reviews.

The customers domain publishes ``customer.anonymised`` in the erasure's transaction; this subscriber, run by
the worker from the outbox, clears the comments
(:func:`~fixdesk.repairs.tracking.erasure.erase_review_comments`), so the customers domain never imports
the repair features. Running it twice clears nothing more.
"""

from __future__ import annotations

import uuid

from fixdesk.customers.events import CUSTOMER_ANONYMISED
from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs.tracking.erasure import erase_review_comments


@subscriber("tracking.erase_review_comments", CUSTOMER_ANONYMISED)
async def erase_comments_of_anonymised_customer(context: JobContext, event: PublishedEvent) -> None:
    """Clear the review comments of the customer ``event`` anonymised (their ratings stay)."""
    await erase_review_comments(context.session, uuid.UUID(event.payload["id"]))
