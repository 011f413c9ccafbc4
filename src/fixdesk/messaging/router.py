"""Notification endpoints for staff (``/api/v1/notifications``) and customers (``/api/v1/customer/…``),
and Twilio's delivery callbacks (``/api/v1/webhooks/twilio/status``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from twilio.request_validator import RequestValidator

from fixdesk.messaging import service
from fixdesk.messaging.models import NotificationChannel, NotificationStatus
from fixdesk.messaging.permissions import NOTIFICATIONS_MANAGE, NOTIFICATIONS_READ
from fixdesk.messaging.schemas import (
    CustomerNotificationPage,
    CustomerNotificationRead,
    NotificationRead,
    TwilioStatusAnswer,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Forbidden
from fixdesk.platform.openapi import problems
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, public, require

router = APIRouter(tags=["notifications"])

TWILIO_STATUS_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "description": "Twilio's status callback parameters (others are ignored)",
                "properties": {
                    "MessageSid": {"type": "string"},
                    "MessageStatus": {"type": "string"},
                    "ErrorCode": {"type": "string"},
                    "ErrorMessage": {"type": "string"},
                },
            }
        }
    },
}
portal_router = APIRouter(tags=["customer portal"])

NotificationsRead = Annotated[Principal, Depends(require(NOTIFICATIONS_READ))]
NotificationsManage = Annotated[Principal, Depends(require(NOTIFICATIONS_MANAGE))]


@router.get("/notifications", operation_id="notifications-list", response_model=Page[NotificationRead])
async def list_notifications(
    session: SessionDep,
    _: NotificationsRead,
    params: Annotated[PageParams, Depends(page_params)],
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    repair_id: Annotated[uuid.UUID | None, Query(alias="repairId")] = None,
    status_filter: Annotated[NotificationStatus | None, Query(alias="status")] = None,
    channel: NotificationChannel | None = None,
):
    """List notifications, newest first (filter by customer, repair, status and channel)."""
    filters = service.NotificationFilters(
        customer_id=customer_id,
        repair_id=repair_id,
        status=status_filter.value if status_filter else None,
        channel=channel.value if channel else None,
    )
    rows, total = await service.list_notifications(session, filters, params)
    return Page[NotificationRead].build([NotificationRead.model_validate(r) for r in rows], total, params)


@router.post(
    "/notifications/{notification_id}/retry",
    operation_id="notifications-retry",
    response_model=NotificationRead,
)
async def retry_notification(notification_id: uuid.UUID, session: SessionDep, _: NotificationsManage):
    """Send a failed notification again (409 unless it failed)."""
    return NotificationRead.model_validate(await service.retry_notification(session, notification_id))


@portal_router.get(
    "/customer/notifications",
    operation_id="portal-notifications-list",
    response_model=CustomerNotificationPage,
)
async def list_my_notifications(
    session: SessionDep, principal: CustomerPortal, params: Annotated[PageParams, Depends(page_params)]
):
    """The messages sent to the signed-in customer, newest first, with the number still unread."""
    rows, total, unread = await service.list_customer_notifications(session, principal.id, params)
    page = Page[CustomerNotificationRead].build(
        [CustomerNotificationRead.model_validate(r) for r in rows], total, params
    )
    return CustomerNotificationPage(**page.__dict__, unread_count=unread)


@portal_router.post(
    "/customer/notifications/{notification_id}/read",
    operation_id="portal-notifications-read",
    response_model=CustomerNotificationRead,
)
async def mark_my_notification_read(
    notification_id: uuid.UUID, session: SessionDep, principal: CustomerPortal
):
    """Mark one of the signed-in customer's messages read (another customer's id answers 404)."""
    return CustomerNotificationRead.model_validate(
        await service.mark_read(session, principal.id, notification_id)
    )


@router.post(
    "/webhooks/twilio/status",
    operation_id="webhooks-twilio-status",
    tags=["webhooks"],
    dependencies=[Depends(public)],
    response_model=TwilioStatusAnswer,
    responses=problems(403),
    openapi_extra={"requestBody": TWILIO_STATUS_BODY},
)
async def twilio_status_callback(request: Request, session: SessionDep, settings: SettingsDep):
    """Twilio's message status callback, verified by X-Twilio-Signature (403 when the signature is wrong)."""
    form = await request.form()
    signature = request.headers.get("X-Twilio-Signature", "")
    # Twilio signs the URL it called: our public URL, not the one this process sees behind a proxy.
    url = settings.resolved_public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
    if not token or not signature or not RequestValidator(token).validate(url, form, signature):
        raise Forbidden("The X-Twilio-Signature header does not match this request.")
    message_sid = form.get("MessageSid") or form.get("SmsSid")
    message_status = form.get("MessageStatus") or form.get("SmsStatus")
    if not isinstance(message_sid, str) or not isinstance(message_status, str):
        # Signed by Twilio but not a message status report: acknowledge so it is not retried.
        return TwilioStatusAnswer(updated=False)
    error_code = form.get("ErrorCode")
    error_message = form.get("ErrorMessage")
    updated = await service.apply_delivery_status(
        session,
        message_sid,
        message_status,
        error_code=error_code if isinstance(error_code, str) and error_code else None,
        error_message=error_message if isinstance(error_message, str) and error_message else None,
    )
    return TwilioStatusAnswer(updated=updated)
