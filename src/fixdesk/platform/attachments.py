"""Uploaded files attached to a record (a repair's photos, a work order's photos): what every domain's
attachments share, so each domain keeps only its rows, its access rule and its events.

* **Type.** The type is read from the first bytes of the content with the ``filetype`` library, never
  from the file name or the client's ``Content-Type`` (:func:`detect_content_type`); :data:`EXTENSIONS`
  lists the accepted types (JPEG, PNG, WebP, HEIC/HEIF, PDF) and a domain may accept fewer (work orders
  take images only, :data:`IMAGE_TYPES`).
* **Name.** The client's file name is only displayed, made safe first (:func:`safe_file_name`).
* **Storing.** :func:`store_upload` checks size (413 :class:`FileTooLarge` above
  ``FIXDESK_MAX_UPLOAD_BYTES``), emptiness and type (400 on the field ``file``) before a byte is stored,
  then writes the bytes under the key the domain generated, tied to the request's transaction with
  :func:`fixdesk.platform.storage.discard_unless_committed`: no commit, no file.
* **Deleting.** A domain deletes the row and queues :data:`DELETE_FILE_JOB` (``attachments.delete_file``)
  in the same transaction (:func:`queue_file_deletion`), so the bytes go only once the deletion committed.
  The job leaves alone bytes that a row still references.
* **Orphans.** :data:`SWEEP_JOB` (``attachments.sweep_orphans``, scheduled daily by the repairs manifest)
  removes stored files older than a day that no row references: the bytes of an upload whose process died
  between writing them and committing the row.

A domain declares where its bytes live and which column references them with :func:`register_owner`
(``register_owner("repairs/", RepairAttachment.storage_key)``) when its jobs module is imported: the
platform imports no domain, so the jobs learn the tables this way.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import quote

import filetype
import structlog
from fastapi import Response, status
from fastapi.responses import StreamingResponse
from filetype.types.isobmff import IsoBmff
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from fixdesk.db import utcnow
from fixdesk.platform.errors import FixdeskError, NotFound, ValidationFailed
from fixdesk.platform.jobs import JobContext, enqueue, handler
from fixdesk.platform.jobs.registry import PermanentJobError
from fixdesk.platform.storage import (
    InvalidKey,
    Storage,
    StoredFileMissing,
    StoredStream,
    build_storage,
    check_key,
    discard_unless_committed,
)

log = structlog.get_logger(__name__)

DELETE_FILE_JOB = "attachments.delete_file"
SWEEP_JOB = "attachments.sweep_orphans"
MAX_FILE_NAME_LENGTH = 200
# filetype reads at most this many leading bytes to recognise a format.
SIGNATURE_BYTES = 8192
HASH_CHUNK_BYTES = 1024 * 1024
# Far longer than any upload request takes between writing the bytes and committing the row.
ORPHAN_GRACE = timedelta(days=1)
SWEEP_BATCH = 500

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
IMAGE_TYPES = frozenset(content_type for content_type in EXTENSIONS if content_type.startswith("image/"))
IMAGES_DESCRIPTION = "JPEG, PNG, WebP and HEIC/HEIF images"


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


def detect_content_type(head: bytes, accepted: frozenset[str] | Mapping[str, Any] = EXTENSIONS) -> str | None:
    """The media type of a file from its first bytes, if it is one of ``accepted`` (by default every type
    of :data:`EXTENSIONS`), else ``None``. Only the content counts: the name and the client's
    ``Content-Type`` are ignored."""
    kind = filetype.match(bytes(head[:SIGNATURE_BYTES]), matchers=_MATCHERS)
    if kind is None or kind.mime not in EXTENSIONS or kind.mime not in accepted:
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


def clean_description(value: str | None) -> str | None:
    """A description as stored: trimmed, and ``None`` when nothing is left."""
    value = (value or "").strip()
    return value or None


# --- storing an upload ----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class StoredUpload:
    """What :func:`store_upload` stored: the key, the detected ``content_type``, ``size_bytes``, the hex
    ``sha256`` and the safe display ``file_name``; the domain's row records them."""

    storage_key: str
    content_type: str
    size_bytes: int
    sha256: str
    file_name: str


