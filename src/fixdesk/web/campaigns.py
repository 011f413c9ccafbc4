"""The email campaign pages of the staff app (issue 13, item 9), under ``/app/marketing/campaigns``: the
campaigns with their status, audience, schedule and results; the editor (name, subject, body, audience)
whose audience count and rendered preview follow the form as it changes (htmx posts it to two fragments);
saving a draft, scheduling at a time of the shop's time zone, or sending now after a confirmation that
names how many customers it reaches; and a campaign's results (seed 002's stats with their rates).

Handlers are as thin as the API router (:mod:`fixdesk.marketing.campaigns.router`): the same permissions
(``campaigns:read`` to look, ``campaigns:write`` to save, schedule or send), the same input models
(:class:`~fixdesk.marketing.campaigns.schemas.EmailCampaignCreate`, ``EmailCampaignUpdate``) and service,
so a refusal (a template error, a bad audience, a time in the past) is the API's problem on the form and
nothing is saved.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from fixdesk.config import Settings
from fixdesk.marketing import access
from fixdesk.marketing.campaigns import rendering, service
from fixdesk.marketing.campaigns.models import CampaignStatus
from fixdesk.marketing.campaigns.schemas import EmailCampaignCreate, EmailCampaignUpdate
from fixdesk.marketing.models import Segment
from fixdesk.marketing.permissions import CAMPAIGNS_READ, CAMPAIGNS_WRITE
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.web.forms import NO_PROBLEMS, PROBLEMS_SHOWN_ON_PAGE, Problem, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.templating import render

router = APIRouter()

CampaignsRead = Annotated[Principal, Depends(require(CAMPAIGNS_READ))]
CampaignsWrite = Annotated[Principal, Depends(require(CAMPAIGNS_WRITE))]

PAGE_SIZE = 25
BASE = "/app/marketing/campaigns"
STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "cancelled": N_("Cancelled"),
}
STATUS_COLOURS = {
    "draft": "secondary",
    "scheduled": "azure",
    "sending": "orange",
    "sent": "green",
    "cancelled": "red",
}
AUDIENCE_LABELS: dict[str, str] = {
    "all": N_("Every consenting customer"),
    "segment": N_("A saved segment"),
    "customers": N_("Chosen customers"),
}
NOTICES = {
    "saved": N_("The campaign is saved as a draft."),
    "scheduled": N_("The campaign is scheduled."),
    "sending": N_("The campaign is being sent."),
    "cancelled": N_("The campaign is cancelled."),
}
ACTIONS = ("draft", "schedule", "send")
_IDS = re.compile(r"[\s,;]+")


def local_input(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as a ``datetime-local`` input shows it: the shop's wall-clock time to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""


def schedule_moment(text: str, zone: ZoneInfo) -> datetime:
    """A ``datetime-local`` value read as the shop's wall-clock time; 400 naming ``scheduleAt``."""
    if not text:
        raise ValidationFailed.for_field("scheduleAt", "choose when to send it")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.for_field("scheduleAt", "must be a day and a time") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def form_fields(form: FormData) -> dict[str, str]:
    """The editor's posted fields as the form shows them again (texts stripped, the body as written)."""
    values = {
        key: str(form.get(key) or "").strip()
        for key in ("name", "subject", "recipientType", "segmentId", "customerIds", "scheduleAt")
    }
    values["body"] = str(form.get("body") or "")
    values["recipientType"] = values["recipientType"] or "all"
    return values


def customer_ids_of(text: str) -> list[str] | None:
    """The ids typed in the form's box (separated by commas, semicolons, blanks or lines), ``None`` for
    none: the API's model then checks each one."""
    ids = [value for value in _IDS.split(text) if value]
    return ids or None


def _audience(values: dict[str, str]) -> dict[str, Any]:
    kind = values["recipientType"]
    return {
        "recipient_type": kind,
        "segment_id": (values["segmentId"] or None) if kind == "segment" else None,
        "customer_ids": customer_ids_of(values["customerIds"]) if kind == "customers" else None,
    }


