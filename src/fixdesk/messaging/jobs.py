"""Messaging's event subscribers and job handlers (notifications on repair events, sending)."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select

from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.integrations.email import EmailMessage
from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.sms import SmsMessage
from fixdesk.messaging import events as messaging_events  # registers email.sent and message.sent
from fixdesk.messaging import service
from fixdesk.messaging.models import Notification, NotificationChannel, NotificationStatus
from fixdesk.platform.events import PublishedEvent, publish, subscriber
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError, schedule_backoff
from fixdesk.repairs.events import REPAIR_CREATED, REPAIR_STATUS_CHANGED
from fixdesk.repairs.models import Repair
from fixdesk.repairs.tracking.service import tracking_url

log = structlog.get_logger("fixdesk.messaging")

TWILIO_STATUS_PATH = "/api/v1/webhooks/twilio/status"
# A provider outage is retried for about eleven hours before the notification counts as failed.
SEND_RETRY_DELAYS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
SEND_MAX_ATTEMPTS = len(SEND_RETRY_DELAYS) + 1


def template_for(event: PublishedEvent) -> str | None:
    """The template a repair event is announced with, or None when the customer is not to be told."""
    if event.name == REPAIR_CREATED:
        return service.REPAIR_CREATED_TEMPLATE
    if event.name == REPAIR_STATUS_CHANGED and event.payload.get("notifyCustomer"):
        return service.template_for_status(event.payload.get("toStatus") or event.payload["status"])
    return None


@subscriber("messaging.notify", "repair.*")
async def notify_on_repair_event(context: JobContext, event: PublishedEvent) -> None:
    """Queue the customer's notifications for a new repair and for status changes marked notifyCustomer,
    with the repair's public tracking link as the ``tracking_url`` template variable."""
    template = template_for(event)
    if template is None:
        return
    customer = await context.session.get(Customer, uuid.UUID(event.payload["customerId"]))
    if customer is None:
        return
    # Only repair.created and repair.status_changed have a template; both describe the repair itself.
    repair_id = uuid.UUID(event.payload["id"])
    # The tracking token is kept out of event payloads on purpose (webhook receivers must not get the
    # customer's secret link), so it is read from the repair, in this subscriber's transaction.
    token = await context.session.scalar(select(Repair.tracking_token).where(Repair.id == repair_id))
    link = tracking_url(context.settings, token) if token else None
    await service.notify_customer(
        context.session,
        context.settings,
        customer,
        template,
        service.repair_variables(event.payload, customer, tracking_url=link),
        repair_id=repair_id,
        event_id=event.id,
    )


def email_message_id(notification: Notification) -> str:
    """The Message-ID of a notification's email: the same on every attempt, so a receiver can drop the
    duplicate a crash between the provider's acceptance and our record may cause."""
    return f"<notification-{notification.id}@fixdesk>"


async def _deliver(context: JobContext, notification: Notification, message: service.RenderedMessage) -> str:
    services = context.services
    if notification.channel == NotificationChannel.email:
        return await services.email.send(
            EmailMessage(
                to=notification.recipient,
                subject=message.subject,
                text=message.text,
                html=message.html,
                message_id=email_message_id(notification),
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
        provider_message_id = await _deliver(context, notification, message)
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
