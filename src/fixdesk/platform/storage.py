"""Where uploaded files live: the data directory, or any S3-compatible object store.

:class:`Storage` is the interface every backend implements, addressed by *keys* that Fixdesk generates
itself (``repairs/<repair id>/<uuid7>``), never by names a client sent:

* ``put(key, body)`` stores ``bytes``, a binary file object (read from its current position to the end)
  or an async iterable of ``bytes`` chunks, replacing whatever the key held;
* ``open(key)`` returns a :class:`StoredStream`, an async iterator of chunks with the object's ``size``
  in bytes; ``read(key)`` returns the whole object; both raise :class:`StoredFileMissing`;
* ``delete(key)`` removes the object; deleting a missing key is not an error, so it can be retried;
* ``exists(key)``; ``list(prefix)`` yields :class:`StoredEntry` (key, size, last modified) for sweeping.

Bytes are stored before the database row that points at them is committed. :func:`discard_unless_committed`
ties the two together: when the transaction rolls back (or its commit fails) the bytes are deleted.

Backends, chosen by ``FIXDESK_STORAGE_BACKEND`` (:func:`build_storage`):

* ``local`` (:class:`LocalStorage`): files under ``<data dir>/files``. A write goes to a temporary file
  in the target's directory, is flushed to disk and renamed over the target (``os.replace``), so a reader
  sees the old object or the new one, never half of one. Keys are checked and the resolved path must stay
  inside the directory, so no key reaches a file outside it.
* ``s3`` (:class:`S3Storage`): a bucket of AWS S3 or any S3-compatible store (MinIO, Ceph, Cloudflare R2)
  through boto3, with ``FIXDESK_S3_PREFIX`` in front of every key. boto3 blocks, so every call runs in a
  worker thread and the event loop never waits on the network.

Every blocking call of both backends runs in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util.concurrency import await_only, in_greenlet

from fixdesk.config import ConfigurationError, Settings

log = structlog.get_logger(__name__)

CHUNK_BYTES = 256 * 1024
TEMPORARY_PREFIX = ".partial-"
# Segments of letters, digits, dot, dash and underscore, each starting with a letter or digit: no empty
# segment, no "." or "..", no hidden or temporary file names, no backslashes or control characters.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
MAX_KEY_LENGTH = 300  # RepairAttachment.storage_key

PutBody = bytes | IO[bytes] | AsyncIterable[bytes]
"""What :meth:`Storage.put` stores: bytes, a binary file object, or an async iterable of chunks."""


class StorageError(Exception):
    """A storage operation failed."""


class InvalidKey(StorageError, ValueError):
    """The key is not one Fixdesk would generate (see :func:`check_key`)."""


class StoredFileMissing(StorageError, KeyError):
    """No object is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"nothing is stored under {self.key!r}"


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid storage key, else raise :class:`InvalidKey`.

    A key is 1–300 characters of ``/``-separated segments made of ``A-Z a-z 0-9 . _ -``, each starting
    with a letter or a digit (so ``..``, absolute paths and hidden files are impossible).
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidKey(f"{key!r} is not a valid storage key")
    return key


@dataclass(frozen=True)
class StoredEntry:
    """One stored object as :meth:`Storage.list` reports it (``size`` in bytes, ``modified_at`` UTC)."""

    key: str
    size: int
    modified_at: datetime


class StoredStream:
    """An open stored object: ``size`` in bytes, iterated as ``bytes`` chunks (at most 256 KiB each).

    Iterating to the end closes it; call :meth:`aclose` when stopping early (``async with`` does).
    """

    def __init__(
        self,
        key: str,
        size: int,
        read_chunk: Callable[[int], bytes],
        close: Callable[[], Any],
    ) -> None:
        self.key = key
        self.size = size
        self._read_chunk = read_chunk
        self._close = close
        self._closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            while True:
                chunk = await asyncio.to_thread(self._read_chunk, CHUNK_BYTES)
                if not chunk:
                    return
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        """The rest of the object in one ``bytes``."""
        return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        # Closing is quick (a file handle, or an HTTP response given back to the pool) and done without
        # awaiting, so it also happens when a cancelled download (the client left) unwinds.
        if not self._closed:
            self._closed = True
            self._close()

    async def __aenter__(self) -> StoredStream:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


class Storage(ABC):
    """A place to keep files under keys. See the module documentation for the contract."""

    name: str

    @abstractmethod
    async def put(self, key: str, body: PutBody, *, content_type: str | None = None) -> None:
        """Store ``body`` under ``key`` (replacing what was there). ``content_type`` is kept as the
        object's metadata where the backend has any (S3)."""

    @abstractmethod
    async def open(self, key: str) -> StoredStream:
        """The object under ``key`` as a stream; raises :class:`StoredFileMissing`."""

    async def read(self, key: str) -> bytes:
        """The whole object under ``key``; raises :class:`StoredFileMissing`."""
        return await (await self.open(key)).read()

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object under ``key``; a missing one is fine (deletes are retried by jobs)."""

    @abstractmethod
    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[StoredEntry]:
        """Every stored object whose key starts with ``prefix``, in no particular order."""

    async def aclose(self) -> None:  # noqa: B027 (optional: only backends holding connections close them)
        """Release the backend's connections."""


