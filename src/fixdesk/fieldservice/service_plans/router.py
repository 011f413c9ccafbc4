"""Service plan endpoints (``/api/v1/service-plans``): managing needs ``work_orders:create``, reading
``work_orders:read`` (see :mod:`fixdesk.fieldservice.service_plans.service`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status

from fixdesk.fieldservice.permissions import WORK_ORDERS_CREATE, WORK_ORDERS_READ
from fixdesk.fieldservice.service_plans import service
from fixdesk.fieldservice.service_plans.models import ServicePlanStatus
from fixdesk.fieldservice.service_plans.schemas import (
    ServicePlanCreate,
    ServicePlanEnd,
    ServicePlanRead,
    ServicePlanUpdate,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["service plans"])

PlansRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
PlansManage = Annotated[Principal, Depends(require(WORK_ORDERS_CREATE))]


@router.get("/service-plans", operation_id="service-plans-list", response_model=Page[ServicePlanRead])
async def list_plans(
    session: SessionDep,
    principal: PlansRead,
    params: Annotated[PageParams, Depends(page_params)],
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    status_filter: Annotated[ServicePlanStatus | None, Query(alias="status")] = None,
):
    """List service plans, newest first (filters: customer, status)."""
    filters = service.PlanFilters(
        customer_id=customer_id, status=status_filter.value if status_filter else None
    )
    rows, total = await service.list_plans(session, filters, params)
    return Page[ServicePlanRead].build([ServicePlanRead.model_validate(row) for row in rows], total, params)


@router.post(
    "/service-plans",
    operation_id="service-plans-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ServicePlanRead,
)
async def create_plan(
    body: ServicePlanCreate, session: SessionDep, principal: PlansManage, settings: SettingsDep
):
    """Start a recurring service plan (400 naming ``recurrence`` for a rule that cannot be read)."""
    return await service.create_plan(session, principal, body, settings=settings)


@router.get("/service-plans/{plan_id}", operation_id="service-plans-get", response_model=ServicePlanRead)
async def get_plan(plan_id: uuid.UUID, session: SessionDep, principal: PlansRead):
    """One service plan with its next occurrence."""
    return await service.get_plan(session, plan_id)


@router.patch("/service-plans/{plan_id}", operation_id="service-plans-update", response_model=ServicePlanRead)
async def update_plan(
    plan_id: uuid.UUID,
    body: ServicePlanUpdate,
    session: SessionDep,
    principal: PlansManage,
    settings: SettingsDep,
):
    """Change a plan; occurrences already made work orders are left as they are."""
    return await service.update_plan(session, principal, plan_id, body, settings=settings)


@router.post(
    "/service-plans/{plan_id}/pause", operation_id="service-plans-pause", response_model=ServicePlanRead
)
async def pause_plan(plan_id: uuid.UUID, session: SessionDep, principal: PlansManage):
    """Pause an active plan (409 otherwise); its work orders already created stay."""
    return await service.pause_plan(session, plan_id)


@router.post(
    "/service-plans/{plan_id}/resume", operation_id="service-plans-resume", response_model=ServicePlanRead
)
async def resume_plan(plan_id: uuid.UUID, session: SessionDep, principal: PlansManage, settings: SettingsDep):
    """Resume a paused plan from its next occurrence after today (409 unless paused)."""
    return await service.resume_plan(session, plan_id, settings=settings)


@router.post("/service-plans/{plan_id}/end", operation_id="service-plans-end", response_model=ServicePlanRead)
async def end_plan(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: PlansManage,
    settings: SettingsDep,
    body: Annotated[ServicePlanEnd | None, Body()] = None,
):
    """End a plan: no occurrence after ``endsOn`` (default today, shop calendar)."""
    return await service.end_plan(session, plan_id, body.ends_on if body else None, settings=settings)
