"""Work order photos: upload, list, download and delete.

Rules:

* Whoever holds ``work_orders:update`` uploads and deletes, whoever holds ``work_orders:read`` lists and
  downloads; a technician only on the work orders assigned to them (:mod:`fixdesk.fieldservice.access`):
  another's work order answers 404, as if it did not exist.
* Accepted are JPEG, PNG, WebP and HEIC/HEIF images up to ``FIXDESK_MAX_UPLOAD_BYTES`` (413 above); the
  type is read from the content (:mod:`fixdesk.platform.attachments`), anything else is
  ``400 VALIDATION_ERROR`` on ``file`` and nothing is stored.
* The bytes go to the configured storage under ``work-orders/<work order id>/<attachment id>`` and are
  deleted again if the request's transaction does not commit. ``work_order.attachment_added`` is published
  through the outbox in the same transaction.
* Deleting removes the row and queues ``attachments.delete_file`` in the same transaction (the bytes go
  once the deletion committed); only a manager, an admin or the staff member who uploaded the photo may
  delete it (403 otherwise), and the deletion is audited (``attachment.deleted``), as repairs' files are.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import NO_CLIENT, Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.db import new_id
from fixdesk.fieldservice.access import get_visible
from fixdesk.fieldservice.models import WorkOrder, WorkOrderAttachment
from fixdesk.fieldservice.work_order_attachments.events import (
    WORK_ORDER_ATTACHMENT_ADDED,
    WorkOrderAttachmentPayload,
)
from fixdesk.fieldservice.work_order_attachments.schemas import PhotoUpload
from fixdesk.identity.models import Role
from fixdesk.platform.attachments import (
    IMAGE_TYPES,
    IMAGES_DESCRIPTION,
    Download,
    clean_description,
    open_download,
    queue_file_deletion,
    store_upload,
)
from fixdesk.platform.errors import Forbidden, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.platform.storage import Storage

KEY_PREFIX = "work-orders/"
# Who may delete any photo; other staff only the ones they uploaded (the rule of repairs' files).
DELETING_ROLES = frozenset({Role.admin.value, Role.manager.value})


def storage_key(work_order_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    """Where a photo's bytes are stored: ``work-orders/<work order id>/<attachment id>``."""
    return f"{KEY_PREFIX}{work_order_id}/{attachment_id}"


def _of_work_order(work_order_id: uuid.UUID) -> Select[tuple[WorkOrderAttachment]]:
    return select(WorkOrderAttachment).where(WorkOrderAttachment.work_order_id == work_order_id)


async def _attachment(
    session: AsyncSession, work_order_id: uuid.UUID, attachment_id: uuid.UUID
) -> WorkOrderAttachment:
    statement = _of_work_order(work_order_id).where(WorkOrderAttachment.id == attachment_id)
    attachment = (await session.execute(statement)).scalar_one_or_none()
    if attachment is None:
        raise NotFound(f"Attachment {attachment_id} not found.")
    return attachment


async def add_photo(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    upload: PhotoUpload,
    *,
    storage: Storage,
    settings: Settings,
) -> WorkOrderAttachment:
    """Store a photo of a work order and record it; publishes ``work_order.attachment_added`` in the
    caller's transaction.

    Raises :class:`NotFound` (404) for a work order the principal cannot see (a technician: not assigned
    to them), :class:`~fixdesk.platform.attachments.FileTooLarge` (413) above
    ``settings.max_upload_bytes`` and :class:`ValidationFailed` (400, field ``file``) for an empty file or
    content that is not an accepted image. Every check runs before a byte is stored."""
    work_order = await get_visible(session, principal, work_order_id)
    attachment_id = new_id()
    stored = await store_upload(
        session,
        storage,
        storage_key(work_order.id, attachment_id),
        upload.file,
        upload.file_name,
        max_bytes=settings.max_upload_bytes,
        accepted=IMAGE_TYPES,
        accepted_description=IMAGES_DESCRIPTION,
    )
    attachment = WorkOrderAttachment(
        id=attachment_id,
        work_order_id=work_order.id,
        kind=upload.kind.value,
        file_name=stored.file_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        description=clean_description(upload.description),
        uploaded_by_id=principal.staff_user_id,
    )
    session.add(attachment)
    await session.flush()
    await publish(
        session,
        WORK_ORDER_ATTACHMENT_ADDED,
        WorkOrderAttachmentPayload.of(attachment, work_order),
        actor_id=principal.staff_user_id,
    )
    return attachment


