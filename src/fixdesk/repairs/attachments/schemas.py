"""Request and response models of repair photos and documents.

An upload is ``multipart/form-data`` (``file``, ``kind``, ``isPublic``, ``description``), read by the
router into :class:`AttachmentUpload`; the other models are JSON. Sizes are in bytes; ``sha256`` is the
lower-case hex SHA-256 of the stored bytes; ``contentType`` is what the bytes are (detected by the server,
never the client's word).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from pydantic import Field, computed_field

from fixdesk.platform.schemas import CamelModel, InputModel
from fixdesk.repairs.models import AttachmentKind

API_PREFIX = "/api/v1"
DESCRIPTION_MAX_LENGTH = 500


@dataclass(frozen=True)
class AttachmentUpload:
    """One uploaded file and its form fields, as the service takes it.

    ``file`` is a binary file object positioned anywhere (the service reads it from the start);
    ``file_name`` is the name the client gave, used only for display once made safe.
    """

    file: IO[bytes]
    file_name: str | None
    kind: AttachmentKind
    is_public: bool = False
    description: str | None = None


class AttachmentUpdate(InputModel):
    """Fields of an attachment to change: ``kind``, ``isPublic`` (shown in the customer portal) and
    ``description`` (``null`` or ``""`` clears it). The file itself cannot change: upload a new one."""

    kind: AttachmentKind | None = None
    is_public: bool | None = None
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)


class AttachmentRead(CamelModel):
    """A repair photo or document for staff. ``downloadUrl`` streams its bytes (same permission)."""

    id: uuid.UUID
    repair_id: uuid.UUID
    kind: AttachmentKind
    is_public: bool
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
        return f"{API_PREFIX}/repairs/{self.repair_id}/attachments/{self.id}/download"


class PortalAttachmentRead(CamelModel):
    """A public photo or document of the signed-in customer's repair. ``downloadUrl`` is the portal's."""

    id: uuid.UUID
    repair_id: uuid.UUID
    kind: AttachmentKind
    file_name: str
    content_type: str
    size_bytes: int = Field(description="Size of the file in bytes")
    sha256: str = Field(description="Hex SHA-256 of the file; also its ETag")
    description: str | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def download_url(self) -> str:
        return f"{API_PREFIX}/customer/repairs/{self.repair_id}/attachments/{self.id}/download"
