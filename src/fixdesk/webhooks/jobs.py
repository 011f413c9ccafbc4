"""Webhook subscribers and job handlers (fan-out of events to subscriptions, signed deliveries).

A delivery's job ends ``dead`` exactly when its delivery ends ``failed``: out of attempts, refused
address, or endpoint disabled. Retries follow :data:`RETRY_SCHEDULE` (about 27 hours in all).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.utils import parseaddr
from typing import NoReturn

import structlog

from fixdesk.identity.models import User
from fixdesk.integrations.email import EmailMessage
from fixdesk.platform.crypto import DecryptionFailed, Keyring
from fixdesk.platform.events import PublishedEvent, load_event, subscriber
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError, schedule_backoff
from fixdesk.webhooks import service
from fixdesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from fixdesk.webhooks.targets import network_of

log = structlog.get_logger("fixdesk.webhooks")

# Seconds before retry 1, 2, …: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (≈ 27.6 h after the first try).
RETRY_SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)


class DeliveryFailed(Exception):
    """The endpoint did not answer 2xx; the job is retried on the schedule."""


@subscriber("webhooks.fanout", "*")
async def fan_out(context: JobContext, event: PublishedEvent) -> None:
    """Queue a delivery of ``event`` to every active subscription that wants it."""
    await service.fan_out(context.session, event)


@handler(
    service.DELIVER_JOB,
    max_attempts=len(RETRY_SCHEDULE) + 1,
    backoff=schedule_backoff(RETRY_SCHEDULE),
)
async def deliver(context: JobContext) -> None:
    """Send one delivery: sign the envelope, POST it, log the attempt; raise to retry on failure.

    The job's transaction is committed before the request (no database lock is held while waiting for
    the endpoint); the attempt is recorded in a second transaction, which also carries the job's ``done``
    mark. A crash between the endpoint's answer and that record sends the delivery again with the same
    ``webhook-id``, so the receiver can drop the duplicate.
    """
    session = context.session
    delivery_id = uuid.UUID(context.payload["deliveryId"])
    manual = bool(context.payload.get("manual"))
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        log.info("webhook_delivery_gone", delivery_id=str(delivery_id))
        return  # its subscription was deleted
    subscription = await session.get(WebhookSubscription, delivery.subscription_id)
    if subscription is None:
        return
    if not manual and delivery.status == DeliveryStatus.delivered.value:
        return
    if not manual and not subscription.active:
        await _give_up(context, delivery, "The endpoint was inactive when the delivery was due; not sent.")
    event = await load_event(session, delivery.event_id)
    if event is None:
        await _give_up(context, delivery, "The event is no longer stored; nothing to send.")
    try:
        secret = subscription.reveal_secret(Keyring.from_settings(context.settings))
    except DecryptionFailed as error:
        await _give_up(
            context,
            delivery,
            f"The signing secret does not decrypt ({error}); restore the secret key it was stored under "
            "in FIXDESK_PREVIOUS_SECRET_KEYS, or rotate the endpoint's secret.",
        )
    url, body = subscription.url, service.envelope_body(event)
    await session.commit()

    outcome = await service.send(
        url,
        secret,
        str(event.id),
        body,
        timeout_seconds=context.settings.webhook_timeout_seconds,
        allow_private=context.settings.webhooks_allow_private,
        network=network_of(context.services),
    )
    recorded = await service.record_attempt(
        session, delivery_id, outcome, last_chance=context.attempt >= context.max_attempts
    )
    if outcome.success or recorded is None:
        return
    # The attempt must stay in the log although the job fails (the worker rolls back on an exception).
    await session.commit()
    if recorded.status == DeliveryStatus.failed.value and context.attempt < context.max_attempts:
        reason = "endpoint disabled after a day of failures" if recorded.disabled else outcome.error
        raise PermanentJobError(reason)
    raise DeliveryFailed(outcome.error)


async def _give_up(context: JobContext, delivery: WebhookDelivery, reason: str) -> NoReturn:
    delivery.status = DeliveryStatus.failed.value
    delivery.last_error = reason
    await context.session.commit()
    raise PermanentJobError(reason)


def _message_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "fixdesk.invalid"


@handler(service.NOTIFY_DISABLED_JOB, max_attempts=10)
async def notify_disabled(context: JobContext) -> None:
    """Email a disabled endpoint's owner why it was disabled and how to turn it back on."""
    session = context.session
    subscription = await session.get(WebhookSubscription, uuid.UUID(context.payload["subscriptionId"]))
    if subscription is None or subscription.created_by_id is None:
        log.info("webhook_disabled_no_owner", subscription_id=context.payload["subscriptionId"])
        return
    owner = await session.get(User, subscription.created_by_id)
    if owner is None or not owner.email:
        return
    disabled_at = datetime.fromisoformat(context.payload["disabledAt"])
    # Derived from the disable itself: a resend after a crash carries the same Message-ID.
    message_id = (
        f"<webhook-disabled.{subscription.id}.{int(disabled_at.timestamp())}"
        f"@{_message_domain(context.settings.email_from)}>"
    )
    message = EmailMessage(
        to=owner.email,
        subject=f"Webhook endpoint disabled: {subscription.url}",
        text=(
            f"Hello {owner.first_name},\n\n"
            f"Fixdesk stopped sending events to the webhook endpoint\n\n    {subscription.url}\n\n"
            f"on {disabled_at:%Y-%m-%d %H:%M} UTC, because every delivery to it failed for 24 hours.\n"
            f"Reason: {subscription.disabled_reason or 'repeated failures'}\n\n"
            "When the endpoint works again, re-enable it with\n"
            f'PATCH /api/v1/webhooks/{subscription.id} {{"active": true}}\n'
            "and resend what it missed from GET /api/v1/webhooks/"
            f"{subscription.id}/deliveries (POST /api/v1/webhooks/deliveries/<id>/redeliver).\n"
        ),
        message_id=message_id,
    )
    await session.commit()
    await context.services.email.send(message)