def audience_spec(values: dict[str, str]) -> access.AudienceSpec:
    """The audience a filled form describes (400 naming the API's field for a malformed one)."""
    try:
        checked = EmailCampaignUpdate.model_validate(_audience(values))
    except ValidationError as error:
        raise ValidationFailed.for_field(
            _field_of(error), error.errors()[0]["msg"] if error.errors() else "is invalid"
        ) from None
    return access.AudienceSpec(
        recipient_type=(checked.recipient_type or "all").value
        if hasattr(checked.recipient_type, "value")
        else "all",
        segment_id=checked.segment_id,
        customer_ids=checked.customer_ids,
    )


def _field_of(error: ValidationError) -> str:
    location = error.errors()[0]["loc"] if error.errors() else ()
    names = {"recipient_type": "recipientType", "segment_id": "segmentId", "customer_ids": "customerIds"}
    return names.get(str(location[0]), "recipientType") if location else "recipientType"


def values_of(campaign: Any, zone: ZoneInfo) -> dict[str, str]:
    """The form's fields for a saved campaign."""
    return {
        "name": campaign.name,
        "subject": campaign.subject,
        "body": campaign.body,
        "recipientType": campaign.recipient_type,
        "segmentId": str(campaign.segment_id or ""),
        "customerIds": "\n".join(campaign.customer_ids or []),
        "scheduleAt": local_input(campaign.schedule_at, zone),
    }


def _blank() -> dict[str, str]:
    return {
        "name": "",
        "subject": "",
        "body": "<p>Hello {{ first_name }},</p>\n<p></p>\n<p>{{ shop_name }}</p>",
        "recipientType": "all",
        "segmentId": "",
        "customerIds": "",
        "scheduleAt": "",
    }


async def segment_names(session: Any, ids: set[uuid.UUID] | None = None) -> dict[uuid.UUID, str]:
    """Saved segments' names by id (all of them for the editor's choice, or those ``ids``): one query."""
    statement = select(Segment.id, Segment.name).order_by(Segment.name)
    if ids is not None:
        if not ids:
            return {}
        statement = statement.where(Segment.id.in_(ids))
    return {row.id: row.name for row in await session.execute(statement)}


def _preview(values: dict[str, str], settings: Settings) -> rendering.RenderedEmail:
    """The form's subject and body rendered for the sample customer, links as written."""
    if not values["subject"]:
        raise ValidationFailed.for_field("subject", "write a subject")
    if not values["body"].strip():
        raise ValidationFailed.for_field("body", "write the email")
    compiled = rendering.compile_campaign(values["subject"], values["body"], settings)
    return compiled.render(
        rendering.SAMPLE_CUSTOMER, unsubscribe_url=f"{settings.resolved_public_base_url}/unsubscribe/preview"
    )


def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "audience_labels": AUDIENCE_LABELS,
    }


# --- pages --------------------------------------------------------------------------------------------------


