"""``POST /ai/dispatch/query`` (seed 001) and ``POST /ai/dispatch/query/apply``: a dispatcher's request in
plain words, and applying what it proposed."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends

from fixdesk.db import utcnow
from fixdesk.fieldservice.assistant import service
from fixdesk.fieldservice.assistant.schemas import DispatchAnswer, DispatchQuery, ProposalBody
from fixdesk.fieldservice.permissions import WORK_ORDERS_ASSIGN, WORK_ORDERS_READ
from fixdesk.fieldservice.work_orders.router import work_order_detail
from fixdesk.fieldservice.work_orders.schemas import WorkOrderDetail
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import problems, request_example
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["work orders"])

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
WorkOrdersAssign = Annotated[Principal, Depends(require(WORK_ORDERS_ASSIGN))]

# Seed 001 writes the context's field current_date; both spellings are accepted, the document shows ours.
QUERY_EXAMPLE = {
    "query": "Schedule John for the Smith job tomorrow morning",
    "context": {"currentDate": "2026-03-10"},
}


@router.post(
    "/ai/dispatch/query",
    operation_id="dispatch-query",
    response_model=DispatchAnswer,
    openapi_extra=request_example(QUERY_EXAMPLE),
)
async def dispatch_query(
    body: DispatchQuery, session: SessionDep, principal: WorkOrdersRead, settings: SettingsDep
):
    """Understand a request such as "Schedule John for the Smith job tomorrow morning", "move the Garcia
    pumping to next Tuesday at 3pm", "who is free Friday afternoon?" or "unassign Mike from WO-2026-000123"
    against the shop's active technicians and open work orders. Nothing changes: the answer's ``proposal``
    is applied by ``POST /ai/dispatch/query/apply``. ``context.currentDate`` (the shop's calendar) is the
    day the request is said on; "tomorrow" is the day after it."""
    now = utcnow()
    if body.context.current_date is not None:
        # Noon of the given day: the request's date words are read against that day, not today.
        now = datetime.combine(body.context.current_date, time(12), tzinfo=ZoneInfo(settings.shop_timezone))
    understanding = await service.understand_request(session, principal, settings, body.query, now)
    return DispatchAnswer.of(understanding)


@router.post(
    "/ai/dispatch/query/apply",
    operation_id="dispatch-query-apply",
    response_model=WorkOrderDetail,
    responses=problems(404),
)
async def apply_dispatch_query(
    body: ProposalBody, session: SessionDep, principal: WorkOrdersAssign, settings: SettingsDep
):
    """Apply a request's proposal to its work order (``assign``: the technician leads it, with the day and
    window when given, a draft becomes scheduled; ``reschedule``: the day and window; ``unassign``), with
    the work orders' own checks and events, in one transaction. Answers the work order as it is now."""
    work_order = await service.apply_proposal(session, principal, settings, body.as_proposal())
    return work_order_detail(work_order, settings)
