"""Technician endpoints (``/api/v1/technicians``, seed 001)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from fixdesk.config import Settings
from fixdesk.fieldservice import examples
from fixdesk.fieldservice.models import Technician
from fixdesk.fieldservice.permissions import TECHNICIANS_MANAGE, TECHNICIANS_READ
from fixdesk.fieldservice.technicians import service
from fixdesk.fieldservice.technicians.schemas import (
    TechnicianCreate,
    TechnicianRead,
    TechnicianUpdate,
    TimeOffRead,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["technicians"])

TechniciansRead = Annotated[Principal, Depends(require(TECHNICIANS_READ))]
TechniciansManage = Annotated[Principal, Depends(require(TECHNICIANS_MANAGE))]


def technician_read(technician: Technician, settings: Settings) -> TechnicianRead:
    """The answer for a technician loaded with its user, skills and time off."""
    return TechnicianRead(
        id=technician.id,
        user_id=technician.user_id,
        first_name=technician.user.first_name,
        last_name=technician.user.last_name,
        email=technician.user.email,
        phone=technician.phone,
        skills=technician.skill_names,
        hourly_rate=technician.hourly_rate,
        currency=settings.currency,
        home_address=technician.home_address,
        home_latitude=technician.home_latitude,
        home_longitude=technician.home_longitude,
        home_geocode_status=technician.home_geocode_status,
        working_hours=technician.working_hours,
        time_zone=settings.shop_timezone,
        time_off=[TimeOffRead.model_validate(period) for period in technician.time_off],
        is_active=technician.is_active,
        notes=technician.notes,
        created_at=technician.created_at,
        updated_at=technician.updated_at,
    )


@router.get(
    "/technicians",
    operation_id="technicians-list",
    response_model=Page[TechnicianRead],
    responses=response_example(200, examples.TECHNICIAN_PAGE_RESPONSE),
)
async def list_technicians(
    session: SessionDep,
    principal: TechniciansRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(max_length=200, description="Name or email")] = None,
    active_only: Annotated[bool, Query(alias="activeOnly", description="Only active technicians")] = False,
    active_only_snake: Annotated[bool | None, Query(alias="active_only", include_in_schema=False)] = None,
    skill: Annotated[str | None, Query(max_length=50, description="Technicians with this skill")] = None,
):
    """List technicians (a technician sees only their own profile)."""
    filters = service.TechnicianFilters(
        search=search, active_only=active_only or bool(active_only_snake), skill=skill
    )
    rows, total = await service.list_technicians(session, principal, filters, params)
    return Page[TechnicianRead].build([technician_read(row, settings) for row in rows], total, params)


@router.post(
    "/technicians",
    operation_id="technicians-create",
    status_code=status.HTTP_201_CREATED,
    response_model=TechnicianRead,
    responses=response_example(201, examples.TECHNICIAN_RESPONSE),
    openapi_extra=request_example(examples.TECHNICIAN_CREATE_REQUEST),
)
async def create_technician(
    body: TechnicianCreate, session: SessionDep, _: TechniciansManage, settings: SettingsDep
):
    """Give a staff user a technician profile: skills, rate, home base, working hours, time off."""
    return technician_read(await service.create_technician(session, body, settings=settings), settings)


@router.get(
    "/technicians/{technician_id}",
    operation_id="technicians-get",
    response_model=TechnicianRead,
    responses=response_example(200, examples.TECHNICIAN_RESPONSE),
)
async def get_technician(
    technician_id: Annotated[uuid.UUID, Path(examples=[examples.TECHNICIAN_RESPONSE["id"]])],
    session: SessionDep,
    principal: TechniciansRead,
    settings: SettingsDep,
):
    """One technician with skills, working hours and time off."""
    return technician_read(await service.get_technician(session, principal, technician_id), settings)


@router.patch(
    "/technicians/{technician_id}", operation_id="technicians-update", response_model=TechnicianRead
)
async def update_technician(
    technician_id: uuid.UUID,
    body: TechnicianUpdate,
    session: SessionDep,
    principal: TechniciansManage,
    settings: SettingsDep,
):
    """Change a technician's profile (lists given replace the stored ones)."""
    technician = await service.update_technician(session, principal, technician_id, body, settings=settings)
    return technician_read(technician, settings)


@router.delete(
    "/technicians/{technician_id}",
    operation_id="technicians-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_technician(
    technician_id: uuid.UUID, session: SessionDep, principal: TechniciansManage
) -> None:
    """Remove a technician profile (409 while work orders are assigned; deactivate instead)."""
    await service.delete_technician(session, principal, technician_id)
