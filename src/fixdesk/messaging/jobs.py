"""Messaging's job handlers: sending a queued notification through its channel's provider."""

from __future__ import annotations

import uuid

import structlog

from fixdesk.db import utcnow
from fixdesk.integrations.email import EmailAttachment, EmailMessage
from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.sms import SmsMessage
from fixdesk.messaging import events as messaging_events  # registers email.sent and message.sent
from fixdesk.messaging import service
from fixdesk.messaging.attachments import make_attachments
from fixdesk.messaging.models import Notification, NotificationChannel, NotificationStatus
from fixdesk.platform.events import publish
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError, schedule_backoff

log = structlog.get_logger("fixdesk.messaging")

TWILIO_STATUS_PATH = "/api/v1/webhooks/twilio/status"
# A provider outage is retried for about eleven hours before the notification counts as failed.
SEND_RETRY_DELAYS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
SEND_MAX_ATTEMPTS = len(SEND_RETRY_DELAYS) + 1


def email_message_id(notification: Notification) -> str:
    """The Message-ID of a notification's email: the same on every attempt, so a receiver can drop the
    duplicate a crash between the provider's acceptance and our record may cause."""
    return f"<notification-{notification.id}@fixdesk>"


async def _deliver(
    context: JobContext,
    notification: Notification,
    message: service.RenderedMessage,
    files: tuple[EmailAttachment, ...] = (),
) -> str:
    services = context.services
    if notification.channel == NotificationChannel.email:
        return await services.email.send(
            EmailMessage(
                to=notification.recipient,
                subject=message.subject,
                text=message.text,
                html=message.html,
                message_id=email_message_id(notification),
                attachments=files,
            )
        )
    callback = None
    if services.sms.name == "twilio":
        callback = context.settings.resolved_public_base_url + TWILIO_STATUS_PATH
    return await services.sms.send(
        SmsMessage(
            to=notification.recipient,
            body=message.sms,
            reference=str(notification.id),
            channel="whatsapp" if notification.channel == NotificationChannel.whatsapp else "sms",
            status_callback=callback,
        )
    )


@handler(service.SEND_JOB, max_attempts=SEND_MAX_ATTEMPTS, backoff=schedule_backoff(SEND_RETRY_DELAYS))
async def send_notification(context: JobContext) -> None:
    """Send one queued notification through its channel's provider and record the outcome.

    Idempotent: a sent (or failed) notification is left alone. Over the customer's hourly limit the
    notification fails with ``rate_limited`` and no provider is called. The transaction is committed
    before the provider call, so a slow provider never holds the database's write lock; a provider error
    is recorded and re-raised so the job retries, and the last attempt marks the notification failed.
    """
    session = context.session
    notification = await session.get(Notification, uuid.UUID(context.payload["notificationId"]))
    if notification is None:
        raise PermanentJobError("notification not found")
    if notification.status != NotificationStatus.queued:
        return
    if await service.is_rate_limited(session, notification, context.settings):
        notification.status = NotificationStatus.failed.value
        notification.error = service.RATE_LIMITED
        log.info(
            "notification_rate_limited", notification_id=str(notification.id), channel=notification.channel
        )
        return
    if context.services is None:
        raise RuntimeError("the worker was started without services (email and SMS providers)")
    try:
        message = service.render_notification(notification, context.settings)
        files = await make_attachments(session, context.settings, notification.attachments or [])
    except Exception as error:
        # The variables were captured when the notification was made: rendering will not get better.
        notification.status = NotificationStatus.failed.value
        notification.error = service.error_text(error)
        await session.commit()
        raise PermanentJobError(notification.error) from error
    provider = (
        context.services.email if notification.channel == NotificationChannel.email else context.services.sms
    )
    notification.provider = provider.name
    notification.attempts += 1
    await session.commit()

    try:
        provider_message_id = await _deliver(context, notification, message, files)
    except Exception as error:
        permanent = isinstance(error, ProviderError) and not error.retryable
        notification.error = service.error_text(error)
        if permanent or context.attempt >= context.max_attempts:
            notification.status = NotificationStatus.failed.value
        await session.commit()
        if permanent:
            raise PermanentJobError(notification.error) from error
        raise

    notification.status = NotificationStatus.sent.value
    notification.provider_message_id = provider_message_id
    notification.sent_at = utcnow()
    notification.error = None
    await session.flush()
    name = (
        messaging_events.EMAIL_SENT
        if notification.channel == NotificationChannel.email
        else messaging_events.MESSAGE_SENT
    )
    await publish(
        session,
        name,
        messaging_events.NotificationSentPayload.of(notification),
        customer_id=notification.customer_id,
    )
