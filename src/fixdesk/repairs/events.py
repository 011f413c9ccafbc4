"""Repair events in the catalogue and the payload they carry."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel, MoneyOut
from fixdesk.repairs.models import Repair
from fixdesk.repairs.permissions import REPAIRS_READ


class RepairEventPayload(CamelModel):
    """A repair as events describe it, plus the change that happened (for status and assignment events).

    Of a status change, ``notes`` is the staff's internal note and ``customerNote`` the note for the
    customer; only the latter reaches the customer (message, portal, live events)."""

    id: uuid.UUID
    repair_number: str
    customer_id: uuid.UUID
    technician_id: uuid.UUID | None
    status: str
    priority: str
    device_type: str
    device_brand: str
    device_model: str
    estimated_completion: datetime | None
    actual_completion: datetime | None
    total_cost: MoneyOut | None
    created_at: datetime
    updated_at: datetime
    from_status: str | None = None
    to_status: str | None = None
    notes: str | None = None
    customer_note: str | None = None
    notify_customer: bool | None = None
    changed_by_id: uuid.UUID | None = None
    previous_technician_id: uuid.UUID | None = None
    changed_fields: list[str] | None = None

    @classmethod
    def of(cls, repair: Repair, **change: object) -> RepairEventPayload:
        return cls(
            id=repair.id,
            repair_number=repair.repair_number,
            customer_id=repair.customer_id,
            technician_id=repair.technician_id,
            status=repair.status,
            priority=repair.priority,
            device_type=repair.device_type,
            device_brand=repair.device_brand,
            device_model=repair.device_model,
            estimated_completion=repair.estimated_completion,
            actual_completion=repair.actual_completion,
            total_cost=repair.total_cost if isinstance(repair.total_cost, Decimal) else None,
            created_at=repair.created_at,
            updated_at=repair.updated_at,
            **change,
        )


REPAIR_CREATED = event_type(
    "repair.created", "A device was taken in for repair.", RepairEventPayload, permission=REPAIRS_READ
).name
REPAIR_UPDATED = event_type(
    "repair.updated",
    "A repair's device or ticket details changed (changedFields lists what changed).",
    RepairEventPayload,
    permission=REPAIRS_READ,
).name
REPAIR_STATUS_CHANGED = event_type(
    "repair.status_changed",
    "A repair moved to another status (fromStatus, toStatus, notes: internal, customerNote: for the "
    "customer, notifyCustomer).",
    RepairEventPayload,
    permission=REPAIRS_READ,
).name
REPAIR_COMPLETED = event_type(
    "repair.completed", "A repair is done and ready for pickup.", RepairEventPayload, permission=REPAIRS_READ
).name
REPAIR_ASSIGNED = event_type(
    "repair.assigned",
    "A repair's technician changed (technicianId, previousTechnicianId).",
    RepairEventPayload,
    permission=REPAIRS_READ,
).name
