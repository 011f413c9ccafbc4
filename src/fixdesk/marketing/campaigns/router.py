"""Email template and campaign endpoints (``/api/v1/email-templates``, ``/api/v1/email-campaigns``; seed
002's ``/emails/templates`` and ``/emails/campaigns``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from fixdesk.marketing.campaigns import service
from fixdesk.marketing.campaigns.models import CampaignStatus, RecipientStatus, TemplateType
from fixdesk.marketing.campaigns.schemas import (
    AudienceCount,
    CampaignPreview,
    CampaignPreviewRequest,
    CampaignSendResult,
    CampaignStats,
    EmailCampaignCreate,
    EmailCampaignRead,
    EmailCampaignUpdate,
    EmailTemplateCreate,
    EmailTemplateRead,
    EmailTemplateUpdate,
    RecipientRead,
)
from fixdesk.marketing.permissions import CAMPAIGNS_READ, CAMPAIGNS_WRITE
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import problems
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["email-campaigns"])

CampaignsRead = Annotated[Principal, Depends(require(CAMPAIGNS_READ))]
CampaignsWrite = Annotated[Principal, Depends(require(CAMPAIGNS_WRITE))]
Params = Annotated[PageParams, Depends(page_params)]
TEMPLATE_PROBLEMS = problems(422)


# --- templates ------------------------------------------------------------------------------------------


@router.get("/email-templates", operation_id="email-templates-list", response_model=Page[EmailTemplateRead])
async def list_templates(
    session: SessionDep,
    _: CampaignsRead,
    params: Params,
    template_type: Annotated[TemplateType | None, Query(alias="type")] = None,
):
    """List email templates by name."""
    rows, total = await service.list_templates(
        session, params, template_type.value if template_type else None
    )
    return Page[EmailTemplateRead].build([service.template_read(row) for row in rows], total, params)


@router.post(
    "/email-templates",
    operation_id="email-templates-create",
    status_code=status.HTTP_201_CREATED,
    response_model=EmailTemplateRead,
    responses=TEMPLATE_PROBLEMS,
)
async def create_template(body: EmailTemplateCreate, session: SessionDep, principal: CampaignsWrite):
    """Save an email template (422 for a syntax error or an unknown variable)."""
    return service.template_read(await service.create_template(session, principal, body))


@router.get(
    "/email-templates/{template_id}", operation_id="email-templates-get", response_model=EmailTemplateRead
)
async def get_template(template_id: uuid.UUID, session: SessionDep, _: CampaignsRead):
    """One email template."""
    return service.template_read(await service.get_template(session, template_id))


@router.patch(
    "/email-templates/{template_id}",
    operation_id="email-templates-update",
    response_model=EmailTemplateRead,
    responses=TEMPLATE_PROBLEMS,
)
async def update_template(
    template_id: uuid.UUID, body: EmailTemplateUpdate, session: SessionDep, _: CampaignsWrite
):
    """Change an email template (campaigns made from it keep their copy)."""
    return service.template_read(await service.update_template(session, template_id, body))


@router.delete(
    "/email-templates/{template_id}",
    operation_id="email-templates-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_template(template_id: uuid.UUID, session: SessionDep, _: CampaignsWrite) -> Response:
    """Delete an email template."""
    await service.delete_template(session, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- campaigns ------------------------------------------------------------------------------------------


@router.get("/email-campaigns", operation_id="email-campaigns-list", response_model=Page[EmailCampaignRead])
async def list_campaigns(
    session: SessionDep,
    _: CampaignsRead,
    params: Params,
    status_filter: Annotated[CampaignStatus | None, Query(alias="status")] = None,
):
    """List email campaigns, newest first, with sent, opened and clicked counts and rates."""
    items, total = await service.list_campaigns(
        session, params, status_filter.value if status_filter else None
    )
    return Page[EmailCampaignRead].build(items, total, params)


@router.post(
    "/email-campaigns",
    operation_id="email-campaigns-create",
    status_code=status.HTTP_201_CREATED,
    response_model=EmailCampaignRead,
    responses=problems(404, 422),
)
async def create_campaign(body: EmailCampaignCreate, session: SessionDep, principal: CampaignsWrite):
    """Create a campaign: a draft, or scheduled with a future scheduleAt (422 for a bad template)."""
    campaign = await service.create_campaign(session, principal, body)
    return service.campaign_read(campaign)


@router.get(
    "/email-campaigns/{campaign_id}", operation_id="email-campaigns-get", response_model=EmailCampaignRead
)
async def get_campaign(campaign_id: uuid.UUID, session: SessionDep, _: CampaignsRead):
    """One campaign with its counts."""
    return await service.read_campaign(session, campaign_id)


@router.patch(
    "/email-campaigns/{campaign_id}",
    operation_id="email-campaigns-update",
    response_model=EmailCampaignRead,
    responses=TEMPLATE_PROBLEMS,
)
async def update_campaign(
    campaign_id: uuid.UUID, body: EmailCampaignUpdate, session: SessionDep, _: CampaignsWrite
):
    """Change a draft or scheduled campaign (409 once sending started)."""
    return service.campaign_read(await service.update_campaign(session, campaign_id, body))


@router.delete(
    "/email-campaigns/{campaign_id}",
    operation_id="email-campaigns-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_campaign(campaign_id: uuid.UUID, session: SessionDep, _: CampaignsWrite) -> Response:
    """Delete a campaign that was never sent (409 otherwise)."""
    await service.delete_campaign(session, campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/email-campaigns/{campaign_id}/send",
    operation_id="email-campaigns-send",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CampaignSendResult,
)
async def send_campaign(
    campaign_id: uuid.UUID, session: SessionDep, _: CampaignsWrite, settings: SettingsDep
):
    """Start sending a draft or scheduled campaign now; campaign.sent follows when done."""
    campaign = await service.send_now(session, campaign_id, settings)
    return CampaignSendResult(
        campaign_id=campaign.id,
        status=CampaignStatus(campaign.status),
        recipient_count=campaign.recipient_count,
        started_at=campaign.started_at,
    )


@router.post(
    "/email-campaigns/{campaign_id}/cancel",
    operation_id="email-campaigns-cancel",
    response_model=EmailCampaignRead,
)
async def cancel_campaign(campaign_id: uuid.UUID, session: SessionDep, _: CampaignsWrite):
    """Cancel a draft, scheduled or sending campaign: nothing more is sent."""
    return service.campaign_read(await service.cancel(session, campaign_id))


@router.post(
    "/email-campaigns/{campaign_id}/preview",
    operation_id="email-campaigns-preview",
    response_model=CampaignPreview,
)
async def preview_campaign(
    campaign_id: uuid.UUID,
    body: CampaignPreviewRequest,
    session: SessionDep,
    principal: CampaignsRead,
    settings: SettingsDep,
):
    """Render the campaign for a customer, or for a sample customer."""
    return await service.preview(session, principal, campaign_id, body.customer_id, settings)


@router.get(
    "/email-campaigns/{campaign_id}/audience-count",
    operation_id="email-campaigns-audience-count",
    response_model=AudienceCount,
)
async def audience_count(campaign_id: uuid.UUID, session: SessionDep, _: CampaignsRead):
    """How many customers the campaign would reach now (consenting, not suppressed)."""
    return await service.audience_count(session, campaign_id)


@router.get(
    "/email-campaigns/{campaign_id}/stats", operation_id="email-campaigns-stats", response_model=CampaignStats
)
async def campaign_stats(campaign_id: uuid.UUID, session: SessionDep, _: CampaignsRead):
    """A campaign's recipients, sent, delivered, failed, bounced, opened, clicked, unsubscribed and rates."""
    return await service.stats(session, campaign_id)


@router.get(
    "/email-campaigns/{campaign_id}/recipients",
    operation_id="email-campaigns-recipients",
    response_model=Page[RecipientRead],
)
async def list_recipients(
    campaign_id: uuid.UUID,
    session: SessionDep,
    _: CampaignsRead,
    params: Params,
    status_filter: Annotated[RecipientStatus | None, Query(alias="status")] = None,
):
    """A campaign's recipients with each one's status and timestamps."""
    rows, total = await service.list_recipients(
        session, campaign_id, params, status_filter.value if status_filter else None
    )
    return Page[RecipientRead].build(
        [RecipientRead.model_validate(row, from_attributes=True) for row in rows], total, params
    )
