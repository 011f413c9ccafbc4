"""Telling the customer a technician is on the way (``work_order.technician_on_the_way``), on the channels
they allow, once per event (:func:`fixdesk.messaging.service.notify_customer` with the event id)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fixdesk.customers import access as customers
from fixdesk.messaging.service import format_date, language_of, notify_customer
from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext

ON_THE_WAY_TEMPLATE = "technician_on_the_way"


@subscriber("fieldservice.notify_on_the_way", "work_order.technician_on_the_way")
async def notify_on_the_way(context: JobContext, event: PublishedEvent) -> None:
    """Queue the ``technician_on_the_way`` message: the technician's first name, the ETA in minutes and
    the expected arrival in the shop's time zone and the customer's language."""
    customer = await customers.find_customer(context.session, uuid.UUID(event.payload["customerId"]))
    if customer is None:
        return
    arrival = datetime.fromisoformat(event.payload["expectedArrival"].replace("Z", "+00:00"))
    local = arrival.astimezone(ZoneInfo(context.settings.shop_timezone))
    await notify_customer(
        context.session,
        context.settings,
        customer,
        ON_THE_WAY_TEMPLATE,
        {
            "customer_first_name": customer.first_name,
            "technician_first_name": event.payload["technicianFirstName"],
            "work_order_number": event.payload["workOrderNumber"],
            "eta_minutes": event.payload["etaMinutes"],
            "expected_arrival": local.strftime("%H:%M"),
            "arrival_day": format_date(local.date().isoformat(), language_of(customer.language)),
        },
        event_id=event.id,
    )
