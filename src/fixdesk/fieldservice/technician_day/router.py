"""The technician's day on the phone: ``GET /technicians/me/schedule?date=`` and
``POST /work-orders/{id}/on-my-way``."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from fixdesk.fieldservice.permissions import WORK_ORDERS_READ, WORK_ORDERS_UPDATE
from fixdesk.fieldservice.technician_day import service
from fixdesk.fieldservice.work_orders.router import work_order_detail
from fixdesk.fieldservice.work_orders.schemas import WorkOrderDetail, WorkOrderItemCreate
from fixdesk.integrations.routing import Point
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import problems
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import CamelModel, InputModel

router = APIRouter(tags=["work orders"])

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
WorkOrdersUpdate = Annotated[Principal, Depends(require(WORK_ORDERS_UPDATE))]


class Visit(CamelModel):
    """One stop of the day: what to do, where, for whom and when (the shop's time zone)."""

    work_order_id: uuid.UUID
    work_order_number: str
    status: str
    service_type: str
    window_start: datetime | None
    window_end: datetime | None
    estimated_duration_minutes: int
    customer_first_name: str
    customer_last_name: str
    customer_phone: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    access_notes: str | None
    equipment: str | None
    notes: str | None


class DaySchedule(CamelModel):
    date: date
    technician_id: uuid.UUID
    visits: list[Visit]


class Position(InputModel):
    """Where the technician is now (WGS 84 degrees); their home base when left out."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class OnTheWayRead(CamelModel):
    work_order_id: uuid.UUID
    eta_minutes: int = Field(description="Straight-line estimate, rounded up")
    expected_arrival: datetime


@router.get(
    "/technicians/me/schedule",
    operation_id="technicians-me-schedule",
    response_model=DaySchedule,
    responses=problems(404),
)
async def my_schedule(
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
    day: Annotated[
        date | None, Query(alias="date", description="The shop's calendar day; today by default")
    ] = None,
):
    """The signed-in technician's visits of a day (scheduled, under way or done), in window order, with
    the customer's name and phone, the address, coordinates and access notes, for the phone. 404 for a
    staff user without a technician profile."""
    zone = ZoneInfo(settings.shop_timezone)
    day = day or settings.shop_today()
    technician, work_orders = await service.day_schedule(session, principal, day)

    def moment(clock: time | None) -> datetime | None:
        return datetime.combine(day, clock, tzinfo=zone) if clock else None

    visits = []
    for work_order in work_orders:
        location, equipment = work_order.location, work_order.equipment
        visits.append(
            Visit(
                work_order_id=work_order.id,
                work_order_number=work_order.work_order_number,
                status=work_order.status,
                service_type=work_order.service_type,
                window_start=moment(work_order.time_window_start),
                window_end=moment(work_order.time_window_end),
                estimated_duration_minutes=work_order.estimated_duration_minutes,
                customer_first_name=work_order.customer.first_name,
                customer_last_name=work_order.customer.last_name,
                customer_phone=work_order.customer.phone,
                address=location.address if location else None,
                latitude=location.latitude if location else None,
                longitude=location.longitude if location else None,
                access_notes=location.access_notes if location else None,
                equipment=" ".join(
                    p for p in (equipment.equipment_type, equipment.make, equipment.model) if p
                )
                if equipment
                else None,
                notes=work_order.notes,
            )
        )
    return DaySchedule(date=day, technician_id=technician.id, visits=visits)


@router.post(
    "/work-orders/{work_order_id}/on-my-way",
    operation_id="work-orders-on-my-way",
    response_model=OnTheWayRead,
    responses=problems(409),
)
async def on_my_way(
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
    body: Position | None = None,
):
    """The signed-in technician is driving to this scheduled work order of theirs: the ETA from ``body``'s
    position (else their home base), and the customer is told (``work_order.technician_on_the_way``; a text
    message when they take them). 404 for a work order not theirs, 409 unless it is scheduled."""
    position = None
    if body is not None and body.latitude is not None and body.longitude is not None:
        position = Point(body.latitude, body.longitude)
    result = await service.on_my_way(session, principal, settings, work_order_id, position)
    return OnTheWayRead(
        work_order_id=result.work_order.id,
        eta_minutes=result.eta_minutes,
        expected_arrival=result.expected_arrival,
    )


class VisitReportBody(InputModel):
    """Finishing a visit on site (all optional): notes, minutes spent on site, who signed it off for the
    customer, the parts used (added to the work order's lines), and ``photoIds``: the photos of the visit
    uploaded before with ``POST /work-orders/{id}/attachments`` (each must be a photo of this work order,
    else 400 and nothing changes, so the phone learns an upload was lost). Photos may also be uploaded
    after completing; the work order lists them all under ``photos``."""

    notes: str | None = Field(default=None, max_length=2000)
    time_on_site_minutes: int | None = Field(default=None, ge=1, le=1440)
    sign_off_name: str | None = Field(default=None, min_length=1, max_length=100)
    parts: list[WorkOrderItemCreate] = Field(default_factory=list, max_length=50)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


@router.post(
    "/work-orders/{work_order_id}/complete",
    operation_id="work-orders-complete-visit",
    response_model=WorkOrderDetail,
    responses=problems(409),
)
async def complete_visit(
    work_order_id: uuid.UUID,
    body: VisitReportBody,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
):
    """The signed-in technician finishes their visit (in progress): the parts used join the lines, the time
    on site, the customer's sign-off name and the notes are stored, the named photos are checked to be
    the work order's (``photoIds``; the answer lists every photo under ``photos``), and the work order is
    completed (``work_order.completed``). 404 for a work order not theirs, 409 unless it is in progress."""
    report = service.VisitReport(
        notes=body.notes,
        time_on_site_minutes=body.time_on_site_minutes,
        sign_off_name=body.sign_off_name,
        parts=body.parts,
        photo_ids=body.photo_ids,
    )
    work_order = await service.complete_visit(session, principal, settings, work_order_id, report)
    return work_order_detail(work_order, settings)
