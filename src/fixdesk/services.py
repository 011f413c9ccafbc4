"""Shared adapters built once per process and handed to job handlers (``JobContext.services``).

Each integration adds its adapter here, built from settings; tests build the same object pointed at
servers on 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from fixdesk.config import Settings
from fixdesk.platform.tls import default_ssl_context


@dataclass
class Services:
    """The process's outbound adapters."""

    settings: Settings
    http: httpx.AsyncClient
    email: Any = None  # fixdesk.integrations.email provider
    sms: Any = None  # fixdesk.integrations.sms provider
    realtime: Any = None  # fixdesk.platform.realtime broker
    storage: Any = None  # fixdesk.platform.storage backend (repair photos and documents)
    extras: dict[str, Any] = field(default_factory=dict)

    async def aclose(self) -> None:
        for adapter in (self.email, self.sms, self.realtime, self.storage, *self.extras.values()):
            close = getattr(adapter, "aclose", None)
            if close is not None:
                await close()
        await self.http.aclose()


def build_services(settings: Settings) -> Services:
    """Adapters for ``settings``. The HTTP client never follows redirects (webhook targets must not bounce
    us elsewhere) and times out after 10 s."""
    from fixdesk.integrations.email import build_email_provider
    from fixdesk.integrations.sms import build_sms_provider
    from fixdesk.platform.realtime import build_broker
    from fixdesk.platform.storage import build_storage

    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        verify=default_ssl_context(),
    )
    return Services(
        settings=settings,
        http=http,
        email=build_email_provider(settings, http),
        sms=build_sms_provider(settings, http),
        realtime=build_broker(settings),
        storage=build_storage(settings),
    )
