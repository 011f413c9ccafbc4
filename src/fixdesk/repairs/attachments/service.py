"""Repair photos and documents: upload, list, download, change and delete.

Rules:

* Staff with ``attachments:write`` upload, change and delete; a technician only on repairs assigned to
  them (:func:`fixdesk.repairs.access.ensure_can_change`). Staff and API clients with ``repairs:read``
  list and download. A portal customer sees only the *public* attachments (``isPublic``) of their own
  repairs; anything else answers 404, so a private photo's existence never leaks (seed 000: the portal
  includes ``attachments: { where: { isPublic: true } }``).
* Accepted files are JPEG, PNG, WebP and HEIC/HEIF images and PDF documents, up to
  ``FIXDESK_MAX_UPLOAD_BYTES`` (10 MiB by default; a larger file is ``413 PAYLOAD_TOO_LARGE``). The type
  is read from the first bytes of the content with the ``filetype`` library, never from the file name
  or the client's ``Content-Type``: a PNG named ``photo.pdf`` is stored as ``image/png`` (and its
  display name becomes ``photo.png``); a text file named ``x.jpg`` is refused with
  ``400 VALIDATION_ERROR`` on the field ``file``. A refused upload stores nothing.
* The bytes go to the configured storage (:mod:`fixdesk.platform.storage`) under a key we generate,
  ``repairs/<repair id>/<attachment id>``; the row keeps the size, the SHA-256 and a display name made
  safe (:func:`safe_file_name`). If the request's transaction does not commit, the bytes are deleted.
* Deleting removes the row in the request's transaction and queues the ``attachments.delete_file`` job
  in the same transaction, which removes the bytes once the deletion committed: a rolled-back delete
  keeps the file. Only a manager, an admin or the staff member who uploaded the file may delete it
  (403 for anyone else, and nothing changes).
* Deleting a file and showing it to the customer or hiding it again (``isPublic``, at upload or later) are
  written to the audit log (:mod:`fixdesk.audit.service`) in the same transaction: who, which repair,
  which file (``attachment.deleted``, ``attachment.published``, ``attachment.unpublished``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import NO_CLIENT, Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.db import new_id
from fixdesk.identity.models import Role
from fixdesk.platform.attachments import (
    ACCEPTED_DESCRIPTION,
    DELETE_FILE_JOB,
    EXTENSIONS,
    Download,
    FileTooLarge,
    clean_description,
    detect_content_type,
    open_download,
    queue_file_deletion,
    safe_file_name,
    store_upload,
)
from fixdesk.platform.errors import Forbidden, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.platform.storage import Storage
from fixdesk.repairs.access import ensure_can_change, ensure_visible, get_visible
from fixdesk.repairs.attachments.events import REPAIR_ATTACHMENT_ADDED, AttachmentEventPayload
from fixdesk.repairs.attachments.schemas import AttachmentUpdate, AttachmentUpload
from fixdesk.repairs.models import AttachmentKind, Repair, RepairAttachment

# The shared mechanism's names that pages and tests import from here (fixdesk.platform.attachments has
# them since work orders took photos too).
__all__ = [
    "ACCEPTED_DESCRIPTION",
    "DELETE_FILE_JOB",
    "EXTENSIONS",
    "KEY_PREFIX",
    "Download",
    "FileTooLarge",
    "detect_content_type",
    "safe_file_name",
]


KEY_PREFIX = "repairs/"


def storage_key(repair_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    """Where an attachment's bytes are stored: ``repairs/<repair id>/<attachment id>`` (a UUIDv7)."""
    return f"{KEY_PREFIX}{repair_id}/{attachment_id}"


async def _repair_for_change(session: AsyncSession, principal: Principal, repair_id: uuid.UUID) -> Repair:
    # No row lock (unlike status changes): nothing here depends on the repair's state, and the upload to
    # the store should not hold up the repair's other changes.
    repair = await get_visible(session, principal, repair_id)
    ensure_can_change(principal, repair)
    return repair


def visible_attachments(principal: Principal, repair_id: uuid.UUID) -> Select[tuple[RepairAttachment]]:
    """``SELECT repair_attachments`` of one repair limited to what ``principal`` may see: a customer only
    the public ones. (Whether the repair itself is visible is checked first, with :func:`fixdesk.repairs.access.get_visible`.)"""
    statement = select(RepairAttachment).where(RepairAttachment.repair_id == repair_id)
    if principal.is_customer:
        statement = statement.where(RepairAttachment.is_public.is_(True))
    return statement


async def _attachment(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, attachment_id: uuid.UUID
) -> RepairAttachment:
    statement = visible_attachments(principal, repair_id).where(RepairAttachment.id == attachment_id)
    attachment = (await session.execute(statement)).scalar_one_or_none()
    if attachment is None:
        raise NotFound(f"Attachment {attachment_id} not found.")
    return attachment


# Who may delete any attachment; other staff only the ones they uploaded.
DELETING_ROLES = frozenset({Role.admin.value, Role.manager.value})


async def _audit(
    session: AsyncSession,
    action: Action,
    principal: Principal,
    client: ClientInfo,
    attachment: RepairAttachment,
    repair: Repair,
    **details: object,
) -> None:
    await audit.record(
        session,
        action,
        AuditActor.of(principal, client),
        target_type="attachment",
        target_id=attachment.id,
        details={
            "repairId": str(repair.id),
            "repairNumber": repair.repair_number,
            "fileName": attachment.file_name,
            "kind": attachment.kind,
            "sha256": attachment.sha256,
            **details,
        },
    )


# --- upload ---------------------------------------------------------------------------------------------


