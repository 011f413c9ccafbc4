"""Email providers against real receivers: the outbox directory, an aiosmtpd server and a SendGrid fake."""

from __future__ import annotations

import base64
import email
import email.policy
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fixdesk.config import ConfigurationError, Settings
from fixdesk.integrations.email import (
    EmailAttachment,
    EmailMessage,
    FileEmailProvider,
    ProviderError,
    SendGridEmailProvider,
    SmtpEmailProvider,
    build_email_provider,
)
from tests.support.fake_providers import FakeSendGrid
from tests.support.smtp_sink import SmtpSink, TestCertificate

SENDER = "Fixdesk Demo Repair <no-reply@example.com>"


def a_message(**overrides: Any) -> EmailMessage:
    values: dict[str, Any] = {
        "to": "ana.silva@example.com",
        "subject": "Your repair R-2026-000042 is ready for pickup",
        "text": "Hello Ana,\n\nyour iPhone 13 is ready. Total: 89.90 EUR.\n",
        "html": "<p>Hello Ana,</p><p>your <b>iPhone 13</b> is ready. Total: 89.90 EUR.</p>",
        "message_id": "<notification-0193f1c2-7a44-7d2e-9f10-3c5e8a1b2c3d@fixdesk.example>",
    }
    values.update(overrides)
    return EmailMessage(**values)


