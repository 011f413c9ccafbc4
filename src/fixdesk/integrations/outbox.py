"""File names of the ``file`` providers' outbox (``<data dir>/outbox/``): the UTC time a message was
written comes first, at fixed width (``20261206T153012.123456Z-<id>.eml``), so listing the directory in
name order (``ls``, a file manager) lists the messages in the order they were sent.

Files are written by :func:`write_outbox_file` in a worker thread: a slow or busy disk must not stall the
event loop that serves every other request."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

MAX_IDENTIFIER_LENGTH = 80


def outbox_file_name(identifier: str, suffix: str, at: datetime) -> str:
    """``<at in UTC, YYYYMMDDTHHMMSS.ffffffZ>-<identifier><suffix>``; ``at`` is aware. The identifier (a
    Message-ID, a notification id) keeps only letters, digits, ``-``, ``.`` and ``_``, at most 80 of them,
    so no name can leave the outbox or trip a file system."""
    safe = "".join(ch for ch in identifier if ch.isalnum() or ch in "-._")[:MAX_IDENTIFIER_LENGTH]
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{safe}{suffix}"


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)  # readers never see a half-written file


async def write_outbox_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (creating its folder) atomically, through a ``.tmp`` file renamed into
    place, in a thread of the default pool so the event loop stays free."""
    await asyncio.to_thread(_write_atomically, path, content)