async def check_upload(
    file: IO[bytes],
    *,
    max_bytes: int,
    accepted: frozenset[str] | Mapping[str, Any] = EXTENSIONS,
    accepted_description: str = ACCEPTED_DESCRIPTION,
    field: str = "file",
) -> tuple[_Inspected, str]:
    """Size, hash and detected type of an uploaded file, or the error refusing it: :class:`FileTooLarge`
    (413) above ``max_bytes``, :class:`ValidationFailed` (400 on ``field``) for an empty file or a type
    not in ``accepted``. Reads the file in a thread."""
    inspected = await asyncio.to_thread(_inspect, file, max_bytes)
    if inspected.size > max_bytes:
        raise FileTooLarge(
            f"The file is {inspected.size} bytes; the limit is {max_bytes} bytes.", maxUploadBytes=max_bytes
        )
    if inspected.size == 0:
        raise ValidationFailed.for_field(field, "The file is empty.")
    content_type = detect_content_type(inspected.head, accepted)
    if content_type is None:
        raise ValidationFailed.for_field(
            field,
            f"Unsupported file type. Accepted are {accepted_description}; the type is read from the "
            "file's content, not from its name.",
        )
    return inspected, content_type


async def store_upload(
    session: AsyncSession,
    storage: Storage,
    key: str,
    file: IO[bytes],
    file_name: str | None,
    *,
    max_bytes: int,
    accepted: frozenset[str] | Mapping[str, Any] = EXTENSIONS,
    accepted_description: str = ACCEPTED_DESCRIPTION,
) -> StoredUpload:
    """Check an uploaded file (:func:`check_upload`: 413 or 400 before a byte is stored) and store it
    under ``key``; the bytes are deleted again unless ``session``'s transaction commits."""
    inspected, content_type = await check_upload(
        file, max_bytes=max_bytes, accepted=accepted, accepted_description=accepted_description
    )
    # Registered before the write, so even an upload cut short by a cancelled request is cleaned up.
    discard_unless_committed(session, storage, key)
    await storage.put(key, file, content_type=content_type)
    return StoredUpload(
        key, content_type, inspected.size, inspected.sha256, safe_file_name(file_name, content_type)
    )


async def queue_file_deletion(session: AsyncSession, storage_key: str, **details: str) -> None:
    """Queue :data:`DELETE_FILE_JOB` for ``storage_key`` in ``session``'s transaction (after the row was
    deleted), so the bytes go only once the deletion commits. ``details`` join the job's payload."""
    await enqueue(
        session,
        DELETE_FILE_JOB,
        {"storageKey": storage_key, **details},
        unique_key=f"{DELETE_FILE_JOB}:{storage_key}",
    )


# --- downloading ---------------------------------------------------------------------------------------


def etag_of(sha256: str) -> str:
    """An attachment's strong entity tag (RFC 9110 §8.8.3): its SHA-256 in quotes."""
    return f'"{sha256}"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (RFC 9110 §13.1.2: ``*`` or a list of tags
    compared weakly, so ``W/"x"`` matches ``"x"``)."""
    if not if_none_match:
        return False
    candidates = [part.strip() for part in if_none_match.split(",")]
    return any(candidate == "*" or candidate.removeprefix("W/") == etag for candidate in candidates)


@dataclass
class Download:
    """An attachment row (anything with ``file_name``, ``content_type``, ``sha256``, ``storage_key`` and
    ``id``) ready to send: ``stream`` is ``None`` when the client's copy is current (304)."""

    attachment: Any
    etag: str
    stream: StoredStream | None


async def open_download(storage: Storage, attachment: Any, if_none_match: str | None = None) -> Download:
    """Open ``attachment``'s bytes, or nothing when ``If-None-Match`` names its ETag (304). Raises
    :class:`NotFound` (404) when the bytes are missing from storage (logged: the row says they exist)."""
    etag = etag_of(attachment.sha256)
    if matches_etag(if_none_match, etag):
        return Download(attachment, etag, None)
    try:
        stream = await storage.open(attachment.storage_key)
    except StoredFileMissing:
        log.error("attachment_bytes_missing", attachment_id=str(attachment.id), key=attachment.storage_key)
        raise NotFound(f"The file of attachment {attachment.id} is no longer in storage.") from None
    return Download(attachment, etag, stream)


# Downloads are private (behind a token) and revalidated with the ETag each time.
CACHE_CONTROL = "private, no-cache"


