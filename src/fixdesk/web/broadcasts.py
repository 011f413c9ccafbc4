"""The SMS and WhatsApp broadcast pages of the staff app (issue 13, item 9), under
``/app/marketing/broadcasts``: the broadcasts with their channel, status, audience, schedule and seed 002's
counts (recipients, sent, delivered, failed, delivery rate) and the totals of every broadcast; the send
form, whose audience count and cost estimate (characters, GSM-7 or UCS-2, segments per message, the
estimated total in the shop's currency) follow the form as it changes (htmx posts it to one fragment);
starting from a saved message template; scheduling at a time of the shop's time zone, or sending now after
a confirmation naming how many customers it reaches; and a broadcast's page with its message, counts and
recipients by delivery status, and the cancel button of a scheduled one.

Handlers are as thin as the API router (:mod:`fixdesk.marketing.broadcasts.router`): the same permissions
(``broadcasts:read`` to look, ``broadcasts:write`` to send, schedule or cancel), the same input models
(:class:`~fixdesk.marketing.broadcasts.schemas.BroadcastCreate`, ``BroadcastEstimateCreate``), the same
service functions (``estimate``, ``create_broadcast``, ``cancel_broadcast``, ``list_recipients``) and the
audience count of :func:`fixdesk.marketing.access.count_audience`, so a refusal (a bad audience, a text that
cannot be rendered, a time in the past) is the API's problem on the form and nothing is saved. Sending
counts against the bulk rate limit as ``POST /messages/send`` does.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from fixdesk.config import Settings
from fixdesk.marketing import access
from fixdesk.marketing.broadcasts import service
from fixdesk.marketing.broadcasts.models import BroadcastStatus, RecipientStatus
from fixdesk.marketing.broadcasts.schemas import TEMPLATE_VARIABLES, BroadcastCreate, BroadcastEstimateCreate
from fixdesk.marketing.permissions import BROADCASTS_READ, BROADCASTS_WRITE
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.ratelimit import bulk_rate_limit
from fixdesk.web.campaigns import (
    AUDIENCE_LABELS,
    STATUS_COLOURS,
    customer_ids_of,
    schedule_moment,
    segment_names,
)
from fixdesk.web.forms import NO_PROBLEMS, PROBLEMS_SHOWN_ON_PAGE, Problem, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.templating import render

router = APIRouter()

BroadcastsRead = Annotated[Principal, Depends(require(BROADCASTS_READ))]
BroadcastsWrite = Annotated[Principal, Depends(require(BROADCASTS_WRITE))]

PAGE_SIZE = 25
# The form's template choice lists the saved templates by name; a shop keeps a handful.
TEMPLATE_CHOICES = 100
BASE = "/app/marketing/broadcasts"
CHANNEL_LABELS: dict[str, str] = {"sms": N_("SMS"), "whatsapp": N_("WhatsApp")}
STATUS_LABELS: dict[str, str] = {
    "scheduled": N_("Scheduled"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "cancelled": N_("Cancelled"),
}
RECIPIENT_LABELS: dict[str, str] = {
    "queued": N_("Queued"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "undelivered": N_("Undelivered"),
    "failed": N_("Failed"),
    "skipped": N_("Skipped"),
}
RECIPIENT_COLOURS = {
    "queued": "secondary",
    "sending": "orange",
    "sent": "azure",
    "delivered": "green",
    "undelivered": "red",
    "failed": "red",
    "skipped": "secondary",
}
NOTICES = {
    "scheduled": N_("The broadcast is scheduled."),
    "sending": N_("The broadcast is being sent."),
    "cancelled": N_("The broadcast is cancelled."),
}
ACTIONS = ("send", "schedule", "template", "review")
FIELDS = ("type", "templateId", "recipientType", "segmentId", "customerIds", "scheduleAt")


def form_fields(form: FormData) -> dict[str, str]:
    """The send form's posted fields as the form shows them again (texts stripped, the message as
    written; the channel ``sms`` and the audience ``all`` when missing)."""
    values = {key: str(form.get(key) or "").strip() for key in FIELDS}
    values["content"] = str(form.get("content") or "")
    values["type"] = values["type"] or "sms"
    values["recipientType"] = values["recipientType"] or "all"
    return values


def _audience(values: dict[str, str]) -> dict[str, Any]:
    kind = values["recipientType"]
    return {
        "recipient_type": kind,
        "segment_id": (values["segmentId"] or None) if kind == "segment" else None,
        "customer_ids": customer_ids_of(values["customerIds"]) if kind == "customers" else None,
    }


def request_body(values: dict[str, str]) -> dict[str, Any]:
    """The API's ``POST /messages/estimate`` body a filled form describes (snake_case), for
    :class:`BroadcastEstimateCreate` to validate (``POST /messages/send`` adds ``schedule_at``)."""
    return {
        "type": values["type"],
        "content": values["content"] if values["content"].strip() else None,
        **_audience(values),
    }


def _blank() -> dict[str, str]:
    return {
        **dict.fromkeys(FIELDS, ""),
        "type": "sms",
        "recipientType": "all",
        "content": "Hi {{ first_name }}, \n{{ shop_name }}",
    }


async def _count(session: Any, values: dict[str, str]) -> tuple[int | None, Problem]:
    """How many customers the form's audience reaches on its channel now, or the audience's problem."""
    try:
        spec = access.AudienceSpec.model_validate(_audience(values))
        if values["type"] not in CHANNEL_LABELS:
            raise ValidationFailed.for_field("type", "choose SMS or WhatsApp")
        return await access.count_audience(session, spec, values["type"]), NO_PROBLEMS  # type: ignore[arg-type]
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        return None, problem_of(error)
    except NotFound:  # a segment deleted meanwhile is shown on the form, not as an error page
        return None, problem_of(ValidationFailed.for_field("segmentId", "the segment does not exist"))


async def _figures(session: Any, settings: Settings, values: dict[str, str]) -> dict[str, Any]:
    """The fragment's figures: the audience count (``count`` or ``count_problem``) and, once the message
    is written and the audience is valid, the API's estimate (``estimate`` or ``estimate_problem``)."""
    count, count_problem = await _count(session, values)
    estimate, estimate_problem = None, NO_PROBLEMS
    if values["content"].strip() and not count_problem:
        try:
            body = BroadcastEstimateCreate.model_validate(request_body(values))
            estimate = await service.estimate(session, settings, body)
        except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
            estimate_problem = problem_of(error)
    return {
        "count": count,
        "count_problem": count_problem,
        "estimate": estimate,
        "estimate_problem": estimate_problem,
    }


