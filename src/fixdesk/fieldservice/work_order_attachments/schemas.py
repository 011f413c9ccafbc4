"""Request and response models of work order photos.

An upload is ``multipart/form-data`` (``file``, ``kind``, ``description``), read by the router into
:class:`PhotoUpload`. Sizes are in bytes; ``sha256`` is the lower-case hex SHA-256 of the stored bytes;
``contentType`` is what the bytes are (detected by the server, never the client's word).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from pydantic import Field, computed_field

from fixdesk.fieldservice.models import WorkOrderAttachmentKind
from fixdesk.platform.schemas import CamelModel

API_PREFIX = "/api/v1"
DESCRIPTION_MAX_LENGTH = 500


@dataclass(frozen=True)
class PhotoUpload:
    """One uploaded photo and its form fields, as the service takes it. ``file`` is a binary file object
    (read from the start); ``file_name`` is the client's name, only displayed once made safe."""

    file: IO[bytes]
    file_name: str | None
    kind: WorkOrderAttachmentKind = WorkOrderAttachmentKind.other
    description: str | None = None


class WorkOrderAttachmentRead(CamelModel):
    """A photo of a work order. ``downloadUrl`` streams its bytes (``work_orders:read``)."""

    id: uuid.UUID
    work_order_id: uuid.UUID
    kind: WorkOrderAttachmentKind
    file_name: str
    content_type: str
    size_bytes: int = Field(description="Size of the file in bytes")
    sha256: str = Field(description="Hex SHA-256 of the file; also its ETag")
    description: str | None
    uploaded_by_id: uuid.UUID | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def download_url(self) -> str:
        return f"{API_PREFIX}/work-orders/{self.work_order_id}/attachments/{self.id}"
