"""Email templates and campaigns: saving (templates checked at save time), the lifecycle
``draft → scheduled → sending → sent``, ``cancelled``, preview, audience count, stats, and what the
tracking links record (opens, clicks, one-click unsubscribes, provider bounces and complaints).

Sending itself is :mod:`fixdesk.marketing.campaigns.sending`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers import access as customers_access
from fixdesk.db import utcnow
from fixdesk.marketing import access
from fixdesk.marketing.campaigns import rendering, sending
from fixdesk.marketing.campaigns.models import (
    CampaignRecipient,
    CampaignStatus,
    EmailCampaign,
    EmailTemplate,
    RecipientStatus,
    RecipientType,
    TemplateType,
)
from fixdesk.marketing.campaigns.schemas import (
    AudienceCount,
    CampaignPreview,
    CampaignStats,
    EmailCampaignCreate,
    EmailCampaignRead,
    EmailCampaignUpdate,
    EmailTemplateCreate,
    EmailTemplateRead,
    EmailTemplateUpdate,
    check_audience_shape,
    percent,
)
from fixdesk.platform.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from fixdesk.platform.pagination import ListTotal, PageParams, paginate
from fixdesk.platform.permissions import Principal

log = structlog.get_logger("fixdesk.marketing.campaigns")

R = CampaignRecipient
EDITABLE = (CampaignStatus.draft.value, CampaignStatus.scheduled.value)
# The campaign lifecycle: what may follow each status (sent and cancelled are final).
NEXT: dict[str, list[str]] = {
    "draft": ["scheduled", "sending", "cancelled"],
    "scheduled": ["draft", "sending", "cancelled"],
    "sending": ["sent", "cancelled"],
    "sent": [],
    "cancelled": [],
}


def _refuse(campaign: EmailCampaign, requested: str) -> IllegalTransition:
    return IllegalTransition(campaign.status, requested, NEXT[campaign.status])


# --- templates ------------------------------------------------------------------------------------------


def template_read(template: EmailTemplate) -> EmailTemplateRead:
    return EmailTemplateRead(
        id=template.id,
        name=template.name,
        template_type=TemplateType(template.template_type),
        type=TemplateType(template.template_type),
        subject=template.subject,
        body=template.body,
        variables=rendering.variables_used(template.subject, template.body),
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


async def _unique_name(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("An email template with this name exists already.") from error


async def create_template(
    session: AsyncSession, principal: Principal, body: EmailTemplateCreate
) -> EmailTemplate:
    """Save a template. Raises :class:`~.rendering.TemplateInvalid` (422) for a bad subject or body and
    :class:`Conflict` (409) for a name in use."""
    rendering.check_template(body.subject, body.body)
    template = EmailTemplate(
        name=body.name,
        subject=body.subject,
        body=body.body,
        template_type=body.template_type.value,
        created_by_id=principal.staff_user_id,
    )
    session.add(template)
    await _unique_name(session)
    return template


async def get_template(session: AsyncSession, template_id: uuid.UUID) -> EmailTemplate:
    template = await session.get(EmailTemplate, template_id)
    if template is None:
        raise NotFound(f"Email template {template_id} not found.")
    return template


async def list_templates(
    session: AsyncSession, params: PageParams, template_type: str | None
) -> tuple[Sequence[EmailTemplate], ListTotal]:
    statement = select(EmailTemplate).order_by(EmailTemplate.name, EmailTemplate.id)
    if template_type:
        statement = statement.where(EmailTemplate.template_type == template_type)
    return await paginate(session, statement, params)


async def update_template(
    session: AsyncSession, template_id: uuid.UUID, body: EmailTemplateUpdate
) -> EmailTemplate:
    """Change a template (checked like a new one). Campaigns made from it keep their own copy."""
    template = await get_template(session, template_id)
    values = body.model_dump(exclude_unset=True, by_alias=False)  # field names, not the camelCase aliases
    rendering.check_template(values.get("subject", template.subject), values.get("body", template.body))
    for name, value in values.items():
        setattr(template, name, value.value if isinstance(value, TemplateType) else value)
    await _unique_name(session)
    return template


async def delete_template(session: AsyncSession, template_id: uuid.UUID) -> None:
    await session.delete(await get_template(session, template_id))
    await session.flush()


# --- campaigns ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0


def campaign_read(campaign: EmailCampaign, counts: Counts | None = None) -> EmailCampaignRead:
    counts = counts or Counts()
    return EmailCampaignRead(
        id=campaign.id,
        name=campaign.name,
        subject=campaign.subject,
        body=campaign.body,
        template_type=TemplateType(campaign.template_type),
        template_id=campaign.template_id,
        recipient_type=RecipientType(campaign.recipient_type),
        segment_id=campaign.segment_id,
        customer_ids=[uuid.UUID(value) for value in campaign.customer_ids] if campaign.customer_ids else None,
        status=CampaignStatus(campaign.status),
        schedule_at=campaign.schedule_at,
        started_at=campaign.started_at,
        sent_at=campaign.sent_at,
        cancelled_at=campaign.cancelled_at,
        recipient_count=campaign.recipient_count,
        sent_count=counts.sent,
        opened_count=counts.opened,
        clicked_count=counts.clicked,
        open_rate=percent(counts.opened, counts.delivered),
        click_rate=percent(counts.clicked, counts.delivered),
        created_by_id=campaign.created_by_id,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


async def counts_of(session: AsyncSession, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Counts]:
    """Sent, delivered, opened and clicked per campaign: one grouped query for a whole page."""
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(
            R.campaign_id,
            func.count(R.sent_at),
            func.count(R.sent_at) - func.count(R.bounced_at),
            func.count(R.opened_at),
            func.count(R.clicked_at),
        )
        .where(R.campaign_id.in_(campaign_ids))
        .group_by(R.campaign_id)
    )
    return {row[0]: Counts(int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}


def _audience_values(recipient_type: RecipientType, segment_id: Any, customer_ids: Any) -> dict[str, Any]:
    return {
        "recipient_type": recipient_type.value,
        "segment_id": segment_id if recipient_type == RecipientType.segment else None,
        "customer_ids": [str(value) for value in dict.fromkeys(customer_ids)]
        if recipient_type == RecipientType.customers and customer_ids
        else None,
    }


async def _check_audience(session: AsyncSession, campaign: EmailCampaign) -> None:
    await access.validate_audience(session, access.AudienceSpec(**campaign.audience()))


def _check_schedule(schedule_at: Any) -> None:
    if schedule_at is not None and schedule_at <= utcnow():
        raise ValidationFailed.for_field("scheduleAt", "must be in the future")


async def create_campaign(
    session: AsyncSession, principal: Principal, body: EmailCampaignCreate
) -> EmailCampaign:
    """Save a campaign (a draft, or scheduled with a future ``scheduleAt``). Raises
    :class:`~.rendering.TemplateInvalid` (422) for a bad subject or body, :class:`NotFound` for an unknown
    template, and what :func:`fixdesk.marketing.access.validate_audience` raises for a bad audience."""
    subject, html, template_type = body.subject, body.body, body.template_type
    if body.template_id is not None:
        template = await get_template(session, body.template_id)
        subject = subject or template.subject
        html = html or template.body
        template_type = template_type or TemplateType(template.template_type)
    assert subject is not None
    assert html is not None
    rendering.check_template(subject, html)
    _check_schedule(body.schedule_at)
    campaign = EmailCampaign(
        name=body.name,
        subject=subject,
        body=html,
        template_type=(template_type or TemplateType.blank).value,
        template_id=body.template_id,
        status=(CampaignStatus.scheduled if body.schedule_at else CampaignStatus.draft).value,
        schedule_at=body.schedule_at,
        created_by_id=principal.staff_user_id,
        recipient_count=0,
        **_audience_values(body.recipient_type, body.segment_id, body.customer_ids),
    )
    await _check_audience(session, campaign)
    session.add(campaign)
    await session.flush()
    return campaign


async def get_campaign(
    session: AsyncSession, campaign_id: uuid.UUID, *, for_update: bool = False
) -> EmailCampaign:
    campaign = await session.get(EmailCampaign, campaign_id, with_for_update=for_update or None)
    if campaign is None:
        raise NotFound(f"Email campaign {campaign_id} not found.")
    return campaign


async def list_campaigns(
    session: AsyncSession, params: PageParams, status: str | None
) -> tuple[list[EmailCampaignRead], ListTotal]:
    """Campaigns, newest first, each with its counts (one grouped query for the page)."""
    statement: Select[Any] = select(EmailCampaign).order_by(
        EmailCampaign.created_at.desc(), EmailCampaign.id.desc()
    )
    if status:
        statement = statement.where(EmailCampaign.status == status)
    rows, total = await paginate(session, statement, params)
    counts = await counts_of(session, [row.id for row in rows])
    return [campaign_read(row, counts.get(row.id)) for row in rows], total


async def read_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> EmailCampaignRead:
    campaign = await get_campaign(session, campaign_id)
    return campaign_read(campaign, (await counts_of(session, [campaign.id])).get(campaign.id))


def _ensure_editable(campaign: EmailCampaign) -> None:
    if campaign.status not in EDITABLE:
        raise Conflict(
            f"A {campaign.status} campaign cannot be changed any more.", campaignStatus=campaign.status
        )


async def update_campaign(
    session: AsyncSession, campaign_id: uuid.UUID, body: EmailCampaignUpdate
) -> EmailCampaign:
    """Change a draft or scheduled campaign (409 once sending started). Setting ``scheduleAt`` schedules
    it; ``scheduleAt: null`` makes it a draft again."""
    campaign = await get_campaign(session, campaign_id, for_update=True)
    _ensure_editable(campaign)
    values = body.model_dump(exclude_unset=True, by_alias=False)  # field names, not the camelCase aliases
    for name in ("name", "subject", "body"):
        if name in values:
            setattr(campaign, name, values[name])
    if "template_type" in values:
        campaign.template_type = values["template_type"].value
    if {"subject", "body"} & values.keys():
        rendering.check_template(campaign.subject, campaign.body)
    if {"recipient_type", "segment_id", "customer_ids"} & values.keys():
        recipient_type = values.get("recipient_type") or RecipientType(campaign.recipient_type)
        segment_id = values.get("segment_id", campaign.segment_id)
        customer_ids = values.get("customer_ids", campaign.customer_ids)
        try:
            check_audience_shape(recipient_type, segment_id, customer_ids)
        except ValueError as error:
            raise ValidationFailed.for_field("recipientType", str(error)) from error
        for name, value in _audience_values(recipient_type, segment_id, customer_ids).items():
            setattr(campaign, name, value)
        await _check_audience(session, campaign)
    if "schedule_at" in values:
        _check_schedule(values["schedule_at"])
        campaign.schedule_at = values["schedule_at"]
        campaign.status = (CampaignStatus.scheduled if campaign.schedule_at else CampaignStatus.draft).value
    campaign.updated_at = utcnow()
    await session.flush()
    return campaign


async def delete_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> None:
    """Delete a draft, scheduled or cancelled campaign (409 for one that was sent or is sending: its
    recipients' records are the evidence of what was sent)."""
    campaign = await get_campaign(session, campaign_id, for_update=True)
    if campaign.status not in (*EDITABLE, CampaignStatus.cancelled.value) or campaign.started_at is not None:
        raise Conflict(f"A {campaign.status} campaign cannot be deleted; it was sent.")
    await session.delete(campaign)
    await session.flush()


async def send_now(session: AsyncSession, campaign_id: uuid.UUID, settings: Settings) -> EmailCampaign:
    """Start sending a draft or scheduled campaign now (409 for any other status). The recipients are
    queued in this transaction; the worker sends them (:mod:`.sending`)."""
    campaign = await get_campaign(session, campaign_id, for_update=True)
    if campaign.status not in EDITABLE:
        raise _refuse(campaign, CampaignStatus.sending.value)
    await sending.start_sending(session, campaign, settings)
    return campaign


async def cancel(session: AsyncSession, campaign_id: uuid.UUID) -> EmailCampaign:
    """Cancel a draft, scheduled or sending campaign: nothing more is sent (the recipients still queued
    are marked skipped; a batch already in a worker's hands finishes). 409 for a sent one."""
    campaign = await get_campaign(session, campaign_id, for_update=True)
    if campaign.status not in (*EDITABLE, CampaignStatus.sending.value):
        raise _refuse(campaign, CampaignStatus.cancelled.value)
    now = utcnow()
    await session.execute(
        update(R)
        .where(R.campaign_id == campaign.id, R.status == RecipientStatus.queued.value)
        .values(status=RecipientStatus.skipped.value, error="cancelled")
        .execution_options(synchronize_session=False)
    )
    campaign.status = CampaignStatus.cancelled.value
    campaign.cancelled_at = now
    campaign.updated_at = now
    await session.flush()
    return campaign


async def start_due(session: AsyncSession, settings: Settings, *, limit: int = 20) -> int:
    """Start the scheduled campaigns whose ``scheduleAt`` has come (the periodic job), each locked
    ``FOR UPDATE SKIP LOCKED`` so two workers never start the same one. A campaign whose audience is no
    longer valid (its segment deleted) goes back to draft. Returns how many started."""
    due = (
        await session.scalars(
            select(EmailCampaign)
            .where(
                EmailCampaign.status == CampaignStatus.scheduled.value, EmailCampaign.schedule_at <= utcnow()
            )
            .order_by(EmailCampaign.schedule_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    started = 0
    for campaign in due:
        try:
            async with session.begin_nested():
                await sending.start_sending(session, campaign, settings)
            started += 1
        except (ValidationFailed, NotFound) as error:
            log.warning("scheduled_campaign_not_started", campaign_id=str(campaign.id), error=str(error))
            campaign.status = CampaignStatus.draft.value
    await session.flush()
    return started


async def audience_count(session: AsyncSession, campaign_id: uuid.UUID) -> AudienceCount:
    """How many customers the campaign would reach if sent now."""
    campaign = await get_campaign(session, campaign_id)
    spec = access.AudienceSpec(**campaign.audience())
    return AudienceCount(
        campaign_id=campaign.id,
        recipient_type=RecipientType(campaign.recipient_type),
        count=await access.count_audience(session, spec, "email"),
    )


async def preview(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    settings: Settings,
) -> CampaignPreview:
    """The campaign rendered for ``customer_id`` (read through the customers' access rules) or for
    :data:`~.rendering.SAMPLE_CUSTOMER`, links as written (no tracking), the unsubscribe link a
    placeholder."""
    campaign = await get_campaign(session, campaign_id)
    if customer_id is not None:
        customer = await customers_access.get_visible(session, principal, customer_id)
        recipient = {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email or "",
            "language": customer.language,
        }
    else:
        recipient = dict(rendering.SAMPLE_CUSTOMER)
    compiled = sending.compiled_campaign(campaign, settings)
    rendered = compiled.render(
        recipient, unsubscribe_url=f"{settings.resolved_public_base_url}/unsubscribe/preview"
    )
    return CampaignPreview(
        to=recipient["email"],
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        customer_id=customer_id,
        links=list(compiled.links),
    )


async def stats(session: AsyncSession, campaign_id: uuid.UUID) -> CampaignStats:
    """A campaign's counts and rates in one aggregate query over its recipients."""
    campaign = await get_campaign(session, campaign_id)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(
                    R.status.in_((RecipientStatus.queued.value, RecipientStatus.sending.value))
                ),
                func.count().filter(R.status == RecipientStatus.skipped.value),
                func.count(R.sent_at),
                func.count().filter(R.status == RecipientStatus.failed.value),
                func.count(R.bounced_at),
                func.count(R.opened_at),
                func.count(R.clicked_at),
                func.count(R.unsubscribed_at),
            ).where(R.campaign_id == campaign_id)
        )
    ).one()
    recipients, queued, skipped, sent, failed, bounced, opened, clicked, unsubscribed = (int(v) for v in row)
    delivered = sent - bounced
    return CampaignStats(
        campaign_id=campaign.id,
        status=CampaignStatus(campaign.status),
        recipients=recipients,
        queued=queued,
        skipped=skipped,
        sent=sent,
        delivered=delivered,
        failed=failed,
        bounced=bounced,
        opened=opened,
        clicked=clicked,
        unsubscribed=unsubscribed,
        delivery_rate=percent(delivered, sent),
        bounce_rate=percent(bounced, sent),
        open_rate=percent(opened, delivered),
        click_rate=percent(clicked, delivered),
        click_to_open_rate=percent(clicked, opened),
        unsubscribe_rate=percent(unsubscribed, delivered),
    )


async def list_recipients(
    session: AsyncSession, campaign_id: uuid.UUID, params: PageParams, status: str | None
) -> tuple[Sequence[CampaignRecipient], ListTotal]:
    await get_campaign(session, campaign_id)
    statement = select(R).where(R.campaign_id == campaign_id).order_by(R.customer_id)
    if status:
        statement = statement.where(R.status == status)
    return await paginate(session, statement, params)


# --- what the tracking links record ---------------------------------------------------------------------

# A status only moves forward: an open after a click leaves "clicked".
_BEFORE_OPENED = (RecipientStatus.sent.value,)
_BEFORE_CLICKED = (RecipientStatus.sent.value, RecipientStatus.opened.value)


async def record_open(session: AsyncSession, campaign_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """The first open of a sent message stamps ``opened_at`` (later opens change nothing)."""
    now = utcnow()
    key = (R.campaign_id == campaign_id, R.customer_id == customer_id, R.sent_at.is_not(None))
    await session.execute(
        update(R)
        .where(*key, R.opened_at.is_(None))
        .values(opened_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(R).where(*key, R.status.in_(_BEFORE_OPENED)).values(status=RecipientStatus.opened.value)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


async def record_click(
    session: AsyncSession, campaign_id: uuid.UUID, customer_id: uuid.UUID, index: int
) -> str:
    """The campaign's link number ``index`` (404 when the campaign has no such link, or the recipient is
    unknown); the first click stamps ``clicked_at`` (and ``opened_at``, since a click is an open the
    pixel may have missed when images were off)."""
    recipient = await session.get(R, (campaign_id, customer_id))
    campaign = await session.get(EmailCampaign, campaign_id)
    if recipient is None or campaign is None:
        raise NotFound("Unknown link.")
    links = rendering.campaign_links(campaign.body)
    if not 0 <= index < len(links):
        raise NotFound("Unknown link.")
    now = utcnow()
    recipient.clicked_at = recipient.clicked_at or now
    recipient.opened_at = recipient.opened_at or now
    if recipient.status in _BEFORE_CLICKED:
        recipient.status = RecipientStatus.clicked.value
    await session.flush()
    return links[index]


async def recipient_of(
    session: AsyncSession, campaign_id: uuid.UUID, customer_id: uuid.UUID
) -> CampaignRecipient:
    recipient = await session.get(R, (campaign_id, customer_id))
    if recipient is None:
        raise NotFound("Unknown link.")
    return recipient


async def unsubscribe(
    session: AsyncSession, campaign_id: uuid.UUID, customer_id: uuid.UUID, *, one_click: bool
) -> CampaignRecipient:
    """Unsubscribe the recipient from marketing email: the address goes on the suppression list and the
    customer's email consent is withdrawn (evidence: this campaign), the recipient row stamped. Idempotent.
    ``one_click`` says it came from a mail client's RFC 8058 POST rather than the confirmation page."""
    recipient = await recipient_of(session, campaign_id, customer_id)
    source = "list_unsubscribe" if one_click else "unsubscribe_link"
    await access.suppress(
        session, channel="email", address=recipient.email, reason="unsubscribed", source=source
    )
    await access.record_consent(
        session,
        customer_id=customer_id,
        channel="email",
        granted=False,
        source=source,
        evidence=f"campaign {campaign_id}",
    )
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = utcnow()
        if recipient.status not in (RecipientStatus.bounced.value,):
            recipient.status = RecipientStatus.unsubscribed.value
    await session.flush()
    return recipient


async def record_provider_event(
    session: AsyncSession, *, event: str, address: str, provider_message_id: str | None
) -> None:
    """A provider's delivery event (SendGrid's Event Webhook): ``bounce``/``dropped`` suppress the address
    (reason bounced) and mark the recipient bounced; ``spamreport`` suppresses it (complained) and withdraws
    the consent; ``unsubscribe`` and ``group_unsubscribe`` suppress it (unsubscribed). Other events are
    ignored. The recipient is found by the provider's message id (SendGrid's ``sg_message_id`` starts with
    the id its API returned)."""
    reasons = {
        "bounce": "bounced",
        "dropped": "bounced",
        "spamreport": "complained",
        "unsubscribe": "unsubscribed",
        "group_unsubscribe": "unsubscribed",
    }
    reason = reasons.get(event)
    if reason is None or not address:
        return
    await access.suppress(
        session,
        channel="email",
        address=address,
        reason=reason,
        source="complaint" if reason == "complained" else "api",
    )
    recipient = None
    if provider_message_id:
        recipient = (
            await session.scalars(
                select(R).where(R.provider_message_id == provider_message_id.split(".")[0]).limit(1)
            )
        ).first()
    if recipient is None:
        return
    now = utcnow()
    if reason == "bounced":
        recipient.bounced_at = recipient.bounced_at or now
        recipient.status = RecipientStatus.bounced.value
    else:
        recipient.unsubscribed_at = recipient.unsubscribed_at or now
        if recipient.status != RecipientStatus.bounced.value:
            recipient.status = RecipientStatus.unsubscribed.value
        if reason == "complained":
            await access.record_consent(
                session,
                customer_id=recipient.customer_id,
                channel="email",
                granted=False,
                source="complaint",
                evidence=f"spam report, campaign {recipient.campaign_id}",
            )
    await session.flush()
