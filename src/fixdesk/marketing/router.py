"""Consent endpoints for staff (``/api/v1/customers/{id}/consents``) and the customer's own in the portal
(``/api/v1/customer/consents``), and the managers' suppression list (``/api/v1/suppressions``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from fixdesk.audit.service import AuditActor, ClientInfo, request_client
from fixdesk.marketing import examples, service
from fixdesk.marketing.permissions import CONSENTS_READ, CONSENTS_WRITE, SUPPRESSIONS_MANAGE
from fixdesk.marketing.schemas import (
    Channel,
    ConsentsRead,
    ConsentUpdate,
    PortalConsentUpdate,
    SuppressionCreate,
    SuppressionRead,
    SuppressionReasonName,
)
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, require

router = APIRouter(tags=["marketing consent"])
portal_router = APIRouter(tags=["customer portal"])

ConsentsReader = Annotated[Principal, Depends(require(CONSENTS_READ))]
ConsentsWriter = Annotated[Principal, Depends(require(CONSENTS_WRITE))]
SuppressionsManager = Annotated[Principal, Depends(require(SUPPRESSIONS_MANAGE))]
Client = Annotated[ClientInfo, Depends(request_client)]


@router.get(
    "/customers/{customer_id}/consents",
    operation_id="consents-get",
    response_model=ConsentsRead,
    responses=response_example(200, examples.CONSENTS_RESPONSE),
)
async def get_consents(customer_id: uuid.UUID, session: SessionDep, principal: ConsentsReader):
    """A customer's marketing consent per channel (email, sms, whatsapp) and its latest changes."""
    return await service.read_consents(session, principal, customer_id)


@router.put(
    "/customers/{customer_id}/consents/{channel}",
    operation_id="consents-update",
    response_model=ConsentsRead,
    openapi_extra=request_example(examples.CONSENT_UPDATE_REQUEST),
)
async def update_consent(
    customer_id: uuid.UUID,
    channel: Channel,
    body: ConsentUpdate,
    session: SessionDep,
    principal: ConsentsWriter,
    client: Client,
):
    """Grant or withdraw a customer's marketing consent on a channel, saying how it was given (audited)."""
    return await service.change_consent(
        session,
        principal,
        AuditActor.of(principal, client),
        customer_id,
        channel,
        granted=body.granted,
        source=body.source,
        evidence=body.evidence,
    )


@portal_router.get("/customer/consents", operation_id="portal-consents-get", response_model=ConsentsRead)
async def get_own_consents(session: SessionDep, principal: CustomerPortal):
    """The signed-in customer's own marketing consent per channel and its latest changes."""
    return await service.read_consents(session, principal, principal.id)


@portal_router.put("/customer/consents", operation_id="portal-consents-update", response_model=ConsentsRead)
async def update_own_consent(
    body: PortalConsentUpdate, session: SessionDep, principal: CustomerPortal, client: Client
):
    """The signed-in customer grants or withdraws their own marketing consent on a channel."""
    return await service.change_consent(
        session,
        principal,
        AuditActor.of(principal, client),
        principal.id,
        body.channel,
        granted=body.granted,
        source="portal",
        evidence=None,
    )


@router.get("/suppressions", operation_id="suppressions-list", response_model=Page[SuppressionRead])
async def list_suppressions(
    session: SessionDep,
    _: SuppressionsManager,
    params: Annotated[PageParams, Depends(page_params)],
    channel: Channel | None = None,
    address: Annotated[str | None, Query(max_length=255)] = None,
    reason: SuppressionReasonName | None = None,
):
    """The suppression list, newest first (filter by channel, exact address, reason)."""
    rows, total = await service.list_suppressions(
        session, params, channel=channel, address=address, reason=reason
    )
    return Page[SuppressionRead].build([SuppressionRead.model_validate(r) for r in rows], total, params)


@router.post(
    "/suppressions",
    operation_id="suppressions-create",
    status_code=status.HTTP_201_CREATED,
    response_model=SuppressionRead,
    responses={200: {"model": SuppressionRead, "description": "Already suppressed: the existing entry"}},
    openapi_extra=request_example(examples.SUPPRESSION_CREATE_REQUEST),
)
async def create_suppression(
    body: SuppressionCreate,
    session: SessionDep,
    principal: SuppressionsManager,
    client: Client,
    response: Response,
):
    """Suppress an address on a channel: no marketing message reaches it, whatever the audience (201; 200
    with the existing entry when it is already suppressed)."""
    row, created = await service.add_suppression(session, body, AuditActor.of(principal, client))
    if not created:
        response.status_code = status.HTTP_200_OK
    return SuppressionRead.model_validate(row)


@router.delete("/suppressions", operation_id="suppressions-delete", status_code=status.HTTP_204_NO_CONTENT)
async def delete_suppression(
    session: SessionDep,
    principal: SuppressionsManager,
    client: Client,
    channel: Channel,
    address: Annotated[str, Query(min_length=3, max_length=255)],
):
    """Take an address off a channel's suppression list (404 when it is not on it)."""
    await service.remove_suppression(session, channel, address, AuditActor.of(principal, client))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
