"""The gadgets domain's API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from fixdesk.platform.deps import SessionDep
from fixdesk.platform.errors import NotFound
from fixdesk.platform.events import publish
from fixdesk.platform.permissions import Principal, require
from tests.throwaway_domain.events import GADGET_TESTED, GadgetTestedPayload
from tests.throwaway_domain.manifest import GADGETS_READ
from tests.throwaway_domain.models import Gadget

router = APIRouter(tags=["gadgets"])
GadgetsRead = Annotated[Principal, Depends(require(GADGETS_READ))]


async def _gadget(session: SessionDep, gadget_id: uuid.UUID) -> Gadget:
    gadget = await session.get(Gadget, gadget_id)
    if gadget is None:
        raise NotFound(f"Gadget {gadget_id} not found.")
    return gadget


@router.get("/gadgets/{gadget_id}", operation_id="gadgets-get")
async def get_gadget(gadget_id: uuid.UUID, session: SessionDep, _: GadgetsRead) -> dict[str, str]:
    """One gadget."""
    gadget = await _gadget(session, gadget_id)
    return {"id": str(gadget.id), "name": gadget.name}


@router.post("/gadgets/{gadget_id}/tested", operation_id="gadgets-tested", status_code=202)
async def mark_tested(gadget_id: uuid.UUID, session: SessionDep, _: GadgetsRead) -> dict[str, str]:
    """Record that a gadget passed its test (publishes gadget.tested)."""
    gadget = await _gadget(session, gadget_id)
    payload = GadgetTestedPayload(id=gadget.id, customer_id=gadget.customer_id)
    event_id = await publish(session, GADGET_TESTED, payload, customer_id=gadget.customer_id)
    return {"eventId": str(event_id)}
