"""Quote event subscribers (loaded through the repairs manifest): the customer hears about a sent quote.

``quote.sent`` queues the ``quote_ready`` message (``messaging/templates/<language>/quote_ready.*``) on
every channel the customer allows, through :func:`fixdesk.messaging.service.notify_customer` with the
event id, so an event dispatched twice notifies once per channel.
"""

from __future__ import annotations

import uuid
from typing import Any

from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer
from fixdesk.messaging import service as messaging
from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs import access
from fixdesk.repairs.messages import device_name, portal_url
from fixdesk.repairs.models import Repair
from fixdesk.repairs.quotes.events import QUOTE_SENT
from fixdesk.repairs.tracking.service import tracking_url

QUOTE_READY_TEMPLATE = "quote_ready"


def quote_variables(
    payload: dict[str, Any], customer: Customer, repair: Repair, link: str, portal_link: str | None = None
) -> dict[str, Any]:
    """The ``quote_ready`` template's variables for a ``quote.sent`` payload (camelCase): ``link`` is the
    public tracking page (``tracking_url``), ``portal_link`` the repair's portal page where the quote is
    approved (``portal_url``)."""
    language = messaging.language_of(customer.language)
    return {
        "customer_first_name": customer.first_name,
        "repair_number": payload["repairNumber"],
        "quote_number": payload["number"],
        "device": device_name(repair.device_brand, repair.device_model),
        "amount": messaging.format_money(payload["total"], payload["currency"], customer.locale, language),
        "valid_until": messaging.format_date(payload["validUntil"], language),
        "tracking_url": link,
        "portal_url": portal_link,
    }


@subscriber("quotes.notify", QUOTE_SENT)
async def notify_quote_sent(context: JobContext, event: PublishedEvent) -> None:
    """Queue the customer's ``quote_ready`` notifications for a sent quote (idempotent per event)."""
    session = context.session
    repair = await access.load_repair(session, uuid.UUID(event.payload["repairId"]))
    customer = await customers.find_customer(session, uuid.UUID(event.payload["customerId"]))
    if repair is None or customer is None:
        return
    link = tracking_url(context.settings, repair.tracking_token)
    await messaging.notify_customer(
        session,
        context.settings,
        customer,
        QUOTE_READY_TEMPLATE,
        quote_variables(event.payload, customer, repair, link, portal_url(context.settings, repair.id)),
        repair_id=repair.id,
        event_id=event.id,
    )
