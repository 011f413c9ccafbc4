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

import asyncio
import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

import filetype
import structlog
from filetype.types.isobmff import IsoBmff
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import NO_CLIENT, Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.db import new_id
from fixdesk.identity.models import Role
from fixdesk.platform.errors import FixdeskError, Forbidden, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.platform.storage import Storage, StoredFileMissing, StoredStream, discard_unless_committed
from fixdesk.repairs.access import ensure_can_change, ensure_visible, get_visible
from fixdesk.repairs.attachments.events import REPAIR_ATTACHMENT_ADDED, AttachmentEventPayload
from fixdesk.repairs.attachments.schemas import AttachmentUpdate, AttachmentUpload
from fixdesk.repairs.models import AttachmentKind, Repair, RepairAttachment

log = structlog.get_logger(__name__)

DELETE_FILE_JOB = "attachments.delete_file"
KEY_PREFIX = "repairs/"
MAX_FILE_NAME_LENGTH = 200
# filetype reads at most this many leading bytes to recognise a format.
SIGNATURE_BYTES = 8192
HASH_CHUNK_BYTES = 1024 * 1024

# Accepted types and the file-name extensions that go with each (the first one is added when missing).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/heic": (".heic", ".heif"),
    "image/heif": (".heif", ".heic"),
    "application/pdf": (".pdf",),
}
ACCEPTED_DESCRIPTION = "JPEG, PNG, WebP, HEIC/HEIF images and PDF documents"


class FileTooLarge(FixdeskError):
    """413: the uploaded file is larger than ``FIXDESK_MAX_UPLOAD_BYTES``."""

    status, code, title = 413, "PAYLOAD_TOO_LARGE", "File too large"


class _Heif(IsoBmff):
    """HEIF images that ``filetype`` does not name (ISO/IEC 23008-12 brands other than ``heic``, such as
    the 10-bit ``heix``). Tried after ``filetype``'s own matchers, which already know ``heic`` and AVIF."""

    BRANDS = frozenset({"mif1", "msf1", "heix", "heim", "heis", "hevc", "hevx"})

    def __init__(self) -> None:
        super().__init__(mime="image/heif", extension="heif")

    def match(self, buf: bytearray) -> bool:
        if not self._is_isobmff(buf):
            return False
        major_brand, _, compatible_brands = self._get_ftyp(buf)
        return major_brand in self.BRANDS or bool(self.BRANDS.intersection(compatible_brands))


# Every format filetype knows, so a file is named for what it is (a ZIP is a ZIP, not "unknown"), then
# the accepted set decides.
_MATCHERS = (*filetype.types, _Heif())


def detect_content_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes, if it is one we accept (see :data:`EXTENSIONS`),
    else ``None``. Only the content counts: the name and the client's ``Content-Type`` are ignored."""
    kind = filetype.match(bytes(head[:SIGNATURE_BYTES]), matchers=_MATCHERS)
    if kind is None or kind.mime not in EXTENSIONS:
        return None
    return kind.mime


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}")


def safe_file_name(name: str | None, content_type: str) -> str:
    """A display name for an uploaded file: safe to show and to offer in ``Content-Disposition``.

    Keeps only the last path segment (``/`` or ``\\``), normalises to NFC, removes control and format
    characters (including bidirectional overrides that disguise an extension), collapses whitespace,
    trims spaces and dots, makes the extension agree with the detected type (``photo.pdf`` holding a PNG
    becomes ``photo.png``, a name without one gets it) and caps the length at 200 characters, extension
    included. An empty result becomes ``attachment`` plus the extension.
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in "\u2028\u2029")
    base = " ".join(base.split()).strip(" .")
    extensions = EXTENSIONS[content_type]
    suffix = PurePosixPath(base).suffix if base else ""
    if suffix.lower() in extensions:
        stem, extension = base[: -len(suffix)], suffix
    elif _EXTENSION.fullmatch(suffix):
        stem, extension = base[: -len(suffix)], extensions[0]
    else:
        stem, extension = base, extensions[0]
    stem = stem.rstrip(" .")[: MAX_FILE_NAME_LENGTH - len(extension)].rstrip(" .") or "attachment"
    return stem + extension


def storage_key(repair_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    """Where an attachment's bytes are stored: ``repairs/<repair id>/<attachment id>`` (a UUIDv7)."""
    return f"{KEY_PREFIX}{repair_id}/{attachment_id}"


