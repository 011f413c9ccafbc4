"""Attachment events in the catalogue and the payload they carry."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel
from fixdesk.repairs.models import Repair, RepairAttachment
from fixdesk.repairs.permissions import REPAIRS_READ


class AttachmentEventPayload(CamelModel):
    """An attachment as events describe it, with the repair it belongs to. ``sizeBytes`` in bytes."""

    id: uuid.UUID
    repair_id: uuid.UUID
    repair_number: str
    customer_id: uuid.UUID
    kind: str
    is_public: bool
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    description: str | None
    uploaded_by_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, attachment: RepairAttachment, repair: Repair) -> AttachmentEventPayload:
        return cls(
            id=attachment.id,
            repair_id=repair.id,
            repair_number=repair.repair_number,
            customer_id=repair.customer_id,
            kind=attachment.kind,
            is_public=attachment.is_public,
            file_name=attachment.file_name,
            content_type=attachment.content_type,
            size_bytes=attachment.size_bytes,
            sha256=attachment.sha256,
            description=attachment.description,
            uploaded_by_id=attachment.uploaded_by_id,
            created_at=attachment.created_at,
        )


# Staff with repairs:read see it live; the customer too, but only for a public attachment (the service
# sets the event's customer only then), so a private photo's existence never reaches the portal.
REPAIR_ATTACHMENT_ADDED = event_type(
    "repair.attachment_added",
    "A photo or document was added to a repair (kind before|after|document, isPublic, contentType, sizeBytes, sha256).",
    AttachmentEventPayload,
    permission=REPAIRS_READ,
).name