async def add_attachment(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    upload: AttachmentUpload,
    *,
    storage: Storage,
    settings: Settings,
    client: ClientInfo = NO_CLIENT,
) -> RepairAttachment:
    """Store an uploaded photo or document of a repair and record it; publishes
    ``repair.attachment_added``, and audits ``attachment.published`` when it is public from the start.

    Raises :class:`NotFound` (404) for an unknown repair, :class:`~fixdesk.platform.errors.Forbidden`
    (403) for a technician's upload to a repair not assigned to them, :class:`FileTooLarge` (413) above
    ``settings.max_upload_bytes`` and :class:`ValidationFailed` (400, field ``file``) for an empty file
    or content that is not an accepted type. Every check runs before a byte is stored.
    """
    repair = await _repair_for_change(session, principal, repair_id)
    attachment_id = new_id()
    stored = await store_upload(
        session,
        storage,
        storage_key(repair.id, attachment_id),
        upload.file,
        upload.file_name,
        max_bytes=settings.max_upload_bytes,
    )
    attachment = RepairAttachment(
        id=attachment_id,
        repair_id=repair.id,
        kind=upload.kind.value,
        is_public=upload.is_public,
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
    if attachment.is_public:
        await _audit(
            session, Action.attachment_published, principal, client, attachment, repair, atUpload=True
        )
    await publish(
        session,
        REPAIR_ATTACHMENT_ADDED,
        AttachmentEventPayload.of(attachment, repair),
        # Only a public attachment concerns the customer (live events reach their portal).
        customer_id=repair.customer_id if attachment.is_public else None,
        actor_id=principal.staff_user_id,
    )
    return attachment


# --- reading --------------------------------------------------------------------------------------------


async def list_attachments(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    params: PageParams,
    *,
    kind: AttachmentKind | None = None,
) -> tuple[list[RepairAttachment], int]:
    """One page of a repair's attachments, newest first, optionally of one ``kind``; a customer gets
    only the public ones of their own repairs. Raises :class:`NotFound` for a repair they cannot see."""
    await ensure_visible(session, principal, repair_id)
    statement = visible_attachments(principal, repair_id).order_by(
        RepairAttachment.created_at.desc(), RepairAttachment.id.desc()
    )
    if kind is not None:
        statement = statement.where(RepairAttachment.kind == kind.value)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def download(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    storage: Storage,
    if_none_match: str | None = None,
) -> Download:
    """Open an attachment's bytes for download (a customer: only a public one of their own repair).

    With an ``If-None-Match`` naming the current ETag nothing is opened (the answer is 304). Raises
    :class:`NotFound` (404) for a repair or attachment the principal cannot see, and when the bytes are
    missing from storage (logged, since the row says they should be there).
    """
    await ensure_visible(session, principal, repair_id)
    attachment = await _attachment(session, principal, repair_id, attachment_id)
    return await open_download(storage, attachment, if_none_match)


# --- changing -------------------------------------------------------------------------------------------


async def update_attachment(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    data: AttachmentUpdate,
    *,
    client: ClientInfo = NO_CLIENT,
) -> RepairAttachment:
    """Change an attachment's ``kind``, ``isPublic`` or ``description``; a change of ``isPublic`` is
    audited (``attachment.published`` or ``attachment.unpublished``).

    Raises :class:`NotFound` (404), :class:`~fixdesk.platform.errors.Forbidden` (403, a technician on a
    repair not assigned to them) and :class:`ValidationFailed` (400) for a ``null`` kind or isPublic.
    """
    repair = await _repair_for_change(session, principal, repair_id)
    attachment = await _attachment(session, principal, repair.id, attachment_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    for field, alias in (("kind", "kind"), ("is_public", "isPublic")):
        if field in values and values[field] is None:
            raise ValidationFailed.for_field(alias, "may not be null")
    if "kind" in values:
        attachment.kind = AttachmentKind(values["kind"]).value
    if "is_public" in values and values["is_public"] != attachment.is_public:
        attachment.is_public = values["is_public"]
        action = Action.attachment_published if attachment.is_public else Action.attachment_unpublished
        await _audit(session, action, principal, client, attachment, repair)
    if "description" in values:
        attachment.description = clean_description(values["description"])
    await session.flush()
    return attachment


async def delete_attachment(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    client: ClientInfo = NO_CLIENT,
) -> None:
    """Delete an attachment: the row now, the stored bytes by the ``attachments.delete_file`` job queued
    in the same transaction (so a rolled-back delete keeps both), with an ``attachment.deleted`` audit
    entry. Raises :class:`NotFound` (404) and :class:`~fixdesk.platform.errors.Forbidden` (403: a
    technician on a repair not assigned to them, or anyone but a manager, an admin or the staff member
    who uploaded the file)."""
    repair = await _repair_for_change(session, principal, repair_id)
    attachment = await _attachment(session, principal, repair.id, attachment_id)
    uploader = principal.staff_user_id is not None and attachment.uploaded_by_id == principal.staff_user_id
    if not (principal.is_staff and principal.role in DELETING_ROLES) and not uploader:
        raise Forbidden("Only a manager, an admin or the staff member who uploaded this file may delete it.")
    await _audit(
        session,
        Action.attachment_deleted,
        principal,
        client,
        attachment,
        repair,
        isPublic=attachment.is_public,
        sizeBytes=attachment.size_bytes,
    )
    key = attachment.storage_key
    await session.delete(attachment)
    await session.flush()
    await queue_file_deletion(session, key, attachmentId=str(attachment_id), repairId=str(repair.id))
