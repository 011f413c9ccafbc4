"""Webhook endpoints (``/api/v1/webhooks``): the event catalogue, subscriptions and deliveries."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from fixdesk.platform.events import CATALOG
from fixdesk.platform.permissions import public
from fixdesk.platform.schemas import CamelModel

router = APIRouter(tags=["webhooks"])


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
