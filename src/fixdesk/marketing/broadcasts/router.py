"""Broadcast endpoints (seed 002's ``/messages``, ``/messages/send``, ``/messages/templates``), the cost
estimate, and Twilio's webhooks for broadcasts: delivery reports
(``/api/v1/webhooks/twilio/broadcast-status``, the ``StatusCallback`` of every broadcast message; the
notifications of the messaging domain keep ``/webhooks/twilio/status``) and inbound messages
(``/api/v1/webhooks/twilio/inbound``, the number's "A message comes in" webhook: STOP and START)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from fixdesk.integrations.sms import verify_twilio_signature
from fixdesk.marketing.broadcasts import examples, service
from fixdesk.marketing.broadcasts.schemas import (
    BroadcastCreate,
    BroadcastEstimate,
    BroadcastEstimateCreate,
    BroadcastPage,
    BroadcastRead,
    BroadcastRecipientRead,
    BroadcastTemplateCreate,
    BroadcastTemplateRead,
    BroadcastTemplateUpdate,
    BroadcastType,
    RecipientStatusName,
    TwilioCallbackAnswer,
)
from fixdesk.marketing.permissions import BROADCASTS_READ, BROADCASTS_WRITE
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Forbidden
from fixdesk.platform.openapi import problems, request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, public, require
from fixdesk.platform.ratelimit import BulkRateLimited

router = APIRouter(tags=["broadcasts"])

BroadcastsReader = Annotated[Principal, Depends(require(BROADCASTS_READ))]
BroadcastsWriter = Annotated[Principal, Depends(require(BROADCASTS_WRITE))]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _form_body(description: str, properties: dict[str, dict[str, str]]) -> dict[str, object]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "description": description, "properties": properties}
                }
            },
        }
    }


STATUS_BODY = _form_body(
    "Twilio's status callback parameters (others are ignored)",
    {
        "MessageSid": {"type": "string"},
        "MessageStatus": {"type": "string"},
        "ErrorCode": {"type": "string"},
        "ErrorMessage": {"type": "string"},
    },
)
INBOUND_BODY = _form_body(
    "Twilio's incoming message parameters (others are ignored)",
    {
        "MessageSid": {"type": "string"},
        "From": {"type": "string"},
        "To": {"type": "string"},
        "Body": {"type": "string"},
    },
)


# --- broadcasts ---------------------------------------------------------------------------------------


@router.get(
    "/messages",
    operation_id="messages-list",
    response_model=BroadcastPage,
    responses=response_example(200, examples.BROADCAST_PAGE),
)
async def list_messages(
    session: SessionDep,
    settings: SettingsDep,
    _: BroadcastsReader,
    params: Annotated[PageParams, Depends(page_params)],
    type_: Annotated[BroadcastType | None, Query(alias="type")] = None,
    status_filter: Annotated[
        Literal["scheduled", "sending", "sent", "cancelled"] | None, Query(alias="status")
    ] = None,
):
    """List SMS and WhatsApp broadcasts, newest first, with the totals of every broadcast (stats)."""
    rows, total = await service.list_broadcasts(session, params, type_, status_filter)
    page = Page[BroadcastRead].build([service.broadcast_read(row, settings) for row in rows], total, params)
    return BroadcastPage(**page.__dict__, stats=await service.stats(session))


@router.post(
    "/messages/estimate",
    operation_id="messages-estimate",
    response_model=BroadcastEstimate,
    responses={**problems(404), **response_example(200, examples.ESTIMATE_RESPONSE)},
    openapi_extra=request_example(examples.ESTIMATE_REQUEST),
)
async def estimate_message(
    body: BroadcastEstimateCreate, session: SessionDep, settings: SettingsDep, _: BroadcastsReader
):
    """The estimated cost of a broadcast before sending: recipients × segments per message × price."""
    return await service.estimate(session, settings, body)


@router.post(
    "/messages/send",
    operation_id="messages-send",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BroadcastRead,
    responses={**problems(404), **response_example(202, examples.BROADCAST_RESPONSE)},
    openapi_extra=request_example(examples.SEND_REQUEST),
)
async def send_message(
    body: BroadcastCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: BroadcastsWriter,
    _: BulkRateLimited,
):
    """Send an SMS or WhatsApp broadcast to every customer, a segment or listed customers, now or at scheduleAt."""
    broadcast = await service.create_broadcast(session, settings, principal, body)
    return service.broadcast_read(broadcast, settings)


# --- templates ----------------------------------------------------------------------------------------


@router.get(
    "/messages/templates",
    operation_id="message-templates-list",
    response_model=Page[BroadcastTemplateRead],
)
async def list_message_templates(
    session: SessionDep,
    settings: SettingsDep,
    _: BroadcastsReader,
    params: Annotated[PageParams, Depends(page_params)],
    type_: Annotated[BroadcastType | None, Query(alias="type")] = None,
):
    """List SMS and WhatsApp message templates by name."""
    rows, total = await service.list_templates(session, params, type_)
    return Page[BroadcastTemplateRead].build(
        [service.template_read(row, settings) for row in rows], total, params
    )


@router.post(
    "/messages/templates",
    operation_id="message-templates-create",
    status_code=status.HTTP_201_CREATED,
    response_model=BroadcastTemplateRead,
    openapi_extra=request_example(examples.TEMPLATE_REQUEST),
)
async def create_message_template(
    body: BroadcastTemplateCreate, session: SessionDep, settings: SettingsDep, _: BroadcastsWriter
):
    """Save a message template (its text is checked by rendering it with sample names)."""
    template = await service.create_template(session, settings, body)
    return service.template_read(template, settings)


@router.get(
    "/messages/templates/{template_id:uuid}",
    operation_id="message-templates-get",
    response_model=BroadcastTemplateRead,
)
async def get_message_template(
    template_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: BroadcastsReader
):
    """One message template."""
    return service.template_read(await service.get_template(session, template_id), settings)


@router.patch(
    "/messages/templates/{template_id:uuid}",
    operation_id="message-templates-update",
    response_model=BroadcastTemplateRead,
)
async def update_message_template(
    template_id: uuid.UUID,
    body: BroadcastTemplateUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: BroadcastsWriter,
):
    """Change a message template's name, type or text."""
    template = await service.update_template(session, settings, template_id, body)
    return service.template_read(template, settings)