async def list_photos(
    session: AsyncSession, principal: Principal, work_order_id: uuid.UUID, params: PageParams
) -> tuple[list[WorkOrderAttachment], int]:
    """One page of a work order's photos, newest first. Raises :class:`NotFound` (404) for a work order
    the principal cannot see."""
    await get_visible(session, principal, work_order_id)
    statement = _of_work_order(work_order_id).order_by(
        WorkOrderAttachment.created_at.desc(), WorkOrderAttachment.id.desc()
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def photos_of(
    session: AsyncSession, work_order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WorkOrderAttachment]]:
    """The photos of several work orders (already checked visible), oldest first, in one query."""
    found: dict[uuid.UUID, list[WorkOrderAttachment]] = defaultdict(list)
    if not work_order_ids:
        return found
    statement = (
        select(WorkOrderAttachment)
        .where(WorkOrderAttachment.work_order_id.in_(list(work_order_ids)))
        .order_by(WorkOrderAttachment.created_at, WorkOrderAttachment.id)
    )
    for row in (await session.execute(statement)).scalars():
        found[row.work_order_id].append(row)
    return found


async def check_photo_ids(
    session: AsyncSession,
    work_order_id: uuid.UUID,
    photo_ids: Sequence[uuid.UUID],
    *,
    field: str = "photoIds",
) -> None:
    """Raise :class:`ValidationFailed` (400 on ``field``) unless every id is a photo of the work order
    (already checked visible): a report naming a photo whose upload was lost, or another work order's."""
    if not photo_ids:
        return
    wanted = set(photo_ids)
    statement = select(WorkOrderAttachment.id).where(
        WorkOrderAttachment.work_order_id == work_order_id, WorkOrderAttachment.id.in_(list(wanted))
    )
    missing = wanted - set((await session.execute(statement)).scalars())
    if missing:
        names = ", ".join(sorted(str(photo_id) for photo_id in missing))
        raise ValidationFailed.for_field(field, f"not photos of this work order: {names}")


async def download(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    storage: Storage,
    if_none_match: str | None = None,
) -> Download:
    """Open a photo's bytes (nothing when ``If-None-Match`` names its ETag: 304). Raises
    :class:`NotFound` (404) for a work order or photo the principal cannot see, or bytes missing from
    storage."""
    await get_visible(session, principal, work_order_id)
    attachment = await _attachment(session, work_order_id, attachment_id)
    return await open_download(storage, attachment, if_none_match)


async def delete_photo(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    client: ClientInfo = NO_CLIENT,
) -> None:
    """Delete a photo: the row now, the bytes by ``attachments.delete_file`` queued in the same
    transaction, with an ``attachment.deleted`` audit entry. Raises :class:`NotFound` (404) and
    :class:`Forbidden` (403: anyone but a manager, an admin or the uploader)."""
    work_order = await get_visible(session, principal, work_order_id)
    attachment = await _attachment(session, work_order.id, attachment_id)
    uploader = principal.staff_user_id is not None and attachment.uploaded_by_id == principal.staff_user_id
    if not (principal.is_staff and principal.role in DELETING_ROLES) and not uploader:
        raise Forbidden("Only a manager, an admin or the staff member who uploaded this photo may delete it.")
    await audit.record(
        session,
        Action.attachment_deleted,
        AuditActor.of(principal, client),
        target_type="attachment",
        target_id=attachment.id,
        details={
            "workOrderId": str(work_order.id),
            "workOrderNumber": work_order.work_order_number,
            "fileName": attachment.file_name,
            "kind": attachment.kind,
            "sha256": attachment.sha256,
            "sizeBytes": attachment.size_bytes,
        },
    )
    key = attachment.storage_key
    await session.delete(attachment)
    await session.flush()
    await queue_file_deletion(session, key, attachmentId=str(attachment_id), workOrderId=str(work_order.id))


__all__ = [
    "KEY_PREFIX",
    "WorkOrder",
    "add_photo",
    "check_photo_ids",
    "delete_photo",
    "download",
    "list_photos",
    "photos_of",
]
