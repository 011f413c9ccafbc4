"""Warranty follow-up work: the warranties of a completed repair's fitted parts.

Completing a repair (:func:`fixdesk.repairs.service.transition`) publishes ``repair.completed`` in the
completion's transaction; this subscriber, run by the worker from the outbox, creates the warranties in the
dispatch job's transaction. So the completion and the promise of its warranties commit together (a rolled
back completion publishes nothing), and the repair service never imports the warranty feature.

The subscriber is idempotent, as every subscriber must be: :func:`~fixdesk.repairs.warranty.service.
create_warranties` skips lines that already have a warranty, so a dispatch run twice creates nothing twice.
Lines cannot change once a repair is completed, so the lines covered are those the repair was completed with.
"""

from __future__ import annotations

import uuid

import structlog

from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs import access
from fixdesk.repairs.events import REPAIR_COMPLETED
from fixdesk.repairs.warranty.service import create_warranties

log = structlog.get_logger(__name__)


@subscriber("warranty.on_completion", REPAIR_COMPLETED)
async def create_warranties_on_completion(context: JobContext, event: PublishedEvent) -> None:
    """Create the warranties of the repair ``event`` completed, dated on its completion day in the shop's
    time zone (``FIXDESK_SHOP_TIMEZONE`` of the worker's settings)."""
    repair = await access.load_repair(context.session, uuid.UUID(event.payload["id"]))
    if repair is None:
        return
    completed_at = repair.actual_completion or event.occurred_at
    created = await create_warranties(
        context.session, repair, completed_at=completed_at, settings=context.settings
    )
    if created:
        log.info("warranties_created", repair_id=str(repair.id), count=len(created))
