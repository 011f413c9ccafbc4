"""Service location and equipment rules. Customers are read through :mod:`fixdesk.customers.access`
(a location of a customer the principal cannot see answers 404)."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer
from fixdesk.fieldservice import geocoding
from fixdesk.fieldservice.locations.schemas import (
    EquipmentCreate,
    EquipmentUpdate,
    LocationCreate,
    LocationUpdate,
)
from fixdesk.fieldservice.models import Equipment, ServiceLocation, WorkOrder
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal

ADDRESS_FIELDS = {"address_line1", "address_line2", "city", "region", "postal_code", "country"}


async def list_locations(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, params: PageParams
) -> tuple[list[ServiceLocation], int]:
    """A page of the customer's locations, oldest first; 404 for a customer the principal cannot see."""
    await customers.get_visible(session, principal, customer_id)
    statement = (
        select(ServiceLocation)
        .where(ServiceLocation.customer_id == customer_id)
        .order_by(ServiceLocation.created_at, ServiceLocation.id)
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def create_location(
    session: AsyncSession,
    principal: Principal,
    customer_id: uuid.UUID,
    data: LocationCreate,
    *,
    settings: Settings,
) -> ServiceLocation:
    """Add a location to a customer (404 for an unknown one, 409 for an archived one); queues geocoding
    of an address without coordinates when a provider is configured."""
    customer = await customers.get_visible(session, principal, customer_id)
    if customers.is_archived(customer):
        raise Conflict("The customer is archived.", customerId=str(customer_id))
    location = ServiceLocation(customer_id=customer_id, **data.model_dump(by_alias=False))
    session.add(location)
    await session.flush()
    await geocoding.after_address_change(session, settings, location)
    return location


async def get_location(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID
) -> ServiceLocation:
    """One location, if its customer is visible to ``principal``; else :class:`NotFound`."""
    statement = select(ServiceLocation).where(
        ServiceLocation.id == location_id,
        ServiceLocation.customer_id.in_(
            customers.visible_customers(principal).with_only_columns(Customer.id)
        ),
    )
    location = (await session.execute(statement)).scalar_one_or_none()
    if location is None:
        raise NotFound(f"Service location {location_id} not found.")
    return location


async def update_location(
    session: AsyncSession,
    principal: Principal,
    location_id: uuid.UUID,
    data: LocationUpdate,
    *,
    settings: Settings,
) -> ServiceLocation:
    """Change a location. A changed address without new coordinates drops the old ones (they were for the
    old address) and is geocoded again."""
    location = await get_location(session, principal, location_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "address_line1")
    if values.get("country"):
        values["country"] = values["country"].upper()
    address_changed = bool(ADDRESS_FIELDS & set(values)) and any(
        getattr(location, name) != values[name] for name in ADDRESS_FIELDS & set(values)
    )
    if address_changed and "latitude" not in values and "longitude" not in values:
        values["latitude"] = values["longitude"] = None
    latitude = values.get("latitude", location.latitude)
    longitude = values.get("longitude", location.longitude)
    if (latitude is None) != (longitude is None):
        raise ValidationFailed.for_field(
            "latitude" if latitude is None else "longitude", "give both latitude and longitude, or neither"
        )
    for name, value in values.items():
        setattr(location, name, value)
    await session.flush()
    if address_changed or {"latitude", "longitude"} & set(values):
        await geocoding.after_address_change(session, settings, location)
    return location


async def delete_location(session: AsyncSession, principal: Principal, location_id: uuid.UUID) -> None:
    """Remove a location and its equipment. :class:`Conflict` (409) while work orders name it."""
    location = await get_location(session, principal, location_id)
    used = await session.execute(select(exists().where(WorkOrder.location_id == location_id)))
    if used.scalar():
        raise Conflict("Work orders are booked at this location.", locationId=str(location_id))
    await session.delete(location)
    await session.flush()


async def list_equipment(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID, params: PageParams
) -> tuple[list[Equipment], int]:
    """A page of the equipment at a location, oldest first."""
    await get_location(session, principal, location_id)
    statement = (
        select(Equipment)
        .where(Equipment.location_id == location_id)
        .order_by(Equipment.created_at, Equipment.id)
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def create_equipment(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID, data: EquipmentCreate
) -> Equipment:
    """Add equipment at a location (404 for a location the principal cannot see)."""
    await get_location(session, principal, location_id)
    equipment = Equipment(location_id=location_id, **data.model_dump(by_alias=False))
    session.add(equipment)
    await session.flush()
    return equipment


async def get_equipment(session: AsyncSession, principal: Principal, equipment_id: uuid.UUID) -> Equipment:
    """One piece of equipment, if its location is visible; else :class:`NotFound`."""
    equipment = await session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(f"Equipment {equipment_id} not found.")
    try:
        await get_location(session, principal, equipment.location_id)
    except NotFound:
        raise NotFound(f"Equipment {equipment_id} not found.") from None
    return equipment


async def update_equipment(
    session: AsyncSession, principal: Principal, equipment_id: uuid.UUID, data: EquipmentUpdate
) -> Equipment:
    """Change a piece of equipment."""
    equipment = await get_equipment(session, principal, equipment_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "equipment_type")
    for name, value in values.items():
        setattr(equipment, name, value)
    await session.flush()
    return equipment


async def delete_equipment(session: AsyncSession, principal: Principal, equipment_id: uuid.UUID) -> None:
    """Remove a piece of equipment (work orders that named it keep their history without it)."""
    equipment = await get_equipment(session, principal, equipment_id)
    await session.delete(equipment)
    await session.flush()
