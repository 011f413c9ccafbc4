"""The test doubles answer as the documented APIs do, so other tests can trust what they report."""

from __future__ import annotations

import httpx

from tests.support.fake_providers import FakeSendGrid, FakeTwilio


async def test_fake_twilio_validates_like_the_messages_api(
    fake_twilio: FakeTwilio, http: httpx.AsyncClient
) -> None:
    url = f"{fake_twilio.base_url}/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    auth = (fake_twilio.account_sid, fake_twilio.auth_token)

    missing_body = await http.post(url, data={"To": "+351912345678", "From": "+15005550006"}, auth=auth)
    other_account = await http.post(
        url.replace(fake_twilio.account_sid, "AC" + "0" * 32), data={"To": "+351912345678"}, auth=auth
    )
    created = await http.post(
        url, data={"To": "+351912345678", "From": "+15005550006", "Body": "Hi"}, auth=auth
    )

    assert (missing_body.status_code, missing_body.json()["code"]) == (400, 21602)
    assert other_account.status_code == 404
    assert created.status_code == 201
    assert created.json()["status"] == "queued"
    assert created.json()["to"] == "+351912345678"
    assert [request.form.get("Body") for request in fake_twilio.requests] == [None, None, "Hi"]


async def test_fake_sendgrid_validates_like_mail_send(
    fake_sendgrid: FakeSendGrid, http: httpx.AsyncClient
) -> None:
    url = f"{fake_sendgrid.base_url}/v3/mail/send"
    headers = {"Authorization": f"Bearer {fake_sendgrid.api_key}"}
    valid = {
        "personalizations": [{"to": [{"email": "ana@example.com"}]}],
        "from": {"email": "shop@example.com"},
        "subject": "Hi",
        "content": [{"type": "text/plain", "value": "Hi"}],
    }

    html_first = await http.post(
        url,
        json={**valid, "content": [{"type": "text/html", "value": "<p>Hi</p>"}, *valid["content"]]},
        headers=headers,
    )
    reserved = await http.post(url, json={**valid, "headers": {"Subject": "x"}}, headers=headers)
    no_content = await http.post(
        url, json={k: v for k, v in valid.items() if k != "content"}, headers=headers
    )
    accepted = await http.post(url, json=valid, headers=headers)

    assert html_first.status_code == reserved.status_code == no_content.status_code == 400
    assert [error["field"] for error in no_content.json()["errors"]] == ["content"]
    assert [error["field"] for error in reserved.json()["errors"]] == ["headers"]
    assert accepted.status_code == 202
    assert accepted.content == b""
    assert accepted.headers["X-Message-Id"] == fake_sendgrid.emails[0]["_message_id"]
