"""Work order events in the catalogue and the payload they carry (seed 001's webhook events
``work_order.created``, ``.scheduled``, ``.started``, ``.completed``, and the rest of the lifecycle)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field

from fixdesk.fieldservice.models import WorkOrder
from fixdesk.fieldservice.permissions import WORK_ORDERS_READ
from fixdesk.fieldservice.schemas import ClockTime
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel, MoneyOut


class WorkOrderEventPayload(CamelModel):
    """A work order as events describe it, plus the change that happened.

    ``workOrderId`` repeats ``id`` and ``technicianId`` is the lead technician (the first assigned), the
    names seed 001's webhook payload uses; ``technicianIds`` lists every assigned technician. Dates and
    windows are on the shop's calendar (``FIXDESK_SHOP_TIMEZONE``), moments in UTC."""

    id: uuid.UUID
    work_order_id: uuid.UUID
    work_order_number: str
    customer_id: uuid.UUID
    location_id: uuid.UUID | None
    equipment_id: uuid.UUID | None
    technician_id: uuid.UUID | None
    technician_ids: list[uuid.UUID]
    status: str
    priority: str
    service_type: str
    scheduled_date: date | None
    time_window_start: ClockTime | None
    time_window_end: ClockTime | None
    estimated_duration_minutes: int
    total: MoneyOut
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    from_status: str | None = None
    to_status: str | None = None
    notes: str | None = None
    changed_by_id: uuid.UUID | None = None
    previous_technician_ids: list[uuid.UUID] | None = None
    changed_fields: list[str] | None = None
    overridden_conflicts: list[dict[str, Any]] | None = Field(
        default=None,
        description="The booking conflicts a dispatcher overrode with override: true (kind, technicianId, "
        "technicianName, message, workOrderNumber or timeOffStartsAt/EndsAt): created, updated, assigned, "
        "status_changed to scheduled",
    )

    @classmethod
    def of(
        cls, work_order: WorkOrder, technician_ids: list[uuid.UUID], **change: object
    ) -> WorkOrderEventPayload:
        return cls(
            id=work_order.id,
            work_order_id=work_order.id,
            work_order_number=work_order.work_order_number,
            customer_id=work_order.customer_id,
            location_id=work_order.location_id,
            equipment_id=work_order.equipment_id,
            technician_id=technician_ids[0] if technician_ids else None,
            technician_ids=technician_ids,
            status=work_order.status,
            priority=work_order.priority,
            service_type=work_order.service_type,
            scheduled_date=work_order.scheduled_date,
            time_window_start=work_order.time_window_start,
            time_window_end=work_order.time_window_end,
            estimated_duration_minutes=work_order.estimated_duration_minutes,
            total=work_order.total,
            started_at=work_order.started_at,
            completed_at=work_order.completed_at,
            cancelled_at=work_order.cancelled_at,
            created_at=work_order.created_at,
            updated_at=work_order.updated_at,
            **change,
        )


def _work_order_event(name: str, description: str) -> str:
    return event_type(name, description, WorkOrderEventPayload, permission=WORK_ORDERS_READ).name


WORK_ORDER_CREATED = _work_order_event(
    "work_order.created", "A work order was opened (status draft or scheduled)."
)
WORK_ORDER_UPDATED = _work_order_event(
    "work_order.updated", "A work order's details, window, checklist or lines changed (changedFields)."
)
WORK_ORDER_ASSIGNED = _work_order_event(
    "work_order.assigned", "A work order's technicians changed (technicianIds, previousTechnicianIds)."
)
WORK_ORDER_STATUS_CHANGED = _work_order_event(
    "work_order.status_changed", "A work order moved to another status (fromStatus, toStatus, notes)."
)
WORK_ORDER_SCHEDULED = _work_order_event(
    "work_order.scheduled", "A work order was scheduled: it has a date and moved to scheduled."
)
WORK_ORDER_STARTED = _work_order_event(
    "work_order.started", "A technician started work on site (in_progress)."
)
WORK_ORDER_COMPLETED = _work_order_event("work_order.completed", "A work order was completed (completedAt).")
WORK_ORDER_CANCELLED = _work_order_event("work_order.cancelled", "A work order was cancelled.")
WORK_ORDER_DELETED = _work_order_event("work_order.deleted", "A draft work order was deleted.")
