"""The work order photos' event: ``work_order.attachment_added``."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.fieldservice.models import WorkOrder, WorkOrderAttachment
from fixdesk.fieldservice.permissions import WORK_ORDERS_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel


class WorkOrderAttachmentPayload(CamelModel):
    """A photo as events describe it, with its work order. ``sizeBytes`` in bytes."""

    id: uuid.UUID
    work_order_id: uuid.UUID
    work_order_number: str
    customer_id: uuid.UUID
    kind: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    description: str | None
    uploaded_by_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, attachment: WorkOrderAttachment, work_order: WorkOrder) -> WorkOrderAttachmentPayload:
        return cls(
            id=attachment.id,
            work_order_id=work_order.id,
            work_order_number=work_order.work_order_number,
            customer_id=work_order.customer_id,
            kind=attachment.kind,
            file_name=attachment.file_name,
            content_type=attachment.content_type,
            size_bytes=attachment.size_bytes,
            sha256=attachment.sha256,
            description=attachment.description,
            uploaded_by_id=attachment.uploaded_by_id,
            created_at=attachment.created_at,
        )


# Staff only: the photos are not shown to customers (the portal has no work orders).
WORK_ORDER_ATTACHMENT_ADDED = event_type(
    "work_order.attachment_added",
    "A photo was added to a work order (kind before|after|nameplate|signed_form|other, contentType, "
    "sizeBytes, sha256).",
    WorkOrderAttachmentPayload,
    permission=WORK_ORDERS_READ,
).name
