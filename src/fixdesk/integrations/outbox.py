"""File names of the ``file`` providers' outbox (``<data dir>/outbox/``): the UTC time a message was
written comes first, at fixed width (``20261206T153012.123456Z-<id>.eml``), so listing the directory in
name order (``ls``, a file manager) lists the messages in the order they were sent."""

from __future__ import annotations

from datetime import UTC, datetime

MAX_IDENTIFIER_LENGTH = 80


def outbox_file_name(identifier: str, suffix: str, at: datetime) -> str:
    """``<at in UTC, YYYYMMDDTHHMMSS.ffffffZ>-<identifier><suffix>``; ``at`` is aware. The identifier (a
    Message-ID, a notification id) keeps only letters, digits, ``-``, ``.`` and ``_``, at most 80 of them,
    so no name can leave the outbox or trip a file system."""
    safe = "".join(ch for ch in identifier if ch.isalnum() or ch in "-._")[:MAX_IDENTIFIER_LENGTH]
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{safe}{suffix}"