def text_and_html(message: email.message.EmailMessage) -> tuple[str, str | None]:
    """The text and HTML parts' content, without the final newline MIME text parts always end with."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    return plain.get_content().rstrip("\n"), html.get_content().rstrip("\n") if html is not None else None


def expected_text_and_html(message: EmailMessage) -> tuple[str, str | None]:
    return message.text.rstrip("\n"), message.html.rstrip("\n") if message.html else None


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- file ---------------------------------------------------------------------------------------------


async def test_file_provider_writes_a_parseable_eml_with_text_and_html(
    provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    settings = provider_settings()
    provider = build_email_provider(settings, http)
    assert isinstance(provider, FileEmailProvider)
    message = a_message()

    name = await provider.send(message)

    files = sorted(settings.outbox_dir.glob("*.eml"))
    assert [path.name for path in files] == [name]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["From"] == SENDER
    assert parsed["To"] == message.to
    assert parsed["Subject"] == message.subject
    assert parsed["Message-ID"] == message.message_id
    assert parsed.get_content_type() == "multipart/alternative"
    assert text_and_html(parsed) == expected_text_and_html(message)
    assert not list(settings.outbox_dir.glob("*.tmp"))


async def test_file_provider_writes_plain_text_only_mail_and_one_file_per_message(
    provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    settings = provider_settings()
    provider = build_email_provider(settings, http)

    await provider.send(a_message(html=None, sender="Oficina <oficina@example.pt>"))
    await provider.send(a_message(html=None, message_id="<second@fixdesk.example>"))

    parsed = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(settings.outbox_dir.glob("*.eml"))
    ]
    assert sorted(item["Message-ID"] for item in parsed) == sorted(
        [a_message().message_id, "<second@fixdesk.example>"]
    )
    assert {item.get_content_type() for item in parsed} == {"text/plain"}
    assert {item["From"] for item in parsed} == {"Oficina <oficina@example.pt>", SENDER}


# --- SMTP ---------------------------------------------------------------------------------------------


async def test_smtp_delivers_without_tls_and_keeps_the_message_id(
    smtp_sink: SmtpSink, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**smtp_sink.settings()), http)
    assert isinstance(provider, SmtpEmailProvider)
    message = a_message()

    provider_id = await provider.send(message)

    [received] = await smtp_sink.wait_for(1)
    assert provider_id == message.message_id
    assert received.message_id == message.message_id
    assert received.mail_from == "no-reply@example.com"
    assert received.rcpt_tos == ["ana.silva@example.com"]
    assert received.message["Subject"] == message.subject
    assert received.message["From"] == SENDER
    assert text_and_html(received.message) == expected_text_and_html(message)
    assert received.encrypted is False
    assert received.authenticated_as is None


PDF_BYTES = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


async def test_smtp_delivers_an_attachment_byte_for_byte_beside_the_text_and_html(
    smtp_sink: SmtpSink, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**smtp_sink.settings()), http)
    message = a_message(
        attachments=(EmailAttachment("INV-2026-000001.pdf", "application/pdf", PDF_BYTES),),
    )

    await provider.send(message)

    [received] = await smtp_sink.wait_for(1)
    assert received.message.get_content_type() == "multipart/mixed"
    assert text_and_html(received.message) == expected_text_and_html(message)
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "INV-2026-000001.pdf"
    assert attachment.get_content() == PDF_BYTES


async def test_smtp_delivers_portuguese_text_intact(
    smtp_sink: SmtpSink, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**smtp_sink.settings()), http)
    message = a_message(
        to="João Gonçalves <joao@example.pt>",
        subject="A sua reparação R-2026-000042 está pronta",
        text="Olá João,\n\na reparação do seu telemóvel está concluída. Total: 89,90 €.\n",
        html="<p>Olá João,</p><p>a reparação do seu telemóvel está concluída. Total: 89,90 €.</p>",
    )

    await provider.send(message)

    [received] = await smtp_sink.wait_for(1)
    assert received.rcpt_tos == ["joao@example.pt"]
    assert received.message["To"] == message.to
    assert received.message["Subject"] == message.subject
    assert text_and_html(received.message) == expected_text_and_html(message)
    assert received.raw.isascii()  # 7-bit transfer encodings: any server relays it unchanged


@pytest.mark.parametrize(
    "smtp_sink", [{"username": "shop@example.com", "password": "s3cret!"}], indirect=True
)
async def test_smtp_authenticates_with_the_configured_login(
    smtp_sink: SmtpSink, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    assert smtp_sink.settings()["smtp_username"] == "shop@example.com"
    provider = build_email_provider(provider_settings(**smtp_sink.settings()), http)

    await provider.send(a_message())

    [received] = await smtp_sink.wait_for(1)
    assert received.authenticated_as == "shop@example.com"
    assert received.message_id == a_message().message_id
    assert smtp_sink.failed_logins == []


@pytest.mark.parametrize(
    "smtp_sink", [{"username": "shop@example.com", "password": "s3cret!"}], indirect=True
)
async def test_smtp_wrong_password_or_no_login_is_a_permanent_error(
    smtp_sink: SmtpSink, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    wrong = build_email_provider(
        provider_settings(**{**smtp_sink.settings(), "smtp_password": "guess"}), http
    )
    with pytest.raises(ProviderError) as refused:
        await wrong.send(a_message())
    assert refused.value.status == 535
    assert refused.value.retryable is False
    # aiosmtplib tries each mechanism the server offers (PLAIN, LOGIN) before giving up.
    assert set(smtp_sink.failed_logins) == {"shop@example.com"}

    anonymous = build_email_provider(
        provider_settings(**{**smtp_sink.settings(), "smtp_username": None, "smtp_password": None}), http
    )
    with pytest.raises(ProviderError) as unauthenticated:
        await anonymous.send(a_message())
    assert unauthenticated.value.status == 530
    assert smtp_sink.messages == []


async def test_smtp_starttls_with_auth_encrypts_before_sending(
    smtp_sink_factory: Callable[..., SmtpSink],
    tls_certificate: TestCertificate,
    provider_settings: Callable[..., Settings],
) -> None:
    sink = smtp_sink_factory(
        security="starttls", certificate=tls_certificate, username="relay", password="pw-1"
    )
    provider = SmtpEmailProvider.from_settings(
        provider_settings(**sink.settings()), tls_context=tls_certificate.client_context()
    )
    assert provider.security == "starttls"

    await provider.send(a_message())

    [received] = await sink.wait_for(1)
    assert received.encrypted is True
    assert received.authenticated_as == "relay"
    assert received.message_id == a_message().message_id


async def test_smtp_implicit_tls_delivers_encrypted(
    smtp_sink_factory: Callable[..., SmtpSink],
    tls_certificate: TestCertificate,
    provider_settings: Callable[..., Settings],
) -> None:
    sink = smtp_sink_factory(security="tls", certificate=tls_certificate)
    provider = SmtpEmailProvider.from_settings(
        provider_settings(**sink.settings()), tls_context=tls_certificate.client_context()
    )

    await provider.send(a_message())

    [received] = await sink.wait_for(1)
    assert received.encrypted is True


async def test_smtp_tls_refuses_an_untrusted_certificate(
    smtp_sink_factory: Callable[..., SmtpSink],
    tls_certificate: TestCertificate,
    provider_settings: Callable[..., Settings],
) -> None:
    sink = smtp_sink_factory(security="tls", certificate=tls_certificate)
    # The system's CAs do not include the test certificate.
    provider = SmtpEmailProvider.from_settings(provider_settings(**sink.settings()))

    with pytest.raises(ProviderError):
        await provider.send(a_message())
    assert sink.messages == []


async def test_smtp_starttls_never_falls_back_to_clear_text(
    smtp_sink: SmtpSink, provider_settings: Callable[..., Settings]
) -> None:
    # The sink offers no STARTTLS; a provider configured for it must not send in clear text instead.
    provider = SmtpEmailProvider.from_settings(
        provider_settings(**{**smtp_sink.settings(), "smtp_security": "starttls"})
    )

    with pytest.raises(ProviderError):
        await provider.send(a_message())
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    ("reply", "status", "retryable"),
    [("451 4.3.0 Try again later", 451, True), ("554 5.7.1 Message rejected", 554, False)],
)
async def test_smtp_error_replies_raise_with_the_code(
    smtp_sink: SmtpSink,
    provider_settings: Callable[..., Settings],
    http: httpx.AsyncClient,
    reply: str,
    status: int,
    retryable: bool,
) -> None:
    provider = build_email_provider(provider_settings(**smtp_sink.settings()), http)
    smtp_sink.fail_next(1, reply)

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert failure.value.status == status
    assert failure.value.retryable is retryable
    assert smtp_sink.messages == []

    await provider.send(a_message())
    assert smtp_sink.message_ids() == [a_message().message_id]


async def test_smtp_unreachable_server_is_retryable(provider_settings: Callable[..., Settings]) -> None:
    provider = SmtpEmailProvider.from_settings(
        provider_settings(smtp_port=closed_port(), smtp_security="none"), timeout=5.0
    )

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert failure.value.retryable is True


# --- SendGrid -----------------------------------------------------------------------------------------


async def test_sendgrid_posts_the_documented_json_with_the_bearer_key(
    fake_sendgrid: FakeSendGrid, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**fake_sendgrid.settings()), http)
    assert isinstance(provider, SendGridEmailProvider)
    message = a_message(
        to="Ana Silva <ana.silva@example.com>",
        headers={"Reply-To": "Front desk <desk@example.com>", "X-Fixdesk-Notification": "0193f1c2"},
    )

    provider_id = await provider.send(message)

    [request] = fake_sendgrid.requests
    assert request.method == "POST"
    assert request.path == "/v3/mail/send"
    assert request.headers["authorization"] == f"Bearer {fake_sendgrid.api_key}"
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "personalizations": [{"to": [{"email": "ana.silva@example.com", "name": "Ana Silva"}]}],
        "from": {"email": "no-reply@example.com", "name": "Fixdesk Demo Repair"},
        "reply_to": {"email": "desk@example.com", "name": "Front desk"},
        "subject": message.subject,
        "content": [
            {"type": "text/plain", "value": message.text},
            {"type": "text/html", "value": message.html},
        ],
        "headers": {"Message-ID": message.message_id, "X-Fixdesk-Notification": "0193f1c2"},
    }
    [accepted] = fake_sendgrid.emails
    assert provider_id == accepted["_message_id"]


async def test_sendgrid_plain_text_mail_has_one_content_block(
    fake_sendgrid: FakeSendGrid, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**fake_sendgrid.settings()), http)

    await provider.send(a_message(html=None))

    [request] = fake_sendgrid.requests
    assert request.json["content"] == [{"type": "text/plain", "value": a_message().text}]
    assert request.json["personalizations"] == [{"to": [{"email": "ana.silva@example.com"}]}]


async def test_sendgrid_wrong_key_is_a_permanent_error(
    fake_sendgrid: FakeSendGrid, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(
        provider_settings(**{**fake_sendgrid.settings(), "sendgrid_api_key": "SG.revoked"}), http
    )

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert failure.value.status == 401
    assert failure.value.retryable is False
    assert "authorization grant is invalid" in str(failure.value)
    assert fake_sendgrid.emails == []


async def test_sendgrid_rejected_request_raises_with_its_errors(
    fake_sendgrid: FakeSendGrid, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**fake_sendgrid.settings()), http)

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message(subject=""))
    assert failure.value.status == 400
    assert failure.value.retryable is False
    assert "The subject is required" in str(failure.value)
    assert '"field": "subject"' in (failure.value.body or "")


async def test_sendgrid_server_error_is_retryable_and_the_retry_is_identical(
    fake_sendgrid: FakeSendGrid, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**fake_sendgrid.settings()), http)
    fake_sendgrid.fail_next(1, 503)

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert failure.value.status == 503
    assert failure.value.retryable is True

    provider_id = await provider.send(a_message())
    first, second = fake_sendgrid.requests
    assert first.json == second.json
    assert second.json["headers"]["Message-ID"] == a_message().message_id
    assert provider_id == fake_sendgrid.emails[0]["_message_id"]


async def test_sendgrid_unreachable_is_retryable(
    provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(
        provider_settings(
            email_provider="sendgrid",
            sendgrid_api_key="SG.key",
            sendgrid_base_url=f"http://127.0.0.1:{closed_port()}",
        ),
        http,
    )

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert failure.value.retryable is True
    assert failure.value.status is None


async def test_sendgrid_without_an_api_key_is_a_configuration_error(
    provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    with pytest.raises(ConfigurationError, match="FIXDESK_SENDGRID_API_KEY"):
        build_email_provider(provider_settings(email_provider="sendgrid"), http)


async def test_sendgrid_sends_attachments_base64_encoded(
    fake_sendgrid: FakeSendGrid, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_email_provider(provider_settings(**fake_sendgrid.settings()), http)
    message = a_message(attachments=(EmailAttachment("INV-2026-000001.pdf", "application/pdf", PDF_BYTES),))

    await provider.send(message)

    [request] = fake_sendgrid.requests
    [attachment] = request.json["attachments"]
    assert attachment["type"] == "application/pdf"
    assert attachment["filename"] == "INV-2026-000001.pdf"
    assert attachment["disposition"] == "attachment"
    assert base64.b64decode(attachment["content"]) == PDF_BYTES
