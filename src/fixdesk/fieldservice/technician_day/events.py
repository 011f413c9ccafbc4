"""The technician's day's event: ``work_order.technician_on_the_way``."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.fieldservice.permissions import WORK_ORDERS_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel


class OnTheWayPayload(CamelModel):
    """A technician left for a work order: who, and when they should arrive (UTC)."""

    id: uuid.UUID
    work_order_id: uuid.UUID
    work_order_number: str
    customer_id: uuid.UUID
    technician_id: uuid.UUID
    technician_first_name: str
    eta_minutes: int
    expected_arrival: datetime


WORK_ORDER_TECHNICIAN_ON_THE_WAY = event_type(
    "work_order.technician_on_the_way",
    "A technician is driving to a work order (etaMinutes, expectedArrival); the customer is told.",
    OnTheWayPayload,
    permission=WORK_ORDERS_READ,
).name
