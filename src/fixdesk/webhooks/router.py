"""Webhook endpoints (``/api/v1/webhooks``): the event catalogue, subscriptions and deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from fixdesk.platform.crypto import Keyring
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.events import CATALOG
from fixdesk.platform.idempotency import SECRET_SHOWN_ONCE
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, public, require
from fixdesk.platform.schemas import CamelModel
from fixdesk.webhooks import examples, service
from fixdesk.webhooks.models import WebhookSubscription
from fixdesk.webhooks.permissions import WEBHOOKS_MANAGE
from fixdesk.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from fixdesk.webhooks.targets import DeliveryNetwork, network_of

router = APIRouter(tags=["webhooks"])

WebhooksManage = Annotated[Principal, Depends(require(WEBHOOKS_MANAGE))]


async def delivery_network(request: Request) -> DeliveryNetwork:
    """How URLs are resolved when a subscription is checked: the same :class:`DeliveryNetwork` as the
    deliveries of this process (its services), else the system's resolver."""
    return network_of(getattr(request.app.state, "services", None))


NetworkDep = Annotated[DeliveryNetwork, Depends(delivery_network)]


class EventCatalogEntry(CamelModel):
    name: str
    description: str
    payload_schema: dict


class EventCatalog(CamelModel):
    events: list[EventCatalogEntry]


@router.get(
    "/webhooks/events",
    operation_id="webhooks-events",
    dependencies=[Depends(public)],
    response_model=EventCatalog,
)
async def event_catalog():
    """Every event Fixdesk publishes, with the JSON schema of its payload."""
    return EventCatalog(
        events=[
            EventCatalogEntry(name=entry.name, description=entry.description, payload_schema=entry.schema())
            for entry in sorted(CATALOG.values(), key=lambda e: e.name)
        ]
    )


def _with_secret(subscription: WebhookSubscription, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(**WebhookRead.model_validate(subscription).model_dump(), secret=secret)


@router.get("/webhooks", operation_id="webhooks-list", response_model=Page[WebhookRead])
async def list_webhooks(
    session: SessionDep, _: WebhooksManage, params: Annotated[PageParams, Depends(page_params)]
):
    """List webhook subscriptions, newest first (secrets are never listed)."""
    rows, total = await service.list_subscriptions(session, params)
    return Page[WebhookRead].build([WebhookRead.model_validate(r) for r in rows], total, params)


@router.post(
    "/webhooks",
    operation_id="webhooks-create",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookWithSecret,
    responses=response_example(201, examples.WEBHOOK_CREATED_RESPONSE),
    openapi_extra=SECRET_SHOWN_ONCE | request_example(examples.WEBHOOK_CREATE_REQUEST),
)
async def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    settings: SettingsDep,
    network: NetworkDep,
    principal: WebhooksManage,
):
    """Subscribe a URL to events; the answer shows the signing secret, the only time it is shown."""
    subscription, secret = await service.create_subscription(
        session,
        body,
        owner_id=principal.staff_user_id,
        allow_private=settings.webhooks_allow_private,
        keyring=Keyring.from_settings(settings),
        network=network,
    )
    return _with_secret(subscription, secret)


@router.get("/webhooks/{webhook_id:uuid}", operation_id="webhooks-get", response_model=WebhookRead)
async def get_webhook(webhook_id: uuid.UUID, session: SessionDep, _: WebhooksManage):
    """One webhook subscription, without its secret."""
    return WebhookRead.model_validate(await service.get_subscription(session, webhook_id))


@router.patch("/webhooks/{webhook_id:uuid}", operation_id="webhooks-update", response_model=WebhookRead)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    session: SessionDep,
    settings: SettingsDep,
    network: NetworkDep,
    _: WebhooksManage,
):
    """Change a subscription's URL, events, description or active flag (re-enables a disabled one)."""
    subscription = await service.update_subscription(
        session, webhook_id, body, allow_private=settings.webhooks_allow_private, network=network
    )
    return WebhookRead.model_validate(subscription)


@router.delete(
    "/webhooks/{webhook_id:uuid}", operation_id="webhooks-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, _: WebhooksManage) -> None:
    """Delete a subscription and its delivery log."""
    await service.delete_subscription(session, webhook_id)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    operation_id="webhooks-rotate-secret",
    response_model=WebhookWithSecret,
    openapi_extra=SECRET_SHOWN_ONCE,
)
async def rotate_webhook_secret(
    webhook_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: WebhooksManage
):
    """Replace the signing secret; the new one is shown once and the old one signs nothing more."""
    subscription, secret = await service.rotate_secret(
        session, webhook_id, keyring=Keyring.from_settings(settings)
    )
    return _with_secret(subscription, secret)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    operation_id="webhooks-deliveries-list",
    response_model=Page[DeliveryRead],
)
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    _: WebhooksManage,
    params: Annotated[PageParams, Depends(page_params)],
    status_filter: Annotated[Literal["pending", "delivered", "failed"] | None, Query(alias="status")] = None,
    event: Annotated[str | None, Query(max_length=100, description="Event name")] = None,
):
    """A subscription's deliveries, newest first, with response code, duration and every attempt."""
    rows, total = await service.list_deliveries(
        session, webhook_id, params, status=status_filter, event=event
    )
    return Page[DeliveryRead].build([DeliveryRead.model_validate(r) for r in rows], total, params)


@router.post(
    "/webhooks/deliveries/{delivery_id}/redeliver",
    operation_id="webhooks-deliveries-redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
)
async def redeliver_webhook_delivery(delivery_id: uuid.UUID, session: SessionDep, _: WebhooksManage):
    """Send a delivery again now, with the same webhook-id (one attempt, logged with the others)."""
    return DeliveryRead.model_validate(await service.redeliver(session, delivery_id))


@router.post(
    "/webhooks/{webhook_id}/test",
    operation_id="webhooks-test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
)
async def send_test_webhook(webhook_id: uuid.UUID, session: SessionDep, _: WebhooksManage):
    """Send a webhook.test ping to this endpoint only; its outcome appears in the delivery log."""
    return DeliveryRead.model_validate(await service.send_test(session, webhook_id))
