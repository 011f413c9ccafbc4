"""Email providers: ``file`` (default: one ``.eml`` per message in ``<data dir>/outbox/``), ``smtp``
(aiosmtplib: STARTTLS, implicit TLS or plain, optional AUTH) and ``sendgrid`` (v3 ``mail/send`` over httpx).

Every message carries a ``Message-ID`` chosen by the caller (derived from the notification id), so a
message sent twice after a crash reaches the receiver with the same id and can be dropped as a duplicate.
A provider that does not accept a message raises :class:`~fixdesk.integrations.errors.ProviderError`.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import EmailMessage as MimeMessage
from email.policy import EmailPolicy
from email.utils import formataddr, formatdate, getaddresses, parseaddr
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosmtplib
import httpx

from fixdesk.config import ConfigurationError, Settings
from fixdesk.db import utcnow
from fixdesk.integrations.errors import MAX_BODY_CHARACTERS, ProviderError, http_status_is_retryable
from fixdesk.integrations.outbox import outbox_file_name, write_outbox_file

__all__ = [
    "EmailAttachment",
    "EmailMessage",
    "EmailProvider",
    "FileEmailProvider",
    "ProviderError",
    "SendGridEmailProvider",
    "SmtpEmailProvider",
    "build_email_provider",
    "email_batch",
]

SMTP_TIMEOUT_SECONDS = 30.0


class _MessagePolicy(EmailPolicy):
    """The standard policy, except that ``Message-ID`` is never folded.

    A Message-ID longer than about 64 characters would otherwise be written as ``Message-ID:`` followed by
    the id on a continuation line; that is valid, but parsers (Python's among them) then report the id with
    a leading space, and a receiver comparing ids to drop duplicates would see two different ones.
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "message-id":
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "message-id":
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


MESSAGE_POLICY = _MessagePolicy()


@dataclass(frozen=True)
class EmailAttachment:
    """A file attached to an email: its name as the receiver sees it, its MIME type (``application/pdf``)
    and its bytes."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class EmailMessage:
    """One email: plain text and optional HTML alternative, and optional attached files (an invoice's
    PDF). ``message_id`` is ``<…@…>``."""

    to: str
    subject: str
    text: str
    message_id: str
    html: str | None = None
    sender: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[EmailAttachment, ...] = ()

    def to_mime(self, default_sender: str) -> MimeMessage:
        """The RFC 5322 message (multipart/alternative when there is HTML; multipart/mixed around it, with
        one base64 part per file, when there are attachments)."""
        mime = MimeMessage(policy=MESSAGE_POLICY)
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
        for attachment in self.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            mime.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return mime


class EmailProvider(Protocol):
    """Sends one email; returns the provider's id for it. Raises on failure (the job retries)."""

    name: str

    async def send(self, message: EmailMessage) -> str: ...


class FileEmailProvider:
    """Writes each message as ``<outbox>/<UTC time>-<Message-ID>.eml`` (e.g.
    ``20261206T153012.123456Z-….eml``, see :mod:`fixdesk.integrations.outbox`), so the files sort by the
    time they were written: the embedded mode's viewable outbox. ``clock`` (default now) gives that time."""

    name = "file"

    def __init__(self, outbox: Path, default_sender: str, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.outbox = outbox
        self.default_sender = default_sender
        self.clock = clock

    async def send(self, message: EmailMessage) -> str:
        mime = message.to_mime(self.default_sender)
        path = self.outbox / outbox_file_name(message.message_id, ".eml", self.clock())
        await write_outbox_file(path, bytes(mime))
        return path.name


class SmtpEmailProvider:
    """Delivers over SMTP with aiosmtplib. ``security`` is ``starttls`` (upgrade a plain connection, and
    fail rather than send in clear text when the server does not offer it), ``tls`` (TLS from the first
    byte, usually port 465) or ``none``. AUTH is used when a username is configured.

    Returns the message's own ``Message-ID``: SMTP has no provider id, and that header is what the
    receiver sees.
    """

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        default_sender: str,
        security: Literal["starttls", "tls", "none"] = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.default_sender = default_sender
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        # None = the system's trusted CAs with hostname checks; tests pass a context trusting their own CA.
        self.tls_context = tls_context

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SmtpEmailProvider:
        """The provider the ``FIXDESK_SMTP_*`` settings describe."""
        values: dict[str, Any] = {
            "host": settings.smtp_host,
            "port": settings.smtp_port,
            "default_sender": settings.email_from,
            "security": settings.smtp_security,
            "username": settings.smtp_username,
            "password": settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        }
        values.update(overrides)
        return cls(**values)

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Callable[[EmailMessage], Awaitable[str]]]:
        """One SMTP connection (TLS and AUTH done once) for many messages: yields ``send(message)``, which
        delivers one message over it and returns its ``Message-ID`` (bulk mail such as a campaign, where a
        connection per message would cost a TCP and TLS handshake each). A refused message raises
        :class:`ProviderError` and leaves the connection usable (aiosmtplib resets the transaction); a lost
        connection is reopened once for the next message. The connection is closed with ``QUIT`` at the
        end of the block."""
        client: aiosmtplib.SMTP | None = None

        async def connect() -> aiosmtplib.SMTP:
            smtp = aiosmtplib.SMTP(
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password if self.username else None,
                start_tls=self.security == "starttls",
                use_tls=self.security == "tls",
                timeout=self.timeout,
                tls_context=self.tls_context,
            )
            try:
                await smtp.connect()
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise ProviderError(
                    self.name, f"cannot deliver via {self.host}:{self.port}: {exc}", retryable=True
                ) from exc
            return smtp

        async def send(message: EmailMessage) -> str:
            nonlocal client
            raw, sender, recipients = self._envelope(message, fast=not message.attachments)
            if client is None or not client.is_connected:
                client = await connect()
            await self._transmit(client.sendmail(sender, recipients, raw))
            return message.message_id

        try:
            yield send
        finally:
            if client is not None and client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                    await client.quit()

    def _envelope(self, message: EmailMessage, *, fast: bool = False) -> tuple[bytes, str, list[str]]:
        """The flattened message, the envelope sender and the recipients' addresses (``fast``: written by
        :func:`plain_mime_bytes`, for bulk mail without attachments)."""
        if fast:
            raw = plain_mime_bytes(message, self.default_sender)
            sender = _envelope_address(message.sender or self.default_sender)
        else:
            mime = message.to_mime(self.default_sender)
            # Flattened here rather than by aiosmtplib, whose own policy would fold the Message-ID. 7-bit
            # transfer encodings (quoted-printable/base64 for non-ASCII text) suit every server.
            raw = mime.as_bytes(policy=mime.policy.clone(linesep="\r\n", cte_type="7bit"))
            sender = parseaddr(str(mime["From"]))[1]
        if _PLAIN_ADDRESS.fullmatch(message.to):  # the usual bulk case: a bare address, nothing to parse
            recipients = [message.to]
        else:
            recipients = [address for _, address in getaddresses([message.to]) if address]
        if not recipients:
            raise ProviderError(self.name, f"no recipient address in {message.to!r}", retryable=False)
        return raw, sender, recipients

    async def _transmit(self, sending: Awaitable[Any]) -> None:
        """Await one SMTP transaction, turning aiosmtplib's errors into :class:`ProviderError`."""
        try:
            await sending
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            raise ProviderError(
                self.name,
                "recipient refused: " + "; ".join(f"{r.code} {r.message}" for r in exc.recipients),
                status=codes[0] if codes else None,
                retryable=any(code < 500 for code in codes),
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise ProviderError(
                self.name,
                f"server replied {exc.code} {exc.message}",
                status=exc.code,
                # 4xx replies are transient by definition (RFC 5321 4.2.1); 5xx are final.
                retryable=exc.code < 500,
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise ProviderError(
                self.name, f"cannot deliver via {self.host}:{self.port}: {exc}", retryable=True
            ) from exc

    async def send(self, message: EmailMessage) -> str:
        """Send ``message``; return its ``Message-ID``. Raises :class:`ProviderError`."""
        raw, sender, recipients = self._envelope(message)
        await self._transmit(
            aiosmtplib.send(
                raw,
                sender=sender,
                recipients=recipients,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password if self.username else None,
                # False, not None: None would let aiosmtplib upgrade opportunistically, and "none" means none.
                start_tls=self.security == "starttls",
                use_tls=self.security == "tls",
                timeout=self.timeout,
                tls_context=self.tls_context,
            )
        )
        return message.message_id


# Headers SendGrid's v3 API refuses in "headers"; its own fields carry To/From/Subject/Reply-To/content.
SENDGRID_RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "Content-Type",
        "Content-Transfer-Encoding",
        "To",
        "From",
        "Subject",
        "Reply-To",
        "CC",
        "BCC",
    )
)


class SendGridEmailProvider:
    """Sends through SendGrid's v3 ``POST /v3/mail/send``; returns SendGrid's ``X-Message-Id``.

    The caller's ``Message-ID`` travels in ``headers`` (not one of SendGrid's reserved headers), so a
    duplicate sent after a crash can still be recognised by the receiver.
    """

    name = "sendgrid"

    def __init__(self, http: httpx.AsyncClient, *, api_key: str, base_url: str, default_sender: str) -> None:
        self.http = http
        self.api_key = api_key
        self.url = base_url.rstrip("/") + "/v3/mail/send"
        self.default_sender = default_sender

    def request_body(self, message: EmailMessage) -> dict[str, Any]:
        """The JSON body for ``message`` per SendGrid's v3 mail/send reference."""
        body: dict[str, Any] = {
            "personalizations": [{"to": [_sendgrid_address(message.to)]}],
            "from": _sendgrid_address(message.sender or self.default_sender),
            "subject": message.subject,
            # SendGrid requires text/plain first, then text/html.
            "content": [{"type": "text/plain", "value": message.text}],
        }
        if message.html:
            body["content"].append({"type": "text/html", "value": message.html})
        if message.attachments:
            body["attachments"] = [
                {
                    "content": base64.b64encode(attachment.content).decode("ascii"),
                    "type": attachment.content_type,
                    "filename": attachment.filename,
                    "disposition": "attachment",
                }
                for attachment in message.attachments
            ]
        headers = {"Message-ID": message.message_id}
        for name, value in message.headers.items():
            if name.lower() == "reply-to":
                body["reply_to"] = _sendgrid_address(value)
            elif name.lower() not in SENDGRID_RESERVED_HEADERS:
                headers[name] = value
        body["headers"] = headers
        return body

    async def send(self, message: EmailMessage) -> str:
        """Send ``message``; return SendGrid's message id. Raises :class:`ProviderError`."""
        try:
            response = await self.http.post(
                self.url,
                json=self.request_body(message),
                headers={"Authorization": f"Bearer {self.api_key}"},
            )
        except httpx.HTTPError as exc:
            raise ProviderError(self.name, f"request failed: {exc!r}", retryable=True) from exc
        if response.status_code == 202:
            # Always present on a 202; the fallback only keeps a provider id in the record if it is not.
            return response.headers.get("X-Message-Id") or message.message_id
        raise ProviderError(
            self.name,
            f"HTTP {response.status_code}: {_sendgrid_error_text(response)}",
            status=response.status_code,
            body=response.text[:MAX_BODY_CHARACTERS],
            retryable=http_status_is_retryable(response.status_code),
        )


def _sendgrid_address(value: str) -> dict[str, str]:
    """``"Name <a@b>"`` → ``{"email": "a@b", "name": "Name"}`` (no ``name`` when there is none)."""
    name, address = parseaddr(value)
    result = {"email": address or value}
    if name:
        result["name"] = name
    return result


def _sendgrid_error_text(response: httpx.Response) -> str:
    """SendGrid's ``errors[].message`` joined, or the raw body when it is not the documented JSON."""
    try:
        errors = response.json().get("errors") or []
        messages = [str(error.get("message")) for error in errors if isinstance(error, dict)]
    except (ValueError, AttributeError):
        messages = []
    return "; ".join(messages) or response.text[:200] or response.reason_phrase


def _header(value: str) -> str:
    """A header value on one line: RFC 2047-encoded when it is not ASCII (CR and LF never pass)."""
    value = " ".join(value.replace("\r", " ").replace("\n", " ").split())
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(maxlinelen=10_000)


_PLAIN_ADDRESS = re.compile(r"[^\s<>@,;:\"()\[\]]+@[^\s<>@,;:\"()\[\]]+")


@functools.lru_cache(maxsize=256)
def _envelope_address(value: str) -> str:
    return parseaddr(value)[1]


@functools.lru_cache(maxsize=256)
def _address_header(value: str) -> str:
    if value.isascii() and _PLAIN_ADDRESS.fullmatch(value):
        return value
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def _base64_lines(text: str) -> str:
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "\r\n".join(encoded[start : start + 76] for start in range(0, len(encoded), 76))


def plain_mime_bytes(message: EmailMessage, default_sender: str) -> bytes:
    """``message`` (no attachments) as RFC 5322 bytes with CRLF line ends, written directly: text and
    optional HTML as a ``multipart/alternative`` of two base64 UTF-8 parts. What :meth:`EmailMessage.to_mime`
    builds, about fifty times faster than the ``email`` package's generator, for bulk sends (a campaign's
    thousands of messages) where that generator would be most of the CPU time."""
    headers = [
        f"From: {_address_header(message.sender or default_sender)}",
        f"To: {_address_header(message.to)}",
        f"Subject: {_header(message.subject)}",
        f"Message-ID: {message.message_id}",
        f"Date: {formatdate(localtime=False, usegmt=True)}",
        "MIME-Version: 1.0",
    ]
    headers.extend(f"{name}: {_header(value)}" for name, value in message.headers.items())
    text_part = 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    if not message.html:
        return ("\r\n".join(headers) + "\r\n" + text_part + _base64_lines(message.text) + "\r\n").encode(
            "ascii"
        )
    boundary = "=_fixdesk_" + base64.b32encode(os.urandom(10)).decode("ascii")
    headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    body = (
        f"--{boundary}\r\n{text_part}{_base64_lines(message.text)}\r\n"
        f'--{boundary}\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{_base64_lines(message.html)}\r\n--{boundary}--\r\n"
    )
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("ascii")


@contextlib.asynccontextmanager
async def email_batch(provider: EmailProvider) -> AsyncIterator[Callable[[EmailMessage], Awaitable[str]]]:
    """``send(message)`` for many messages in a row: over one connection where the provider has a
    ``batch()`` (SMTP), else the provider's own ``send`` (the file outbox, SendGrid's HTTP API over the
    process's pooled client)."""
    batch = getattr(provider, "batch", None)
    if batch is None:
        yield provider.send
        return
    async with batch() as send:
        yield send


def build_email_provider(settings: Settings, http: httpx.AsyncClient) -> EmailProvider:
    """The provider ``FIXDESK_EMAIL_PROVIDER`` names, using the process's shared HTTP client.

    Raises :class:`ConfigurationError` when SendGrid is chosen without an API key.
    """
    if settings.email_provider == "smtp":
        return SmtpEmailProvider.from_settings(settings)
    if settings.email_provider == "sendgrid":
        if settings.sendgrid_api_key is None:
            raise ConfigurationError("FIXDESK_EMAIL_PROVIDER=sendgrid needs FIXDESK_SENDGRID_API_KEY.")
        return SendGridEmailProvider(
            http,
            api_key=settings.sendgrid_api_key.get_secret_value(),
            base_url=settings.sendgrid_base_url,
            default_sender=settings.email_from,
        )
    return FileEmailProvider(settings.outbox_dir, settings.email_from)