@router.get("/marketing/campaigns")
async def campaign_list(
    request: Request,
    session: SessionDep,
    principal: CampaignsRead,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The campaigns, newest first, 25 a page: status, audience, when scheduled or sent, how many were
    sent and the open and click rates (of delivered), from one grouped query for the page."""
    rows, total = await service.list_campaigns(session, PageParams(page=page, page_size=PAGE_SIZE), None)
    names = await segment_names(session, {row.segment_id for row in rows if row.segment_id})
    pages = max(1, math.ceil(total / PAGE_SIZE))
    context = {
        **_labels(),
        "campaigns": rows,
        "segment_names": names,
        "total": total,
        "page": page,
        "pages": pages,
        "can_write": principal.has(CAMPAIGNS_WRITE),
        "notice": NOTICES.get(done),
    }
    return render(request, "marketing/campaigns.html", context)


async def _editor(
    request: Request,
    session: Any,
    settings: Settings,
    values: dict[str, str],
    *,
    campaign: Any = None,
    problem: Problem = NO_PROBLEMS,
    confirm_count: int | None = None,
) -> HTMLResponse:
    count, count_problem = await _count(session, values)
    context = {
        **_labels(),
        "campaign": campaign,
        "values": values,
        "problem": problem,
        "count": count,
        "count_problem": count_problem,
        "sample": rendering.SAMPLE_CUSTOMER,
        "segments": await segment_names(session),
        "variables": rendering.VARIABLES,
        "confirm_count": confirm_count,
        "timezone": settings.shop_timezone,
        "action": f"{BASE}/{campaign.id}/edit" if campaign else f"{BASE}/new",
    }
    return render(
        request, "marketing/campaign_form.html", context, status_code=problem.status if problem else 200
    )


async def _count(session: Any, values: dict[str, str]) -> tuple[int | None, Problem]:
    try:
        return await access.count_audience(session, audience_spec(values), "email"), NO_PROBLEMS
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        return None, problem_of(error)
    except NotFound:  # a segment deleted meanwhile is shown on the form, not as an error page
        return None, problem_of(ValidationFailed.for_field("segmentId", "the segment does not exist"))


@router.get("/marketing/campaigns/new")
async def new_campaign(
    request: Request, session: SessionDep, _: CampaignsWrite, settings: SettingsDep
) -> HTMLResponse:
    """The campaign editor, empty, for every consenting customer."""
    return await _editor(request, session, settings, _blank())


@router.post("/marketing/campaigns/audience")
async def audience_count(request: Request, session: SessionDep, _: CampaignsRead) -> HTMLResponse:
    """How many customers the editor's audience reaches now (consenting to email, not suppressed), the
    fragment htmx swaps in as the audience changes; a bad audience shows its problem (answered 200)."""
    values = form_fields(await request.form())
    count, problem = await _count(session, values)
    return render(request, "marketing/_campaign_count.html", {"count": count, "count_problem": problem})


# The email preview is its own document in a sandboxed frame: an email's inline styles and remote images
# would break the pages' policy (no inline style), and its HTML must not reach the page.
PREVIEW_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'none'",
            "style-src 'unsafe-inline'",
            "img-src https: data:",
            "font-src https:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
            "sandbox",
        )
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def _email_document(request: Request, html: str | None, problem: Problem = NO_PROBLEMS) -> HTMLResponse:
    if problem:
        return render(
            request, "marketing/_campaign_preview_problem.html", {"problem": problem}, headers=PREVIEW_HEADERS
        )
    return HTMLResponse(html or "", headers=PREVIEW_HEADERS)


@router.post("/marketing/campaigns/email-preview")
async def preview_campaign(request: Request, _: CampaignsRead, settings: SettingsDep) -> HTMLResponse:
    """The editor's subject and body rendered for the sample customer (Ana Example, links as written), as
    the document of the editor's preview frame (the form posts to it as it changes); a template error is
    shown in the frame instead (answered 200)."""
    values = form_fields(await request.form())
    try:
        rendered = _preview(values, settings)
    except ValidationFailed as error:
        return _email_document(request, None, problem_of(error))
    return _email_document(request, rendered.html)


@router.get("/marketing/campaigns/{campaign_id}/email")
async def campaign_email(
    request: Request,
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CampaignsRead,
    settings: SettingsDep,
) -> HTMLResponse:
    """A saved campaign's email rendered for the sample customer (the API's ``POST …/preview``)."""
    preview = await service.preview(session, principal, campaign_id, None, settings)
    return _email_document(request, preview.html)


def _action(form: FormData) -> str:
    action = str(form.get("action") or "draft")
    return action if action in ACTIONS else "draft"


async def _save(
    request: Request,
    session: Any,
    principal: Principal,
    settings: Settings,
    campaign_id: uuid.UUID | None,
) -> Response:
    """Save the form as a draft, scheduled, or sent now (after a confirmation naming the count)."""
    form = await request.form()
    values = form_fields(form)
    action = _action(form)
    zone = ZoneInfo(settings.shop_timezone)
    campaign = await service.get_campaign(session, campaign_id) if campaign_id else None
    try:
        schedule_at = schedule_moment(values["scheduleAt"], zone) if action == "schedule" else None
        fields = {
            "name": values["name"],
            "subject": values["subject"],
            "body": values["body"],
            **_audience(values),
            "schedule_at": schedule_at,
        }
        if action == "send" and form.get("confirmed") != "yes":
            # Validate everything first, then ask: the confirmation names how many it reaches.
            (EmailCampaignUpdate if campaign else EmailCampaignCreate).model_validate(fields)
            rendering.check_template(values["subject"], values["body"])
            count = await access.count_audience(session, audience_spec(values), "email")
            return await _editor(request, session, settings, values, campaign=campaign, confirm_count=count)
        if campaign is None:
            campaign = await service.create_campaign(
                session, principal, EmailCampaignCreate.model_validate(fields)
            )
        else:
            campaign = await service.update_campaign(
                session, campaign.id, EmailCampaignUpdate.model_validate(fields)
            )
        if action == "send":
            await service.send_now(session, campaign.id, settings)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        if campaign_id:
            campaign = await service.get_campaign(session, campaign_id)
        return await _editor(request, session, settings, values, campaign=campaign, problem=problem_of(error))
    done = {"draft": "saved", "schedule": "scheduled", "send": "sending"}[action]
    return RedirectResponse(f"{BASE}/{campaign.id}?done={done}", status_code=303)


@router.post("/marketing/campaigns/new")
async def create_campaign(
    request: Request, session: SessionDep, principal: CampaignsWrite, settings: SettingsDep
) -> Response:
    """Save the new campaign (the API's ``POST /email-campaigns``; ``action`` ``draft``, ``schedule`` with
    ``scheduleAt`` in the shop's time zone, or ``send`` then ``POST …/send`` once ``confirmed``)."""
    return await _save(request, session, principal, settings, None)


@router.get("/marketing/campaigns/{campaign_id}")
async def campaign_page(
    request: Request,
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CampaignsRead,
    settings: SettingsDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """A campaign: its status, audience and schedule; once sending started its results (recipients, sent,
    delivered, failed, bounced, opened, clicked, unsubscribed, with their rates); the email as the sample
    customer receives it. 404 for an unknown campaign."""
    campaign = await service.read_campaign(session, campaign_id)
    stats = await service.stats(session, campaign_id)
    names = await segment_names(session, {campaign.segment_id} if campaign.segment_id else set())
    preview = await service.preview(session, principal, campaign_id, None, settings)
    audience = None
    if campaign.status.value in service.EDITABLE:
        try:
            audience = (await service.audience_count(session, campaign_id)).count
        except (NotFound, ValidationFailed):  # its segment deleted since: the editor says so
            audience = None
    context = {
        **_labels(),
        "campaign": campaign,
        "stats": stats,
        "segment_names": names,
        "preview": preview,
        "sample": rendering.SAMPLE_CUSTOMER,
        "audience": audience,
        "can_write": principal.has(CAMPAIGNS_WRITE),
        "editable": campaign.status.value in service.EDITABLE,
        "cancellable": campaign.status.value
        in (CampaignStatus.draft, CampaignStatus.scheduled, CampaignStatus.sending),
        "notice": NOTICES.get(done),
    }
    return render(request, "marketing/campaign.html", context)


@router.get("/marketing/campaigns/{campaign_id}/edit")
async def edit_campaign(
    request: Request, campaign_id: uuid.UUID, session: SessionDep, _: CampaignsWrite, settings: SettingsDep
) -> Response:
    """The editor filled with a draft or scheduled campaign (a started one opens its results)."""
    campaign = await service.get_campaign(session, campaign_id)
    if campaign.status not in service.EDITABLE:
        return RedirectResponse(f"{BASE}/{campaign_id}", status_code=303)
    values = values_of(campaign, ZoneInfo(settings.shop_timezone))
    return await _editor(request, session, settings, values, campaign=campaign)


@router.post("/marketing/campaigns/{campaign_id}/edit")
async def update_campaign(
    request: Request,
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CampaignsWrite,
    settings: SettingsDep,
) -> Response:
    """Save the changed campaign (the API's ``PATCH /email-campaigns/{id}``), as a draft, scheduled, or
    sent now once confirmed; 409 on the form once sending started."""
    return await _save(request, session, principal, settings, campaign_id)


@router.post("/marketing/campaigns/{campaign_id}/cancel")
async def cancel_campaign(campaign_id: uuid.UUID, session: SessionDep, _: CampaignsWrite) -> Response:
    """Cancel a draft, scheduled or sending campaign (the API's ``POST …/cancel``)."""
    await service.cancel(session, campaign_id)
    return RedirectResponse(f"{BASE}/{campaign_id}?done=cancelled", status_code=303)
