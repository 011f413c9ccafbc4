"""SMS/WhatsApp providers against the outbox directory and a server answering as Twilio's Messages API,
and the verification of Twilio's callback signatures."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import httpx
import pytest

from fixdesk.config import ConfigurationError, Settings
from fixdesk.integrations.sms import (
    FileSmsProvider,
    ProviderError,
    SmsMessage,
    TwilioSmsProvider,
    build_sms_provider,
    verify_twilio_signature,
)
from tests.support.fake_providers import FakeTwilio, twilio_signature

CALLBACK = "https://shop.example.com/api/v1/webhooks/twilio/status?notification=0193f1c2"


def a_message(**overrides: Any) -> SmsMessage:
    values: dict[str, Any] = {
        "to": "+351912345678",
        "body": "Fixdesk: your repair R-2026-000042 is ready for pickup.",
        "reference": "0193f1c2-7a44-7d2e-9f10-3c5e8a1b2c3d",
    }
    values.update(overrides)
    return SmsMessage(**values)


# --- file ---------------------------------------------------------------------------------------------


async def test_file_provider_writes_one_json_file_per_message(
    provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    settings = provider_settings()
    provider = build_sms_provider(settings, http)
    assert isinstance(provider, FileSmsProvider)
    message = a_message(channel="whatsapp", status_callback=CALLBACK)

    provider_id = await provider.send(message)

    [path] = (settings.outbox_dir / "sms").glob("*.json")
    assert path.name.endswith(f"Z-{message.reference}.json")
    assert json.loads(path.read_text()) == asdict(message)
    assert provider_id == f"file-{message.reference}"


# --- Twilio -------------------------------------------------------------------------------------------


async def test_twilio_sends_the_documented_form_with_basic_auth(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_sms_provider(provider_settings(**fake_twilio.settings()), http)
    assert isinstance(provider, TwilioSmsProvider)
    message = a_message(status_callback=CALLBACK)

    sid = await provider.send(message)

    [request] = fake_twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert request.basic_auth == (fake_twilio.account_sid, fake_twilio.auth_token)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": "+351912345678",
        "From": fake_twilio.from_number,
        "Body": message.body,
        "StatusCallback": CALLBACK,
    }
    [created] = fake_twilio.messages
    assert sid == created["sid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)


async def test_twilio_omits_status_callback_when_there_is_none(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_sms_provider(provider_settings(**fake_twilio.settings()), http)

    await provider.send(a_message())

    [request] = fake_twilio.requests
    assert set(request.form) == {"To", "From", "Body"}


@pytest.mark.parametrize("to", ["+351912345678", "whatsapp:+351912345678"])
async def test_twilio_whatsapp_prefixes_to_and_from(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient, to: str
) -> None:
    provider = build_sms_provider(provider_settings(**fake_twilio.settings()), http)

    sid = await provider.send(a_message(to=to, channel="whatsapp", status_callback=CALLBACK))

    [request] = fake_twilio.requests
    assert request.form["To"] == "whatsapp:+351912345678"
    assert request.form["From"] == f"whatsapp:{fake_twilio.whatsapp_from}"
    assert request.form["StatusCallback"] == CALLBACK
    assert sid == fake_twilio.messages[0]["sid"]


async def test_twilio_invalid_number_raises_with_twilios_error_code(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_sms_provider(provider_settings(**fake_twilio.settings()), http)

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message(to="912 345"))
    assert failure.value.code == 21211
    assert failure.value.status == 400
    assert failure.value.retryable is False
    assert "is not a valid phone number" in str(failure.value)
    assert fake_twilio.messages == []


async def test_twilio_wrong_auth_token_raises_authenticate(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_sms_provider(
        provider_settings(**{**fake_twilio.settings(), "twilio_auth_token": "not-the-token"}), http
    )

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert (failure.value.status, failure.value.code) == (401, 20003)
    assert failure.value.retryable is False
    assert fake_twilio.requests[0].basic_auth == (fake_twilio.account_sid, "not-the-token")


async def test_twilio_server_error_is_retryable(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_sms_provider(provider_settings(**fake_twilio.settings()), http)
    fake_twilio.fail_next(2, 500)

    for _ in range(2):
        with pytest.raises(ProviderError) as failure:
            await provider.send(a_message())
        assert failure.value.status == 500
        assert failure.value.retryable is True

    sid = await provider.send(a_message())
    assert [created["sid"] for created in fake_twilio.messages] == [sid]
    assert len(fake_twilio.requests) == 3


async def test_twilio_channel_without_a_sender_fails_without_sending(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    provider = build_sms_provider(
        provider_settings(**{**fake_twilio.settings(), "twilio_whatsapp_from": None}), http
    )

    with pytest.raises(ProviderError, match="TWILIO_WHATSAPP_FROM") as failure:
        await provider.send(a_message(channel="whatsapp"))
    assert failure.value.retryable is False
    assert fake_twilio.requests == []


async def test_twilio_unreachable_is_retryable(
    fake_twilio: FakeTwilio, provider_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = build_sms_provider(
        provider_settings(**{**fake_twilio.settings(), "twilio_base_url": f"http://127.0.0.1:{port}"}), http
    )

    with pytest.raises(ProviderError) as failure:
        await provider.send(a_message())
    assert failure.value.retryable is True


@pytest.mark.parametrize(
    "missing",
    [
        {"twilio_auth_token": None},
        {"twilio_account_sid": None},
        {"twilio_from_number": None, "twilio_whatsapp_from": None},
    ],
)
async def test_twilio_incomplete_settings_are_a_configuration_error(
    provider_settings: Callable[..., Settings], http: httpx.AsyncClient, missing: dict[str, None]
) -> None:
    complete = {
        "sms_provider": "twilio",
        "twilio_account_sid": "AC" + "0" * 32,
        "twilio_auth_token": "token",
        "twilio_from_number": "+15005550006",
        "twilio_whatsapp_from": "+14155238886",
    }
    assert isinstance(build_sms_provider(provider_settings(**complete), http), TwilioSmsProvider)
    with pytest.raises(ConfigurationError):
        build_sms_provider(provider_settings(**{**complete, **missing}), http)


# --- X-Twilio-Signature -------------------------------------------------------------------------------

STATUS_PARAMS = {
    "AccountSid": "AC" + "1" * 32,
    "ApiVersion": "2010-04-01",
    "From": "+15005550006",
    "MessageSid": "SM" + "2" * 32,
    "MessageStatus": "delivered",
    "SmsSid": "SM" + "2" * 32,
    "SmsStatus": "delivered",
    "To": "+351912345678",
}
TOKEN = "f3c9a1e4b7d2c6a8e0f1b3d5c7e9a2b4"


def test_signature_helper_matches_twilios_published_example() -> None:
    # The example of Twilio's security docs, so the tests' independent implementation is the real one.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert verify_twilio_signature(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")


def test_verify_accepts_a_correctly_signed_status_callback() -> None:
    signature = twilio_signature(CALLBACK, STATUS_PARAMS, TOKEN)

    assert verify_twilio_signature(CALLBACK, STATUS_PARAMS, signature, TOKEN) is True


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda url, params, sig, token: (url, {**params, "MessageStatus": "failed"}, sig, token), id="param"),
        pytest.param(lambda url, params, sig, token: (url, {**params, "ErrorCode": "30003"}, sig, token), id="extra-param"),
        pytest.param(lambda url, params, sig, token: (url.replace("0193f1c2", "0193f1c3"), params, sig, token), id="url"),
        pytest.param(lambda url, params, sig, token: (url, params, ("A" if sig[0] != "A" else "B") + sig[1:], token), id="signature"),
        pytest.param(lambda url, params, sig, token: (url, params, sig, token[::-1]), id="token"),
        pytest.param(lambda url, params, sig, token: (url, params, "", token), id="empty-signature"),
    ],
)  # fmt: skip
def test_verify_rejects_anything_tampered(
    tamper: Callable[..., tuple[str, dict[str, str], str, str]],
) -> None:
    signature = twilio_signature(CALLBACK, STATUS_PARAMS, TOKEN)

    assert verify_twilio_signature(*tamper(CALLBACK, STATUS_PARAMS, signature, TOKEN)) is False
