"""File storage (fixdesk.platform.storage): the same contract from the data-directory backend and from a
real S3 endpoint (moto's server on 127.0.0.1), atomic local writes, keys that cannot escape, backend
choice by settings, and bytes deleted when the transaction that wrote them does not commit."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fixdesk.config import ConfigurationError, Settings
from fixdesk.platform.storage import (
    InvalidKey,
    LocalStorage,
    S3Storage,
    Storage,
    StoredFileMissing,
    build_storage,
    check_key,
    discard_unless_committed,
)
from tests.support.s3 import S3Server, s3_server

__all__ = ["s3_server"]

BIG = bytes(range(256)) * 4000  # 1 MB: several chunks, and more than S3's in-memory spool


@pytest.fixture(params=["local", "s3"])
async def storage(request, tmp_path) -> AsyncIterator[Storage]:
    if request.param == "local":
        built: Storage = LocalStorage(tmp_path / "files")
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        settings = Settings(env="test", data_dir=tmp_path, **server.settings(server.new_bucket(), "shop/"))
        built = build_storage(settings)
    yield built
    await built.aclose()


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_bytes_round_trip_and_replace(storage):
    await storage.put("repairs/a/one", b"first version")
    await storage.put("repairs/a/one", b"second")

    assert await storage.read("repairs/a/one") == b"second"
    assert await storage.exists("repairs/a/one")
    assert not await storage.exists("repairs/a/two")


async def test_file_objects_and_async_streams_are_stored_whole(storage, tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(BIG)
    with source.open("rb") as handle:
        await storage.put("repairs/b/from-file", handle, content_type="application/pdf")
    await storage.put("repairs/b/from-stream", chunks_of(BIG, 70_000))

    for key in ("repairs/b/from-file", "repairs/b/from-stream"):
        stream = await storage.open(key)
        assert stream.size == len(BIG)
        received = [chunk async for chunk in stream]
        assert len(received) > 1  # streamed in chunks, not in one piece
        assert b"".join(received) == BIG


async def test_delete_is_idempotent_and_missing_objects_say_so(storage):
    await storage.put("repairs/c/x", b"data")

    await storage.delete("repairs/c/x")
    await storage.delete("repairs/c/x")
    await storage.delete("repairs/c/never-existed")

    assert not await storage.exists("repairs/c/x")
    with pytest.raises(StoredFileMissing):
        await storage.open("repairs/c/x")
    with pytest.raises(StoredFileMissing):
        await storage.read("repairs/c/never-existed")


async def test_list_reports_keys_sizes_and_times_under_a_prefix(storage):
    await storage.put("repairs/d/1", b"a")
    await storage.put("repairs/d/2", b"bcd")
    await storage.put("other/3", b"e")

    entries = {entry.key: entry async for entry in storage.list("repairs/")}

    assert set(entries) == {"repairs/d/1", "repairs/d/2"}
    assert entries["repairs/d/2"].size == 3
    modified = entries["repairs/d/1"].modified_at
    assert modified.tzinfo is not None
    assert abs(modified - datetime.now(UTC)) < timedelta(minutes=5)


INVALID_KEYS = [
    "",
    "/etc/passwd",
    "../escape",
    "repairs/../../escape",
    "repairs//double",
    "repairs/.hidden",
    "repairs/a/",
    "repairs\\windows",
    "repairs/nul\x00byte",
    "repairs/space here",
    "x" * 301,
]


@pytest.mark.parametrize("key", INVALID_KEYS)
async def test_keys_we_would_never_generate_are_refused_before_any_io(storage, key, tmp_path):
    with pytest.raises(InvalidKey):
        await storage.put(key, b"data")
    with pytest.raises(InvalidKey):
        await storage.open(key)
    with pytest.raises(InvalidKey):
        await storage.delete(key)
    assert [entry async for entry in storage.list("")] == []
    assert not (tmp_path / "escape").exists()


def test_check_key_accepts_the_keys_fixdesk_generates():
    key = "repairs/0190d3c4-6a1e-7cc1-9f7e-1b2a3c4d5e6f/0190d3c4-6a1e-7cc1-9f7e-1b2a3c4d5e70"
    assert check_key(key) == key


# --- the data directory -------------------------------------------------------------------------------


async def test_a_failed_local_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    await storage.put("repairs/e/photo", b"the good version")

    async def broken_stream() -> AsyncIterator[bytes]:
        yield b"half of a new ver"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await storage.put("repairs/e/photo", broken_stream())

    assert await storage.read("repairs/e/photo") == b"the good version"
    assert sorted(p.name for p in (tmp_path / "files" / "repairs" / "e").iterdir()) == ["photo"]


async def test_local_files_are_private_and_unfinished_writes_are_not_listed(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    await storage.put("repairs/f/photo", b"data")
    (tmp_path / "files" / "repairs" / "f" / ".partial-abc").write_bytes(b"unfinished")

    assert (tmp_path / "files" / "repairs" / "f" / "photo").stat().st_mode & 0o077 == 0
    assert [entry.key async for entry in storage.list()] == ["repairs/f/photo"]


async def test_a_symbolic_link_cannot_lead_a_key_out_of_the_directory(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not yours")
    root = tmp_path / "files"
    root.mkdir()
    os.symlink(outside, root / "link")
    storage = LocalStorage(root)

    with pytest.raises(InvalidKey):
        await storage.read("link/secret")
    with pytest.raises(InvalidKey):
        await storage.put("link/planted", b"data")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


# --- S3 specifics ---------------------------------------------------------------------------------------


async def test_s3_objects_carry_the_prefix_and_the_content_type(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    storage = build_storage(Settings(env="test", data_dir=tmp_path, **s3_server.settings(bucket, "shop-7/")))
    try:
        await storage.put("repairs/g/report", b"%PDF-1.4", content_type="application/pdf")
    finally:
        await storage.aclose()

    assert s3_server.keys(bucket) == ["shop-7/repairs/g/report"]
    head = s3_server.client().head_object(Bucket=bucket, Key="shop-7/repairs/g/report")
    assert head["ContentType"] == "application/pdf"
    assert not (tmp_path / "files" / "repairs").exists()


# --- choosing the backend -------------------------------------------------------------------------------


def test_the_backend_follows_the_settings(tmp_path):
    local = build_storage(Settings(env="test", data_dir=tmp_path / "data"))
    s3 = build_storage(
        Settings(env="test", data_dir=tmp_path, storage_backend="s3", s3_bucket="shop", s3_prefix="p/")
    )

    assert isinstance(local, LocalStorage)
    assert local.root == (tmp_path / "data" / "files").resolve()
    assert local.root.is_dir()  # ensure_data_dir made it
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix) == ("shop", "p/")
    with pytest.raises(ConfigurationError, match="FIXDESK_S3_BUCKET"):
        build_storage(Settings(env="test", data_dir=tmp_path, storage_backend="s3"))


# --- bytes written inside a transaction -----------------------------------------------------------------


async def test_bytes_are_deleted_when_the_transaction_rolls_back_and_kept_when_it_commits(
    sessionmaker, tmp_path: Path
):
    storage = LocalStorage(tmp_path / "files")

    async with sessionmaker() as session:
        discard_unless_committed(session, storage, "repairs/h/rolled-back")
        await storage.put("repairs/h/rolled-back", b"x")
        await session.rollback()
        # The session goes on: a file of its next transaction is tracked afresh.
        discard_unless_committed(session, storage, "repairs/h/committed")
        await storage.put("repairs/h/committed", b"y")
        await session.commit()

    assert not await storage.exists("repairs/h/rolled-back")
    assert await storage.read("repairs/h/committed") == b"y"
