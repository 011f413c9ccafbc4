"""SendGrid's Event Webhook (``POST /api/v1/webhooks/sendgrid/events``): bounces, drops, spam reports and
unsubscribes reported by SendGrid put the address on the suppression list and mark the campaign recipient.

The request must carry SendGrid's signature (the "Signed Event Webhook": ECDSA P-256 with SHA-256 over the
timestamp header followed by the raw body, base64 DER in ``X-Twilio-Email-Event-Webhook-Signature``),
checked with the verification key in ``FIXDESK_SENDGRID_WEBHOOK_PUBLIC_KEY`` (base64 DER, as SendGrid shows
it). A request without the signature headers is 400; without a key the endpoint answers 503 and changes nothing; a bad signature is 403. Events are
idempotent (a suppression is kept once, a timestamp stamped once), so SendGrid's retries are harmless.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from fastapi import APIRouter, Depends, Header, Request, Response, status

from fixdesk.marketing.campaigns import service
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Forbidden, ServiceUnavailable, ValidationFailed
from fixdesk.platform.openapi import problems
from fixdesk.platform.permissions import public

router = APIRouter(tags=["email-campaigns"])
MAX_EVENTS = 5000


def verify_signature(public_key: str, signature: str, timestamp: str, payload: bytes) -> bool:
    """Whether ``signature`` is SendGrid's over ``timestamp`` + ``payload`` under ``public_key``."""
    try:
        key = load_der_public_key(base64.b64decode(public_key))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(base64.b64decode(signature), timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


@router.post(
    "/webhooks/sendgrid/events",
    operation_id="webhooks-sendgrid-events",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(public)],
    responses=problems(403, 503),
)
async def sendgrid_events(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Signature")] = None,
    timestamp: Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Timestamp")] = None,
) -> Response:
    """SendGrid's signed Event Webhook: bounces and spam reports suppress the address."""
    if not signature or not timestamp:
        raise ValidationFailed.for_field(
            "X-Twilio-Email-Event-Webhook-Signature",
            "SendGrid's signature and timestamp headers are required",
        )
    if not settings.sendgrid_webhook_public_key:
        raise ServiceUnavailable("The SendGrid event webhook is not configured.")
    payload = await request.body()
    if not verify_signature(settings.sendgrid_webhook_public_key, signature, timestamp, payload):
        raise Forbidden("The SendGrid signature does not match.")
    try:
        events = json.loads(payload)
    except ValueError as error:
        raise ValidationFailed("The body is not JSON.") from error
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise ValidationFailed("The body must be a list of events.")
    for item in events:
        if isinstance(item, dict):
            await service.record_provider_event(
                session,
                event=str(item.get("event") or ""),
                address=str(item.get("email") or ""),
                provider_message_id=str(item["sg_message_id"]) if item.get("sg_message_id") else None,
            )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