@dataclass(frozen=True)
class _Inspected:
    size: int
    sha256: str
    head: bytes


def _inspect(file: IO[bytes], max_bytes: int) -> _Inspected:
    """Size, SHA-256 and first bytes of ``file`` (blocking; run in a thread). A file over ``max_bytes``
    is not read at all."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > max_bytes:
        return _Inspected(size, "", b"")
    digest = hashlib.sha256()
    head = b""
    while chunk := file.read(HASH_CHUNK_BYTES):
        if not head:
            head = chunk[:SIGNATURE_BYTES]
        digest.update(chunk)
    file.seek(0)
    return _Inspected(size, digest.hexdigest(), head)


def _clean_description(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


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
    inspected = await asyncio.to_thread(_inspect, upload.file, settings.max_upload_bytes)
    if inspected.size > settings.max_upload_bytes:
        raise FileTooLarge(
            f"The file is {inspected.size} bytes; the limit is {settings.max_upload_bytes} bytes.",
            maxUploadBytes=settings.max_upload_bytes,
        )
    if inspected.size == 0:
        raise ValidationFailed.for_field("file", "The file is empty.")
    content_type = detect_content_type(inspected.head)
    if content_type is None:
        raise ValidationFailed.for_field(
            "file",
            f"Unsupported file type. Accepted are {ACCEPTED_DESCRIPTION}; the type is read from the "
            "file's content, not from its name.",
        )

    attachment_id = new_id()
    key = storage_key(repair.id, attachment_id)
    # Registered before the write, so even an upload cut short by a cancelled request is cleaned up.
    discard_unless_committed(session, storage, key)
    await storage.put(key, upload.file, content_type=content_type)
    attachment = RepairAttachment(
        id=attachment_id,
        repair_id=repair.id,
        kind=upload.kind.value,
        is_public=upload.is_public,
        file_name=safe_file_name(upload.file_name, content_type),
        content_type=content_type,
        size_bytes=inspected.size,
        sha256=inspected.sha256,
        storage_key=key,
        description=_clean_description(upload.description),
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


def etag_of(attachment: RepairAttachment) -> str:
    """The attachment's strong entity tag (RFC 9110 §8.8.3): its SHA-256 in quotes."""
    return f'"{attachment.sha256}"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (RFC 9110 §13.1.2: ``*`` or a list of tags
    compared weakly, so ``W/"x"`` matches ``"x"``)."""
    if not if_none_match:
        return False
    candidates = [part.strip() for part in if_none_match.split(",")]
    return any(candidate == "*" or candidate.removeprefix("W/") == etag for candidate in candidates)


@dataclass
class Download:
    """An attachment ready to send: ``stream`` is ``None`` when the client's copy is current (304)."""

    attachment: RepairAttachment
    etag: str
    stream: StoredStream | None


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
    etag = etag_of(attachment)
    if matches_etag(if_none_match, etag):
        return Download(attachment, etag, None)
    try:
        stream = await storage.open(attachment.storage_key)
    except StoredFileMissing:
        log.error("attachment_bytes_missing", attachment_id=str(attachment.id), key=attachment.storage_key)
        raise NotFound(f"The file of attachment {attachment_id} is no longer in storage.") from None
    return Download(attachment, etag, stream)


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
        attachment.description = _clean_description(values["description"])
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
    await enqueue(
        session,
        DELETE_FILE_JOB,
        {"storageKey": key, "attachmentId": str(attachment_id), "repairId": str(repair.id)},
        unique_key=f"{DELETE_FILE_JOB}:{key}",
    )
