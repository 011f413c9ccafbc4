"""``POST /dispatch/plan``, ``GET /dispatch/plans/{id}``, ``POST /dispatch/plans/{id}/apply`` (issue 11
item 6) and seed 001's ``GET /ai/dispatch/suggestions`` with accept and dismiss. All need
``work_orders:assign`` (dispatchers: managers, agents at the front desk, admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fixdesk.fieldservice.dispatch import service
from fixdesk.fieldservice.dispatch.schemas import (
    DispatchPlanCreate,
    DispatchPlanRead,
    SuggestionList,
    SuggestionRead,
)
from fixdesk.fieldservice.permissions import WORK_ORDERS_ASSIGN
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.fieldservice.work_orders.router import work_order_detail
from fixdesk.fieldservice.work_orders.schemas import WorkOrderDetail
from fixdesk.platform.deps import SessionDep, SettingsDep, writes_on_read
from fixdesk.platform.openapi import problems, request_example
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["work orders"])

Dispatcher = Annotated[Principal, Depends(require(WORK_ORDERS_ASSIGN))]


@router.post(
    "/dispatch/plan",
    operation_id="dispatch-plan-create",
    response_model=DispatchPlanRead,
    status_code=201,
    openapi_extra=request_example({"date": "2026-06-18"}),
)
async def create_dispatch_plan(
    body: DispatchPlanCreate, session: SessionDep, principal: Dispatcher, settings: SettingsDep
):
    """Plan a day: per technician the ordered stops (arrival, service start and departure in the shop's
    time zone; travel minutes and kilometres from the previous stop), breaks and totals, and the work
    orders left out with their reason. Respects skills, time windows, working hours, breaks, durations
    and priorities (VROOM). The plan is stored as ``proposed``; nothing changes on the work orders until
    ``POST /dispatch/plans/{id}/apply``."""
    plan = await service.create_plan(session, principal, settings, body)
    return service.plan_read(plan)


@router.get(
    "/dispatch/plans/{plan_id}",
    operation_id="dispatch-plan-get",
    response_model=DispatchPlanRead,
    responses=problems(404),
)
async def get_dispatch_plan(plan_id: uuid.UUID, session: SessionDep, principal: Dispatcher):
    """A stored plan as it was computed, with its status (``proposed`` or ``applied``)."""
    return service.plan_read(await service.get_plan(session, plan_id))


@router.post(
    "/dispatch/plans/{plan_id}/apply",
    operation_id="dispatch-plan-apply",
    response_model=DispatchPlanRead,
    responses=problems(404, 409),
)
async def apply_dispatch_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: Dispatcher, settings: SettingsDep
):
    """Write the plan to its work orders in one transaction: the technician as lead, the date, the window
    (kept when the work order has one; else the planned visit widened to quarter hours), drafts become
    scheduled, each with its events. 409 when the plan was applied already."""
    plan = await service.apply_plan(session, principal, settings, plan_id)
    return service.plan_read(plan)


@router.get(
    "/ai/dispatch/suggestions", operation_id="dispatch-suggestions-list", response_model=SuggestionList
)
@writes_on_read  # the day's plan, when it has none yet, is made in the request's transaction
async def list_dispatch_suggestions(
    session: SessionDep,
    principal: Dispatcher,
    settings: SettingsDep,
    day: Annotated[
        CalendarDay | None,
        Query(alias="date", description="The day (YYYY-MM-DD, shop's calendar); today by default"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Most suggestions to return")] = 10,
):
    """Seed 001's suggestions for a day, drawn from its latest proposed plan (made now when there is
    none): one per placed work order not already assigned that way, highest confidence first."""
    suggestions = await service.list_suggestions(
        session, principal, settings, day or settings.shop_today(), limit
    )
    return SuggestionList(suggestions=suggestions)


@router.post(
    "/ai/dispatch/suggestions/{suggestion_id}/accept",
    operation_id="dispatch-suggestions-accept",
    response_model=WorkOrderDetail,
    responses=problems(404, 409),
)
async def accept_dispatch_suggestion(
    suggestion_id: uuid.UUID, session: SessionDep, principal: Dispatcher, settings: SettingsDep
):
    """Assign the work order as suggested (lead technician, date, window; a draft becomes scheduled) and
    answer the work order as it is now."""
    work_order = await service.accept_suggestion(session, principal, settings, suggestion_id)
    return work_order_detail(work_order, settings)


@router.post(
    "/ai/dispatch/suggestions/{suggestion_id}/dismiss",
    operation_id="dispatch-suggestions-dismiss",
    response_model=SuggestionRead,
    responses=problems(404, 409),
)
async def dismiss_dispatch_suggestion(suggestion_id: uuid.UUID, session: SessionDep, principal: Dispatcher):
    """Dismiss a suggestion: it is not offered again for its plan."""
    return await service.dismiss_suggestion(session, principal, suggestion_id)