@router.delete(
    "/messages/templates/{template_id:uuid}",
    operation_id="message-templates-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_message_template(template_id: uuid.UUID, session: SessionDep, _: BroadcastsWriter):
    """Delete a message template (broadcasts sent with it keep their text)."""
    await service.delete_template(session, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/messages/{message_id:uuid}",
    operation_id="messages-get",
    response_model=BroadcastRead,
    responses=response_example(200, examples.BROADCAST_RESPONSE),
)
async def get_message(message_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: BroadcastsReader):
    """One broadcast with its counts and delivery rate."""
    return service.broadcast_read(await service.get_broadcast(session, message_id), settings)


@router.get(
    "/messages/{message_id:uuid}/recipients",
    operation_id="messages-recipients",
    response_model=Page[BroadcastRecipientRead],
    responses=response_example(200, examples.RECIPIENT_PAGE),
)
async def list_message_recipients(
    message_id: uuid.UUID,
    session: SessionDep,
    _: BroadcastsReader,
    params: Annotated[PageParams, Depends(page_params)],
    status_filter: Annotated[RecipientStatusName | None, Query(alias="status")] = None,
):
    """A broadcast's recipients with each message's delivery status (chosen when it starts sending)."""
    items, total = await service.list_recipients(session, message_id, params, status_filter)
    return Page[BroadcastRecipientRead].build(items, total, params)


@router.post(
    "/messages/{message_id:uuid}/cancel",
    operation_id="messages-cancel",
    response_model=BroadcastRead,
    responses=response_example(200, examples.CANCELLED_RESPONSE),
)
async def cancel_message(
    message_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: BroadcastsWriter
):
    """Cancel a scheduled broadcast before its time: nothing of it is sent (409 once sending or sent)."""
    broadcast = await service.cancel_broadcast(session, message_id)
    return service.broadcast_read(broadcast, settings)


# --- Twilio's webhooks --------------------------------------------------------------------------------


async def _signed_form(request: Request, settings: SettingsDep) -> dict[str, str]:
    """The request's form, once its X-Twilio-Signature is checked (403 otherwise)."""
    form = await request.form()
    params = {name: value for name, value in form.items() if isinstance(value, str)}
    # Twilio signs the URL it called: our public URL, not the one this process sees behind a proxy.
    url = settings.resolved_public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not verify_twilio_signature(url, params, signature, token):
        raise Forbidden("The X-Twilio-Signature header does not match this request.")
    return params


@router.post(
    "/webhooks/twilio/broadcast-status",
    operation_id="webhooks-twilio-broadcast-status",
    tags=["webhooks"],
    dependencies=[Depends(public)],
    response_model=TwilioCallbackAnswer,
    responses=problems(403),
    openapi_extra=STATUS_BODY,
)
async def twilio_broadcast_status(request: Request, session: SessionDep, settings: SettingsDep):
    """Twilio's status callback for broadcast messages, verified by X-Twilio-Signature (403 when wrong)."""
    form = await _signed_form(request, settings)
    message_sid = form.get("MessageSid") or form.get("SmsSid")
    message_status = form.get("MessageStatus") or form.get("SmsStatus")
    if not message_sid or not message_status:
        # Signed by Twilio but not a message status report: acknowledge so it is not retried.
        return TwilioCallbackAnswer(updated=False)
    updated = await service.apply_delivery_status(
        session,
        message_sid,
        message_status,
        error_code=form.get("ErrorCode") or None,
        error_message=form.get("ErrorMessage") or None,
    )
    return TwilioCallbackAnswer(updated=updated)


@router.post(
    "/webhooks/twilio/inbound",
    operation_id="webhooks-twilio-inbound",
    tags=["webhooks"],
    dependencies=[Depends(public)],
    response_class=Response,
    responses={
        200: {
            "description": "Empty TwiML: no reply",
            "content": {"text/xml": {"schema": {"type": "string"}}},
        },
        **problems(403),
    },
    openapi_extra=INBOUND_BODY,
)
async def twilio_inbound(request: Request, session: SessionDep, settings: SettingsDep):
    """Twilio's incoming-message webhook (signature checked, 403): STOP withdraws consent, START restores it."""
    form = await _signed_form(request, settings)
    await service.apply_inbound_keyword(session, form.get("From", ""), form.get("Body", ""))
    return Response(content=EMPTY_TWIML, media_type="text/xml")