def content_disposition(file_name: str, disposition: str = "attachment") -> str:
    """``attachment`` (or ``inline``) with the name twice (RFC 6266 §4.3): an ASCII ``filename`` for old
    clients and the exact UTF-8 ``filename*`` (RFC 8187 percent-encoding)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in file_name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def file_response(download: Download) -> Response:
    """The answer carrying a downloaded file (or 304 when the client's copy is current): ETag, private
    caching, ``nosniff``, both file names, and a sandboxing CSP. The API and the staff pages send files
    through it."""
    attachment = download.attachment
    headers = {
        "ETag": download.etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    if download.stream is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    headers |= {
        "Content-Disposition": content_disposition(attachment.file_name),
        "Content-Length": str(download.stream.size),
        # Should a browser ever render the file itself, it runs no script and loads nothing.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return StreamingResponse(download.stream, media_type=attachment.content_type, headers=headers)


DOWNLOAD_RESPONSES: dict[int | str, dict] = {
    200: {
        "description": "The file's bytes with their detected Content-Type",
        "content": {content_type: {} for content_type in EXTENSIONS},
    },
    304: {"description": "Not modified (If-None-Match named the current ETag)"},
}


# --- the jobs: deleting bytes, sweeping orphans ---------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Stored files under ``prefix`` (``"repairs/"``) are referenced by ``column`` (a ``storage_key``)."""

    prefix: str
    column: InstrumentedAttribute[str]


owners: dict[str, Owner] = {}
"""Every registered owner of stored files, by key prefix (:func:`register_owner`)."""


def register_owner(prefix: str, column: InstrumentedAttribute[str]) -> None:
    """Declare that stored files whose key starts with ``prefix`` (ending in ``/``) belong to rows whose
    ``column`` holds the key: the delete job and the sweep then check that column before removing."""
    if not prefix.endswith("/"):
        raise ValueError(f"an owner's prefix ends with '/': {prefix!r}")
    owners[prefix] = Owner(prefix, column)


def job_storage(context: JobContext) -> Storage:
    """The worker's storage (``services.storage``), or one built from the job's settings."""
    storage = getattr(context.services, "storage", None)
    if storage is not None:
        return storage
    if context.settings is None:
        raise RuntimeError("the worker was started without services or settings (no storage)")
    return build_storage(context.settings)


async def _referenced(context: JobContext, owner: Owner, keys: list[str]) -> set[str]:
    """The ``keys`` some row of ``owner`` points to. Commits right after, so no database lock is held
    while the store is called."""
    statement = select(owner.column).where(owner.column.in_(keys))
    found = set((await context.session.execute(statement)).scalars())
    await context.session.commit()
    return found


def _owner_of(key: str) -> Owner | None:
    return next((owner for prefix, owner in owners.items() if key.startswith(prefix)), None)


@handler(DELETE_FILE_JOB, max_attempts=10)
async def delete_file(context: JobContext) -> None:
    """Remove a deleted attachment's bytes (payload ``storageKey``) from storage. Idempotent: a missing
    object is fine, and bytes a row still references are left alone. A key no owner registered is a
    permanent failure (nothing is deleted that no domain vouches for)."""
    try:
        key = check_key(str(context.payload["storageKey"]))
    except (KeyError, InvalidKey) as error:
        raise PermanentJobError(f"bad payload: {error}") from error
    owner = _owner_of(key)
    if owner is None:
        raise PermanentJobError(f"no attachments are stored under the key {key!r}")
    if await _referenced(context, owner, [key]):
        log.warning("attachment_file_still_referenced", key=key)
        return
    await job_storage(context).delete(key)
    log.info("attachment_file_deleted", key=key)


@handler(SWEEP_JOB, max_attempts=3)
async def sweep_orphans(context: JobContext) -> int:
    """Delete stored files under every owner's prefix older than :data:`ORPHAN_GRACE` that no row
    references; returns how many were deleted. Files under other prefixes are not touched."""
    storage = job_storage(context)
    cutoff = utcnow() - ORPHAN_GRACE
    removed = 0
    for owner in list(owners.values()):
        batch: list[str] = []

        async def remove_unreferenced(owner: Owner = owner, batch: list[str] = batch) -> int:
            referenced = await _referenced(context, owner, batch)
            orphans = [key for key in batch if key not in referenced]
            for key in orphans:
                await storage.delete(key)
                log.info("orphaned_attachment_file_deleted", key=key)
            batch.clear()
            return len(orphans)

        async for entry in storage.list(owner.prefix):
            if entry.modified_at < cutoff:
                batch.append(entry.key)
            if len(batch) >= SWEEP_BATCH:
                removed += await remove_unreferenced()
        if batch:
            removed += await remove_unreferenced()
    return removed
