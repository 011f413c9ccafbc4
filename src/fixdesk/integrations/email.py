"""Email providers: ``file`` (default: one ``.eml`` per message in ``<data dir>/outbox/``), ``smtp`` and
``sendgrid``.

Every message carries a ``Message-ID`` chosen by the caller (derived from the notification id), so a
message sent twice after a crash reaches the receiver with the same id and can be dropped as a duplicate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from fixdesk.config import Settings


@dataclass(frozen=True)
class EmailMessage:
    """One email: plain text and optional HTML alternative. ``message_id`` is ``<…@…>``."""

    to: str
    subject: str
    text: str
    message_id: str
    html: str | None = None
    sender: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_mime(self, default_sender: str) -> MimeMessage:
        """The RFC 5322 message (multipart/alternative when there is HTML)."""
        mime = MimeMessage()
        mime["From"] = self.sender or default_sender
        mime["To"] = self.to
        mime["Subject"] = self.subject
        mime["Message-ID"] = self.message_id
        mime["Date"] = formatdate(localtime=False, usegmt=True)
        for name, value in self.headers.items():
            mime[name] = value
        mime.set_content(self.text)
        if self.html:
            mime.add_alternative(self.html, subtype="html")
        return mime


class EmailProvider(Protocol):
    """Sends one email; returns the provider's id for it. Raises on failure (the job retries)."""

    name: str

    async def send(self, message: EmailMessage) -> str: ...


class FileEmailProvider:
    """Writes each message as ``<outbox>/<timestamp>-<id>.eml``: the embedded mode's viewable outbox."""

    name = "file"

    def __init__(self, outbox: Path, default_sender: str) -> None:
        self.outbox = outbox
        self.default_sender = default_sender

    async def send(self, message: EmailMessage) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        mime = message.to_mime(self.default_sender)
        safe_id = "".join(ch for ch in message.message_id if ch.isalnum() or ch in "-._")[:80]
        path = self.outbox / f"{_stamp()}-{safe_id}.eml"
        temporary = path.with_suffix(".eml.tmp")
        temporary.write_bytes(bytes(mime))
        os.replace(temporary, path)  # readers never see a half-written file
        return path.name


def _stamp() -> str:
    from fixdesk.db import utcnow

    return utcnow().strftime("%Y%m%dT%H%M%S%f")


def build_email_provider(settings: Settings, http: object) -> EmailProvider:
    """The provider ``FIXDESK_EMAIL_PROVIDER`` names."""
    if settings.email_provider == "file":
        return FileEmailProvider(settings.outbox_dir, settings.email_from)
    raise NotImplementedError(f"email provider {settings.email_provider!r} is not available yet")
