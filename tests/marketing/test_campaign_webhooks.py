"""SendGrid's signed Event Webhook: a bounce or a spam report suppresses the address; a request without
SendGrid's signature changes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fixdesk.db import transaction
from fixdesk.marketing import access
from tests.conftest import make_settings

PATH = "/api/v1/webhooks/sendgrid/events"


def signed(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: str = "1765000000") -> dict[str, str]:
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


async def test_bounces_and_spam_reports_suppress_the_address(
    database: Any, database_url: str, tmp_path: Any, sessionmaker: Any
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = base64.b64encode(
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    app = database.app(make_settings(database_url, tmp_path, sendgrid_webhook_public_key=public_key))
    body = json.dumps(
        [
            {"email": "Bounced@Example.com", "event": "bounce", "sg_message_id": "abc.filter0001"},
            {"email": "angry@example.com", "event": "spamreport"},
            {"email": "happy@example.com", "event": "open"},
        ]
    ).encode()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        unsigned = await client.post(PATH, content=body, headers={"Content-Type": "application/json"})
        assert unsigned.status_code == 400
        forged = await client.post(
            PATH, content=body, headers=signed(ec.generate_private_key(ec.SECP256R1()), body)
        )
        assert forged.status_code == 403
        async with transaction(sessionmaker) as session:
            assert not await access.is_suppressed(session, "email", "bounced@example.com")

        accepted = await client.post(PATH, content=body, headers=signed(key, body))
        assert accepted.status_code == 204, accepted.text
    async with transaction(sessionmaker) as session:
        assert await access.is_suppressed(session, "email", "bounced@example.com")
        assert await access.is_suppressed(session, "email", "angry@example.com")
        assert not await access.is_suppressed(session, "email", "happy@example.com")
