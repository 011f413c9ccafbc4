"""Service location and equipment endpoints: ``/api/v1/customers/{id}/locations``, ``/api/v1/locations``
and ``/api/v1/equipment``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from fixdesk.fieldservice import examples
from fixdesk.fieldservice.locations import service
from fixdesk.fieldservice.locations.schemas import (
    EquipmentCreate,
    EquipmentRead,
    EquipmentUpdate,
    LocationCreate,
    LocationRead,
    LocationUpdate,
)
from fixdesk.fieldservice.permissions import LOCATIONS_READ, LOCATIONS_WRITE
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["service locations"])

LocationsRead = Annotated[Principal, Depends(require(LOCATIONS_READ))]
LocationsWrite = Annotated[Principal, Depends(require(LOCATIONS_WRITE))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/customers/{customer_id}/locations",
    operation_id="locations-list",
    response_model=Page[LocationRead],
)
async def list_locations(
    customer_id: uuid.UUID, session: SessionDep, principal: LocationsRead, params: Paging
):
    """The customer's service locations, oldest first."""
    rows, total = await service.list_locations(session, principal, customer_id, params)
    return Page[LocationRead].build([LocationRead.model_validate(row) for row in rows], total, params)


@router.post(
    "/customers/{customer_id}/locations",
    operation_id="locations-create",
    status_code=status.HTTP_201_CREATED,
    response_model=LocationRead,
    responses=response_example(201, examples.LOCATION_RESPONSE),
    openapi_extra=request_example(examples.LOCATION_CREATE_REQUEST),
)
async def create_location(
    customer_id: uuid.UUID,
    body: LocationCreate,
    session: SessionDep,
    principal: LocationsWrite,
    settings: SettingsDep,
):
    """Add a service location to a customer (geocoded when no coordinates are given and a provider is set)."""
    location = await service.create_location(session, principal, customer_id, body, settings=settings)
    return LocationRead.model_validate(location)


@router.get("/locations/{location_id}", operation_id="locations-get", response_model=LocationRead)
async def get_location(location_id: uuid.UUID, session: SessionDep, principal: LocationsRead):
    """One service location."""
    return LocationRead.model_validate(await service.get_location(session, principal, location_id))


@router.patch("/locations/{location_id}", operation_id="locations-update", response_model=LocationRead)
async def update_location(
    location_id: uuid.UUID,
    body: LocationUpdate,
    session: SessionDep,
    principal: LocationsWrite,
    settings: SettingsDep,
):
    """Change a service location (a new address without coordinates is geocoded again)."""
    location = await service.update_location(session, principal, location_id, body, settings=settings)
    return LocationRead.model_validate(location)


@router.delete(
    "/locations/{location_id}", operation_id="locations-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_location(location_id: uuid.UUID, session: SessionDep, principal: LocationsWrite) -> None:
    """Remove a service location and its equipment (409 while work orders are booked there)."""
    await service.delete_location(session, principal, location_id)


@router.get(
    "/locations/{location_id}/equipment", operation_id="equipment-list", response_model=Page[EquipmentRead]
)
async def list_equipment(
    location_id: uuid.UUID, session: SessionDep, principal: LocationsRead, params: Paging
):
    """The equipment at a service location, oldest first."""
    rows, total = await service.list_equipment(session, principal, location_id, params)
    return Page[EquipmentRead].build([EquipmentRead.model_validate(row) for row in rows], total, params)


@router.post(
    "/locations/{location_id}/equipment",
    operation_id="equipment-create",
    status_code=status.HTTP_201_CREATED,
    response_model=EquipmentRead,
    responses=response_example(201, examples.EQUIPMENT_RESPONSE),
    openapi_extra=request_example(examples.EQUIPMENT_CREATE_REQUEST),
)
async def create_equipment(
    location_id: uuid.UUID, body: EquipmentCreate, session: SessionDep, principal: LocationsWrite
):
    """Add equipment at a service location."""
    return EquipmentRead.model_validate(await service.create_equipment(session, principal, location_id, body))


@router.get("/equipment/{equipment_id}", operation_id="equipment-get", response_model=EquipmentRead)
async def get_equipment(equipment_id: uuid.UUID, session: SessionDep, principal: LocationsRead):
    """One piece of equipment."""
    return EquipmentRead.model_validate(await service.get_equipment(session, principal, equipment_id))


@router.patch("/equipment/{equipment_id}", operation_id="equipment-update", response_model=EquipmentRead)
async def update_equipment(
    equipment_id: uuid.UUID, body: EquipmentUpdate, session: SessionDep, principal: LocationsWrite
):
    """Change a piece of equipment."""
    return EquipmentRead.model_validate(
        await service.update_equipment(session, principal, equipment_id, body)
    )


@router.delete(
    "/equipment/{equipment_id}", operation_id="equipment-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_equipment(equipment_id: uuid.UUID, session: SessionDep, principal: LocationsWrite) -> None:
    """Remove a piece of equipment."""
    await service.delete_equipment(session, principal, equipment_id)