# --- the data directory -------------------------------------------------------------------------------


class LocalStorage(Storage):
    """Files under a directory (``<data dir>/files``), written atomically; see the module documentation."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def path_of(self, key: str) -> Path:
        """The file of ``key``; raises :class:`InvalidKey` for a key that is invalid or would leave the
        directory (through a symbolic link, for instance)."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"{key!r} leaves the storage directory")
        return path

    async def put(self, key: str, body: PutBody, *, content_type: str | None = None) -> None:
        path = self.path_of(key)
        handle, temporary = await asyncio.to_thread(self._create_temporary, path)
        try:
            if isinstance(body, bytes | bytearray | memoryview):
                await asyncio.to_thread(handle.write, body)
            elif hasattr(body, "read"):
                await asyncio.to_thread(_copy_file, body, handle)  # type: ignore[arg-type]
            else:
                async for chunk in body:  # type: ignore[union-attr]
                    await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_finish, handle, temporary, path)
        except BaseException:
            await asyncio.to_thread(_discard, handle, temporary)
            raise

    def _create_temporary(self, path: Path) -> tuple[IO[bytes], Path]:
        path.parent.mkdir(parents=True, exist_ok=True)
        # In the target's own directory, so the final rename never crosses file systems. mkstemp makes
        # the file readable by its owner only: these are customers' photos.
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
        return os.fdopen(descriptor, "wb"), Path(name)

    async def open(self, key: str) -> StoredStream:
        path = self.path_of(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StoredFileMissing(key) from None
        size = os.fstat(handle.fileno()).st_size
        return StoredStream(key, size, handle.read, handle.close)

    async def delete(self, key: str) -> None:
        path = self.path_of(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def list(self, prefix: str = "") -> AsyncIterator[StoredEntry]:
        entries = await asyncio.to_thread(self._scan, prefix)
        for entry in entries:
            yield entry

    def _scan(self, prefix: str) -> list[StoredEntry]:
        found: list[StoredEntry] = []
        if not self.root.is_dir():
            return found
        for directory, _, files in os.walk(self.root):
            for file_name in files:
                if file_name.startswith("."):
                    continue  # an unfinished write (TEMPORARY_PREFIX) or a file that is no key
                path = Path(directory, file_name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix) or not _KEY.fullmatch(key):
                    continue
                with contextlib.suppress(FileNotFoundError):  # deleted while we walked
                    status = path.stat()
                    found.append(
                        StoredEntry(key, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC))
                    )
        return found


def _copy_file(source: IO[bytes], target: IO[bytes]) -> None:
    while chunk := source.read(CHUNK_BYTES):
        target.write(chunk)


def _finish(handle: IO[bytes], temporary: Path, path: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.replace(temporary, path)


def _discard(handle: IO[bytes], temporary: Path) -> None:
    with contextlib.suppress(OSError):
        handle.close()
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()


# --- S3 and compatible stores -----------------------------------------------------------------------------

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _is_missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in _MISSING_CODES


class S3Storage(Storage):
    """Objects in one bucket of an S3-compatible store, keys prefixed with ``prefix``.

    ``client`` is a boto3 S3 client (thread-safe, shared by the threads the calls run in); see
    :func:`s3_client` for the one built from settings.
    """

    name = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def object_key(self, key: str) -> str:
        """The key in the bucket: the configured prefix and the (checked) storage key."""
        return self.prefix + check_key(key)

    async def put(self, key: str, body: PutBody, *, content_type: str | None = None) -> None:
        object_key = self.object_key(key)
        extra = {"ContentType": content_type} if content_type else {}
        if isinstance(body, bytes | bytearray | memoryview):
            source: IO[bytes] = io.BytesIO(bytes(body))
        elif hasattr(body, "read"):
            source = body  # type: ignore[assignment]
        else:
            # upload_fileobj needs a file; spool the chunks (in memory up to 1 MiB, then on disk).
            source = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
            async for chunk in body:  # type: ignore[union-attr]
                await asyncio.to_thread(source.write, chunk)
            await asyncio.to_thread(source.seek, 0)
        try:
            # upload_fileobj switches to a multipart upload for large files by itself.
            await asyncio.to_thread(
                self.client.upload_fileobj, source, self.bucket, object_key, ExtraArgs=extra
            )
        finally:
            if source is not body:
                source.close()

    async def open(self, key: str) -> StoredStream:
        object_key = self.object_key(key)
        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=object_key)
        except Exception as error:
            if _is_missing(error):
                raise StoredFileMissing(key) from None
            raise
        body = response["Body"]
        return StoredStream(key, int(response["ContentLength"]), body.read, body.close)

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success, which is the contract.
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self.object_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=self.object_key(key))
        except Exception as error:
            if _is_missing(error):
                return False
            raise
        return True

    async def list(self, prefix: str = "") -> AsyncIterator[StoredEntry]:
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + prefix}
        while True:
            page = await asyncio.to_thread(self.client.list_objects_v2, **arguments)
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if _KEY.fullmatch(key):
                    yield StoredEntry(key, int(item["Size"]), item["LastModified"].astimezone(UTC))
            if not page.get("IsTruncated"):
                return
            arguments["ContinuationToken"] = page["NextContinuationToken"]

    async def aclose(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


S3_EXTRA_MISSING = (
    "FIXDESK_STORAGE_BACKEND=s3 needs boto3, which is not installed. Install Fixdesk with its S3 extra "
    "(pip install 'fixdesk[s3]'), or keep files in the data directory (FIXDESK_STORAGE_BACKEND=local)."
)


def check_storage_libraries(settings: Settings) -> None:
    """Raise :class:`~fixdesk.config.ConfigurationError` when the configured backend's library is missing:
    boto3 for ``s3`` comes with the optional ``fixdesk[s3]`` extra, not with Fixdesk itself."""
    if settings.storage_backend != "s3":
        return
    try:
        import boto3  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(S3_EXTRA_MISSING) from exc


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the ``FIXDESK_S3_*`` settings.

    Without an access key the standard AWS credential chain applies (environment, profile, instance
    role). A custom endpoint (MinIO, Ceph, R2, …) is addressed path-style (``endpoint/bucket/key``),
    which every S3-compatible store understands, unlike bucket subdomains. Raises
    :class:`~fixdesk.config.ConfigurationError` when boto3 is not installed (the ``fixdesk[s3]`` extra).
    """
    check_storage_libraries(settings)
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=10,
        read_timeout=60,
        retries={"max_attempts": 5, "mode": "standard"},
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
    )
    secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret,
        config=config,
    )


# --- choosing and reaching the backend ----------------------------------------------------------------


def build_storage(settings: Settings) -> Storage:
    """The backend ``FIXDESK_STORAGE_BACKEND`` names: ``local`` (``<data dir>/files``) or ``s3``.

    Raises :class:`~fixdesk.config.ConfigurationError` for ``s3`` without ``FIXDESK_S3_BUCKET`` or without
    boto3 (the ``fixdesk[s3]`` extra).
    """
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigurationError("FIXDESK_STORAGE_BACKEND=s3 needs FIXDESK_S3_BUCKET.")
        check_storage_libraries(settings)
        return S3Storage(s3_client(settings), settings.s3_bucket, settings.s3_prefix)
    return LocalStorage(settings.ensure_data_dir() / "files")


def storage_for(app: FastAPI) -> Storage:
    """The app's storage: the one its lifespan built (``app.state.services.storage``), or, for an app
    run without its lifespan (tests), one built on first use and kept on ``app.state.storage``."""
    services = getattr(app.state, "services", None)
    if services is not None and getattr(services, "storage", None) is not None:
        return services.storage
    storage = getattr(app.state, "storage", None)
    if storage is None:
        storage = build_storage(app.state.settings)
        app.state.storage = storage
    return storage


async def get_storage(request: Request) -> Storage:
    """FastAPI dependency: the running app's storage."""
    return storage_for(request.app)


StorageDep = Annotated[Storage, Depends(get_storage)]


# --- bytes written inside a database transaction ------------------------------------------------------

_UNCOMMITTED = "fixdesk_uncommitted_files"
_LISTENING = "fixdesk_uncommitted_files_listening"


def discard_unless_committed(session: AsyncSession, storage: Storage, key: str) -> None:
    """Delete what ``storage`` holds under ``key`` when ``session``'s transaction ends without a commit.

    Call it just before storing the bytes that a row of the same transaction will point to: a rolled back
    request, a failed commit or a session closed without committing then leaves no file behind. The delete
    runs as the transaction ends (a failure to delete is logged, not raised). What this cannot cover is a
    process that dies between the write and the commit; the attachments' periodic sweep
    (``attachments.sweep_orphans``) removes such leftovers.
    """
    sync_session = session.sync_session
    if not sync_session.in_transaction():
        # Begin it now, so a rollback ends a transaction (and runs the delete) rather than being a no-op.
        sync_session.begin()
    sync_session.info.setdefault(_UNCOMMITTED, []).append((storage, key))
    if not sync_session.info.get(_LISTENING):
        sync_session.info[_LISTENING] = True
        event.listen(sync_session, "after_commit", _forget_uncommitted)
        event.listen(sync_session, "after_transaction_end", _discard_uncommitted)


def _forget_uncommitted(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


def _discard_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint; the files belong to the outermost transaction
    pending: list[tuple[Storage, str]] = session.info.pop(_UNCOMMITTED, [])
    for storage, key in pending:
        try:
            if in_greenlet():
                # The transaction ends inside SQLAlchemy's async bridge: wait for the delete right here.
                await_only(storage.delete(key))
                log.info("uncommitted_file_deleted", key=key, backend=storage.name)
            else:
                _in_background(asyncio.get_running_loop(), storage, key)
        except Exception:
            log.exception("uncommitted_file_not_deleted", key=key, backend=storage.name)


_background_tasks: set[asyncio.Task[None]] = set()


def _in_background(loop: asyncio.AbstractEventLoop, storage: Storage, key: str) -> None:
    task = loop.create_task(storage.delete(key))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