def _labels() -> dict[str, Any]:
    return {
        "channel_labels": CHANNEL_LABELS,
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "audience_labels": AUDIENCE_LABELS,
        "recipient_labels": RECIPIENT_LABELS,
        "recipient_colours": RECIPIENT_COLOURS,
    }


# --- pages --------------------------------------------------------------------------------------------------


@router.get("/marketing/broadcasts")
async def broadcast_list(
    request: Request,
    session: SessionDep,
    principal: BroadcastsRead,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The broadcasts, newest first, 25 a page: channel, status, audience, when scheduled or sent, the
    recipients, sent, delivered and failed messages and the delivery rate; above them seed 002's totals
    of every broadcast (SMS and WhatsApp messages sent, the average delivery rate)."""
    rows, total = await service.list_broadcasts(session, PageParams(page=page, page_size=PAGE_SIZE))
    context = {
        **_labels(),
        "broadcasts": [service.broadcast_read(row, settings) for row in rows],
        "stats": await service.stats(session),
        "segment_names": await segment_names(session, {row.segment_id for row in rows if row.segment_id}),
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "can_write": principal.has(BROADCASTS_WRITE),
        "notice": NOTICES.get(done),
    }
    return render(request, "marketing/broadcasts.html", context)


async def _send_form(
    request: Request,
    session: Any,
    settings: Settings,
    values: dict[str, str],
    *,
    problem: Problem = NO_PROBLEMS,
    confirm: Any = None,
) -> HTMLResponse:
    templates, _ = await service.list_templates(session, PageParams(page=1, page_size=TEMPLATE_CHOICES))
    context = {
        **_labels(),
        **await _figures(session, settings, values),
        "values": values,
        "problem": problem,
        "confirm": confirm,
        "segments": await segment_names(session),
        "templates": templates,
        "variables": TEMPLATE_VARIABLES,
        "timezone": settings.shop_timezone,
    }
    return render(
        request, "marketing/broadcast_form.html", context, status_code=problem.status if problem else 200
    )


@router.get("/marketing/broadcasts/new")
async def new_broadcast(
    request: Request, session: SessionDep, _: BroadcastsWrite, settings: SettingsDep
) -> HTMLResponse:
    """The send form, for an SMS to every consenting customer, with its audience count."""
    return await _send_form(request, session, settings, _blank())


@router.post("/marketing/broadcasts/estimate")
async def estimate_fragment(
    request: Request, session: SessionDep, _: BroadcastsRead, settings: SettingsDep
) -> HTMLResponse:
    """How many customers the form reaches now and what it would cost (the API's ``POST
    /messages/estimate``: characters, encoding, segments per message, estimated total), the fragment htmx
    swaps in as the form changes; a bad audience or text shows its problem instead (answered 200)."""
    values = form_fields(await request.form())
    figures = await _figures(session, settings, values)
    return render(request, "marketing/_broadcast_estimate.html", {**figures, "values": values})


def _action(form: FormData) -> str:
    action = str(form.get("action") or "send")
    return action if action in ACTIONS else "send"


async def _start_from_template(
    request: Request, session: Any, settings: Settings, values: dict[str, str]
) -> HTMLResponse:
    """The form again with the chosen template's text as the message and its channel (400 on the
    template field when none is chosen or it is gone)."""
    try:
        if not values["templateId"]:
            raise ValidationFailed.for_field("templateId", "choose a template")
        template = await service.get_template(session, uuid.UUID(values["templateId"]))
    except (ValidationFailed, ValueError, NotFound):
        problem = problem_of(ValidationFailed.for_field("templateId", "choose one of the saved templates"))
        return await _send_form(request, session, settings, values, problem=problem)
    return await _send_form(
        request, session, settings, {**values, "content": template.content, "type": template.type}
    )


@router.post("/marketing/broadcasts/new")
async def create_broadcast(
    request: Request, session: SessionDep, principal: BroadcastsWrite, settings: SettingsDep
) -> Response:
    """Send the broadcast (the API's ``POST /messages/send``): ``action`` ``schedule`` with ``scheduleAt``
    in the shop's time zone, or ``send`` now once ``confirmed`` (first the form asks, naming how many
    customers it reaches and the estimated cost; ``review`` goes back to the form); ``template`` fills the
    message from ``templateId``.
    A refusal is the API's problem on the form, and nothing is saved."""
    form = await request.form()
    values = form_fields(form)
    action = _action(form)
    if action == "template":
        return await _start_from_template(request, session, settings, values)
    if action == "review":  # "No, keep editing" on the confirmation
        return await _send_form(request, session, settings, values)
    zone = ZoneInfo(settings.shop_timezone)
    try:
        if not values["content"].strip():  # the model's "content or templateId" names no field
            raise ValidationFailed.for_field("content", "write the message")
        schedule_at = schedule_moment(values["scheduleAt"], zone) if action == "schedule" else None
        body = BroadcastCreate.model_validate({**request_body(values), "schedule_at": schedule_at})
        if action == "send" and form.get("confirmed") != "yes":
            # Validate the text and the audience first, then ask: the question names the count and cost.
            estimate = await service.estimate(session, settings, body)
            return await _send_form(request, session, settings, values, confirm=estimate)
        await bulk_rate_limit(request)
        broadcast = await service.create_broadcast(session, settings, principal, body)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _send_form(request, session, settings, values, problem=problem_of(error))
    except NotFound:
        await session.rollback()
        problem = problem_of(ValidationFailed.for_field("segmentId", "the segment does not exist"))
        return await _send_form(request, session, settings, values, problem=problem)
    done = "scheduled" if schedule_at else "sending"
    return RedirectResponse(f"{BASE}/{broadcast.id}?done={done}", status_code=303)


