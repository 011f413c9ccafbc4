"""Repairs' event subscribers: the customer hears about a new repair and about status changes.

``repair.created`` and ``repair.status_changed`` (when the staff member asked to notify the customer)
queue the customer's messages (:mod:`fixdesk.repairs.messages` picks the template) on every channel they
allow, through :func:`fixdesk.messaging.service.notify_customer` with the event id, so an event dispatched
twice notifies once per channel.
"""

from __future__ import annotations

import uuid

from fixdesk.customers import access as customers
from fixdesk.messaging.service import notify_customer
from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs import access, messages
from fixdesk.repairs.events import REPAIR_CREATED, REPAIR_STATUS_CHANGED
from fixdesk.repairs.tracking.service import tracking_url


def template_for(event: PublishedEvent) -> str | None:
    """The template a repair event is announced with, or None when the customer is not to be told."""
    if event.name == REPAIR_CREATED:
        return messages.REPAIR_CREATED_TEMPLATE
    if event.name == REPAIR_STATUS_CHANGED and event.payload.get("notifyCustomer"):
        return messages.template_for_status(event.payload.get("toStatus") or event.payload["status"])
    return None


@subscriber("repairs.notify", "repair.*")
async def notify_on_repair_event(context: JobContext, event: PublishedEvent) -> None:
    """Queue the customer's notifications for a new repair and for status changes marked notifyCustomer,
    with the repair's public tracking link (``tracking_url``) and its customer portal page (``portal_url``)
    as template variables."""
    template = template_for(event)
    if template is None:
        return
    customer = await customers.find_customer(context.session, uuid.UUID(event.payload["customerId"]))
    if customer is None:
        return
    # Only repair.created and repair.status_changed have a template; both describe the repair itself.
    # The tracking token is kept out of event payloads on purpose (webhook receivers must not get the
    # customer's secret link), so it is read from the repair, in this subscriber's transaction.
    repair = await access.load_repair(context.session, uuid.UUID(event.payload["id"]))
    if repair is None:
        return
    await notify_customer(
        context.session,
        context.settings,
        customer,
        template,
        messages.repair_variables(
            event.payload,
            customer,
            tracking_url=tracking_url(context.settings, repair.tracking_token),
            portal_url=messages.portal_url(context.settings, repair.id),
            balance=repair.balance,
            currency=context.settings.currency,
        ),
        repair_id=repair.id,
        event_id=event.id,
    )
