"""SMS and WhatsApp providers: ``file`` (default: one ``.json`` per message in ``<data dir>/outbox/sms/``)
and ``twilio``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol

from fixdesk.config import Settings


@dataclass(frozen=True)
class SmsMessage:
    """One text message. ``reference`` is our id for it (the notification id)."""

    to: str
    body: str
    reference: str
    channel: Literal["sms", "whatsapp"] = "sms"
    status_callback: str | None = None


class SmsProvider(Protocol):
    """Sends one message; returns the provider's id for it (Twilio's ``SM…`` sid). Raises on failure."""

    name: str

    async def send(self, message: SmsMessage) -> str: ...


class FileSmsProvider:
    """Writes each message as JSON into ``<outbox>/sms/``."""

    name = "file"

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox / "sms"

    async def send(self, message: SmsMessage) -> str:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"{message.reference}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(message), indent=2))
        os.replace(temporary, path)
        return f"file-{message.reference}"


def build_sms_provider(settings: Settings, http: object) -> SmsProvider:
    """The provider ``FIXDESK_SMS_PROVIDER`` names."""
    if settings.sms_provider == "file":
        return FileSmsProvider(settings.outbox_dir)
    raise NotImplementedError(f"SMS provider {settings.sms_provider!r} is not available yet")