@router.get("/marketing/broadcasts/{broadcast_id}")
async def broadcast_page(
    request: Request,
    broadcast_id: uuid.UUID,
    session: SessionDep,
    principal: BroadcastsRead,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    status: Annotated[str, Query(max_length=20)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """A broadcast: its channel, status, audience and schedule, the message as a customer receives it
    (with sample names) and as written, its counts and delivery rate, the estimate it was sent with, and
    its recipients (25 a page, of one delivery status when ``status`` names one) with each message's
    status, sent and delivered times and error. A scheduled one shows how many customers it reaches now
    and its cancel button. 404 for an unknown broadcast."""
    broadcast = await service.get_broadcast(session, broadcast_id)
    status = status if status in RECIPIENT_LABELS else ""
    recipients, total = await service.list_recipients(
        session, broadcast_id, PageParams(page=page, page_size=PAGE_SIZE), status or None
    )
    audience = None
    if broadcast.status == BroadcastStatus.scheduled:
        spec = access.AudienceSpec(
            recipient_type=broadcast.recipient_type,  # type: ignore[arg-type]
            segment_id=broadcast.segment_id,
            customer_ids=[uuid.UUID(i) for i in broadcast.customer_ids] if broadcast.customer_ids else None,
        )
        try:
            audience = await access.count_audience(session, spec, broadcast.type)  # type: ignore[arg-type]
        except (NotFound, ValidationFailed):  # its segment deleted since: it will reach nobody
            audience = 0
    try:
        sample = service.check_text(broadcast.content, settings)
    except ValidationFailed:
        sample = broadcast.content

    def link(**changes: Any) -> str:
        query = {key: value for key, value in {"status": status, **changes}.items() if value not in ("", 1)}
        return f"{BASE}/{broadcast_id}" + (f"?{urlencode(query)}" if query else "")

    context = {
        **_labels(),
        "broadcast": service.broadcast_read(broadcast, settings),
        "segment_names": await segment_names(
            session, {broadcast.segment_id} if broadcast.segment_id else set()
        ),
        "sample": sample,
        "sample_name": service.SAMPLE_VARIABLES["customer_name"],
        "audience": audience,
        "recipients": recipients,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "status": status,
        "link": link,
        "statuses": [value.value for value in RecipientStatus],
        "can_write": principal.has(BROADCASTS_WRITE),
        "cancellable": broadcast.status == BroadcastStatus.scheduled,
        "notice": NOTICES.get(done),
    }
    return render(request, "marketing/broadcast.html", context)


@router.post("/marketing/broadcasts/{broadcast_id}/cancel")
async def cancel_broadcast(broadcast_id: uuid.UUID, session: SessionDep, _: BroadcastsWrite) -> Response:
    """Cancel a scheduled broadcast (the API's ``POST /messages/{id}/cancel``; 409 once it is sending)."""
    await service.cancel_broadcast(session, broadcast_id)
    return RedirectResponse(f"{BASE}/{broadcast_id}?done=cancelled", status_code=303)
