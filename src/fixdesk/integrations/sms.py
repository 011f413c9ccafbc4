"""SMS and WhatsApp providers: ``file`` (default: one ``.json`` per message in ``<data dir>/outbox/sms/``)
and ``twilio`` (Programmable Messaging's Messages API over httpx).

Also :func:`verify_twilio_signature`, which checks the ``X-Twilio-Signature`` of Twilio's status callbacks.
A provider that does not accept a message raises :class:`~fixdesk.integrations.errors.ProviderError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import quote

import httpx
from twilio.request_validator import RequestValidator

from fixdesk.config import ConfigurationError, Settings
from fixdesk.db import utcnow
from fixdesk.integrations.errors import MAX_BODY_CHARACTERS, ProviderError, http_status_is_retryable
from fixdesk.integrations.outbox import outbox_file_name, write_outbox_file

__all__ = [
    "FileSmsProvider",
    "ProviderError",
    "SmsMessage",
    "SmsProvider",
    "TwilioSmsProvider",
    "build_sms_provider",
    "verify_twilio_signature",
]

WHATSAPP_PREFIX = "whatsapp:"


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
    """Writes each message as JSON into ``<outbox>/sms/<UTC time>-<reference>.json`` (e.g.
    ``20261206T153012.123456Z-….json``, see :mod:`fixdesk.integrations.outbox`), so the files sort by the
    time they were written. ``clock`` (default now) gives that time."""

    name = "file"

    def __init__(self, outbox: Path, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.outbox = outbox / "sms"
        self.clock = clock

    async def send(self, message: SmsMessage) -> str:
        path = self.outbox / outbox_file_name(message.reference, ".json", self.clock())
        await write_outbox_file(path, json.dumps(asdict(message), indent=2).encode())
        return f"file-{message.reference}"


class TwilioSmsProvider:
    """Sends SMS and WhatsApp messages with ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``
    (form-encoded, HTTP basic auth with the Account SID and Auth Token); returns the message's ``SM…`` sid.

    WhatsApp messages go to ``whatsapp:<number>`` from ``whatsapp:<twilio_whatsapp_from>``, as Twilio
    expects. ``StatusCallback`` is sent when the message has one, so Twilio reports delivery to us.
    """

    name = "twilio"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        from_number: str | None = None,
        whatsapp_from: str | None = None,
    ) -> None:
        self.http = http
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
        self.from_number = from_number
        self.whatsapp_from = whatsapp_from

    def form(self, message: SmsMessage) -> dict[str, str]:
        """The form fields for ``message``. Raises :class:`ProviderError` when the channel has no sender."""
        if message.channel == "whatsapp":
            if not self.whatsapp_from:
                raise ProviderError(self.name, "WhatsApp needs FIXDESK_TWILIO_WHATSAPP_FROM", retryable=False)
            fields = {"To": _whatsapp(message.to), "From": _whatsapp(self.whatsapp_from)}
        else:
            if not self.from_number:
                raise ProviderError(self.name, "SMS needs FIXDESK_TWILIO_FROM_NUMBER", retryable=False)
            fields = {"To": message.to, "From": self.from_number}
        fields["Body"] = message.body
        if message.status_callback:
            fields["StatusCallback"] = message.status_callback
        return fields

    async def send(self, message: SmsMessage) -> str:
        """Send ``message``; return Twilio's message sid. Raises :class:`ProviderError`."""
        form = self.form(message)
        try:
            response = await self.http.post(
                self.url, data=form, auth=httpx.BasicAuth(self.account_sid, self.auth_token)
            )
        except httpx.HTTPError as exc:
            raise ProviderError(self.name, f"request failed: {exc!r}", retryable=True) from exc
        if response.is_success:
            try:
                sid = response.json().get("sid")
            except (ValueError, AttributeError):
                sid = None
            if not sid:
                # Twilio took it but said nothing usable; sending again would duplicate the message.
                raise ProviderError(
                    self.name,
                    f"HTTP {response.status_code} without a message sid",
                    status=response.status_code,
                    body=response.text[:MAX_BODY_CHARACTERS],
                    retryable=False,
                )
            return str(sid)
        code, text = _twilio_error(response)
        raise ProviderError(
            self.name,
            f"HTTP {response.status_code}" + (f", error {code}" if code is not None else "") + f": {text}",
            status=response.status_code,
            code=code,
            body=response.text[:MAX_BODY_CHARACTERS],
            retryable=http_status_is_retryable(response.status_code),
        )


def _whatsapp(number: str) -> str:
    return number if number.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + number


def _twilio_error(response: httpx.Response) -> tuple[int | str | None, str]:
    """Twilio's ``code`` and ``message`` from its JSON error body (or the raw body if it is not JSON)."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        return payload.get("code"), str(payload.get("message") or response.reason_phrase)
    return None, response.text[:200] or response.reason_phrase


def verify_twilio_signature(url: str, params: dict[str, str], signature: str, auth_token: str) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's signature of a request to
    ``url`` with form ``params``: base64(HMAC-SHA1(auth token, url + each sorted name and its value)).

    ``url`` must be the full URL Twilio called, query string included, exactly as configured in the
    ``StatusCallback`` (Twilio's validator also accepts it with or without the default port).
    """
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def build_sms_provider(settings: Settings, http: httpx.AsyncClient) -> SmsProvider:
    """The provider ``FIXDESK_SMS_PROVIDER`` names, using the process's shared HTTP client.

    Raises :class:`ConfigurationError` when Twilio is chosen without credentials or any sender number.
    """
    if settings.sms_provider == "twilio":
        if not settings.twilio_account_sid or settings.twilio_auth_token is None:
            raise ConfigurationError(
                "FIXDESK_SMS_PROVIDER=twilio needs FIXDESK_TWILIO_ACCOUNT_SID and FIXDESK_TWILIO_AUTH_TOKEN."
            )
        if not (settings.twilio_from_number or settings.twilio_whatsapp_from):
            raise ConfigurationError(
                "FIXDESK_SMS_PROVIDER=twilio needs FIXDESK_TWILIO_FROM_NUMBER (SMS) and/or "
                "FIXDESK_TWILIO_WHATSAPP_FROM (WhatsApp)."
            )
        return TwilioSmsProvider(
            http,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            base_url=settings.twilio_base_url,
            from_number=settings.twilio_from_number,
            whatsapp_from=settings.twilio_whatsapp_from,
        )
    return FileSmsProvider(settings.outbox_dir)
