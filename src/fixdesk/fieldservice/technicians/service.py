"""Technician rules: a field profile on an active staff user, its skills, working hours and time off.

Scoping: :func:`fixdesk.fieldservice.access.visible_technicians` (a technician reads only their own
profile). Staff users are read through :mod:`fixdesk.identity.access`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.config import Settings
from fixdesk.fieldservice import geocoding
from fixdesk.fieldservice.access import visible_technicians
from fixdesk.fieldservice.models import Technician, TechnicianSkill, TechnicianTimeOff, WorkOrderTechnician
from fixdesk.fieldservice.technicians.schemas import TechnicianCreate, TechnicianUpdate, TimeOffCreate
from fixdesk.identity import access as identity
from fixdesk.identity.models import Role
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed, reject_nulls
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal

# Who may carry a field profile: the staff that goes out (technicians) and those who sometimes do.
FIELD_ROLES = (Role.technician.value, Role.manager.value, Role.admin.value)


def _with_everything(statement: Select[tuple[Technician]]) -> Select[tuple[Technician]]:
    # populate_existing: after a change the rows in the session are refreshed with what was written.
    return statement.options(
        joinedload(Technician.user), selectinload(Technician.skills), selectinload(Technician.time_off)
    ).execution_options(populate_existing=True)


async def get_technician(session: AsyncSession, principal: Principal, technician_id: uuid.UUID) -> Technician:
    """One technician with user, skills and time off if ``principal`` may read it; else :class:`NotFound`."""
    statement = _with_everything(visible_technicians(principal).where(Technician.id == technician_id))
    technician = (await session.execute(statement)).unique().scalar_one_or_none()
    if technician is None:
        raise NotFound(f"Technician {technician_id} not found.")
    return technician


def _skill_rows(skills: list[str]) -> list[TechnicianSkill]:
    return [TechnicianSkill(skill=skill, skill_key=skill.lower()) for skill in skills]


def _time_off_rows(periods: list[TimeOffCreate]) -> list[TechnicianTimeOff]:
    return [
        TechnicianTimeOff(starts_at=period.starts_at, ends_at=period.ends_at, reason=period.reason)
        for period in periods
    ]


def _hours_json(days: list[Any]) -> list[dict[str, Any]]:
    return [day.model_dump(mode="json") for day in days]


async def create_technician(
    session: AsyncSession, data: TechnicianCreate, *, settings: Settings
) -> Technician:
    """Give staff user ``userId`` a field profile. Raises :class:`ValidationFailed` (400, ``userId``) for an
    unknown or inactive user or one whose role does not go out (agents), and :class:`Conflict` (409) when
    the user has a profile already. A home address without coordinates is geocoded by a job when a
    provider is configured."""
    user = await identity.find_staff_user(session, data.user_id)
    if user is None or not user.is_active:
        raise ValidationFailed.for_field("userId", "no active staff user with this id")
    if user.role not in FIELD_ROLES:
        raise ValidationFailed.for_field(
            "userId", f"a {user.role} cannot be a technician; use a {', '.join(FIELD_ROLES)}"
        )
    taken = await session.execute(select(exists().where(Technician.user_id == data.user_id)))
    if taken.scalar():
        raise Conflict("This user has a technician profile already.", userId=str(data.user_id))
    technician = Technician(
        user_id=data.user_id,
        phone=data.phone,
        hourly_rate=data.hourly_rate,
        home_address=data.home_address,
        home_latitude=data.home_latitude,
        home_longitude=data.home_longitude,
        working_hours=_hours_json(data.working_hours),
        is_active=data.is_active,
        notes=data.notes,
        skills=_skill_rows(data.skills),
        time_off=_time_off_rows(data.time_off),
    )
    session.add(technician)
    await session.flush()
    await geocoding.after_address_change(session, settings, technician)
    technician_id = technician.id
    return await get_technician_unscoped(session, technician_id)


async def get_technician_unscoped(session: AsyncSession, technician_id: uuid.UUID) -> Technician:
    statement = _with_everything(select(Technician).where(Technician.id == technician_id))
    return (await session.execute(statement)).unique().scalar_one()


async def update_technician(
    session: AsyncSession,
    principal: Principal,
    technician_id: uuid.UUID,
    data: TechnicianUpdate,
    *,
    settings: Settings,
) -> Technician:
    """Change a technician's profile; lists given replace the stored ones. Raises :class:`ValidationFailed`
    for a null in a required field or one coordinate without the other."""
    technician = await get_technician(session, principal, technician_id)
    values = data.model_dump(exclude_unset=True, by_alias=False)
    reject_nulls(values, "skills", "working_hours", "time_off", "is_active")
    latitude = values.get("home_latitude", technician.home_latitude)
    longitude = values.get("home_longitude", technician.home_longitude)
    if (latitude is None) != (longitude is None):
        raise ValidationFailed.for_field(
            "homeLatitude" if latitude is None else "homeLongitude",
            "give both homeLatitude and homeLongitude, or neither",
        )
    if "skills" in values:
        technician.skills = _skill_rows(data.skills or [])
    if "time_off" in values:
        technician.time_off = _time_off_rows(data.time_off or [])
    if "working_hours" in values:
        technician.working_hours = _hours_json(data.working_hours or [])
    for name in (
        "phone",
        "hourly_rate",
        "home_address",
        "home_latitude",
        "home_longitude",
        "is_active",
        "notes",
    ):
        if name in values:
            setattr(technician, name, values[name])
    await session.flush()
    if {"home_address", "home_latitude", "home_longitude"} & set(values):
        await geocoding.after_address_change(session, settings, technician)
    return await get_technician_unscoped(session, technician_id)


@dataclass(frozen=True)
class TechnicianFilters:
    """``search`` (name or email), ``active_only``, ``skill`` (one tag, any case)."""

    search: str | None = None
    active_only: bool = False
    skill: str | None = None


async def list_technicians(
    session: AsyncSession, principal: Principal, filters: TechnicianFilters, params: PageParams
) -> tuple[list[Technician], int]:
    """A page of technicians by creation order with user, skills and time off: four queries at most."""
    statement = visible_technicians(principal)
    if filters.active_only:
        statement = statement.where(Technician.is_active.is_(True))
    if filters.skill and filters.skill.strip():
        key = " ".join(filters.skill.split()).lower()
        statement = statement.where(
            Technician.id.in_(select(TechnicianSkill.technician_id).where(TechnicianSkill.skill_key == key))
        )
    if filters.search and filters.search.strip():
        statement = statement.where(Technician.user_id.in_(identity.staff_ids_matching(filters.search)))
    statement = _with_everything(statement.order_by(Technician.created_at, Technician.id))
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def delete_technician(session: AsyncSession, principal: Principal, technician_id: uuid.UUID) -> None:
    """Remove a technician's profile (not the staff user). Raises :class:`Conflict` (409) while work orders
    are assigned to them: deactivate the profile instead (``isActive: false``)."""
    technician = await get_technician(session, principal, technician_id)
    assigned = await session.execute(
        select(exists().where(WorkOrderTechnician.technician_id == technician_id))
    )
    if assigned.scalar():
        raise Conflict(
            "Work orders are assigned to this technician; set isActive to false instead.",
            technicianId=str(technician_id),
        )
    await session.delete(technician)
    await session.flush()
