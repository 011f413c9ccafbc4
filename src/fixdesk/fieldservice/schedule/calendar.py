"""Technicians' private calendar feeds (issue 11, item 4): an RFC 5545 iCalendar document a technician
subscribes to from Google or Apple Calendar, at a URL holding a random token.

* The token is ``secrets.token_urlsafe`` (:func:`fixdesk.platform.security.new_secret`, prefix ``cal_``);
  only its SHA-256 (:func:`~fixdesk.platform.security.hash_secret`) is stored on the technician, so it is
  shown once, when issued. Issuing again replaces it (the old URL stops working); revoking clears it.
* The feed (built with the ``icalendar`` library) lists the technician's work orders scheduled from
  :data:`DAYS_BEFORE` days before today to :data:`DAYS_AFTER` days after (shop calendar), cancelled ones
  left out. Each is a ``VEVENT`` with ``UID`` ``<work order id>@fixdesk`` (stable, so an edited job moves
  in the calendar instead of doubling), ``DTSTART``/``DTEND`` with the shop's ``TZID`` (and its
  ``VTIMEZONE``; plain UTC when the shop is on UTC) over the interval of the booking rule
  (:mod:`fixdesk.fieldservice.work_orders.booking`; a job without a window is an all-day event),
  ``SUMMARY`` the service type and the customer's **first name** only, ``LOCATION`` the service address,
  ``DESCRIPTION`` the work order's number. Nothing else about the customer (no surname, phone or email):
  a calendar app syncs the feed to servers and devices the shop does not control.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.fieldservice.access import visible_technicians
from fixdesk.fieldservice.models import Technician, WorkOrder, WorkOrderStatus, WorkOrderTechnician
from fixdesk.fieldservice.permissions import TECHNICIANS_MANAGE
from fixdesk.fieldservice.work_orders.booking import Booking, booked_interval
from fixdesk.platform.errors import Forbidden, NotFound
from fixdesk.platform.permissions import Principal
from fixdesk.platform.security import hash_secret, new_secret

DAYS_BEFORE = 30
DAYS_AFTER = 90
TOKEN_PREFIX = "cal_"
UID_DOMAIN = "fixdesk"


def feed_path(technician_id: uuid.UUID) -> str:
    """The feed's path under the API (without the token)."""
    return f"/api/v1/technicians/{technician_id}/calendar.ics"


async def _technician_for_token_change(
    session: AsyncSession, principal: Principal, technician_id: uuid.UUID
) -> Technician:
    """The technician, locked, if ``principal`` may (re)issue or revoke their feed: who holds
    ``technicians:manage`` (managers, admins), or the technician themself. :class:`NotFound` (404) for a
    technician the principal cannot see, :class:`Forbidden` (403) for one they may only read (agents)."""
    statement = visible_technicians(principal).where(Technician.id == technician_id).with_for_update()
    technician = (await session.execute(statement)).scalar_one_or_none()
    if technician is None:
        raise NotFound(f"Technician {technician_id} not found.")
    own = principal.is_staff and technician.user_id == principal.id
    if not own and not principal.has(TECHNICIANS_MANAGE):
        raise Forbidden(
            f"Only the technician or a holder of '{TECHNICIANS_MANAGE}' may issue or revoke their feed."
        )
    return technician


async def issue_token(session: AsyncSession, principal: Principal, technician_id: uuid.UUID) -> str:
    """A new feed token for the technician, replacing any earlier one (whose URL then answers 404). The
    token is returned this once; only its hash is kept. Errors: see :func:`_technician_for_token_change`."""
    technician = await _technician_for_token_change(session, principal, technician_id)
    token = new_secret(TOKEN_PREFIX)
    technician.calendar_token_hash = hash_secret(token)
    technician.updated_at = utcnow()
    await session.flush()
    return token


async def revoke_token(session: AsyncSession, principal: Principal, technician_id: uuid.UUID) -> None:
    """Revoke the technician's feed token (nothing to revoke is fine): the feed answers 404 until a new
    one is issued. Errors: see :func:`_technician_for_token_change`."""
    technician = await _technician_for_token_change(session, principal, technician_id)
    if technician.calendar_token_hash is not None:
        technician.calendar_token_hash = None
        technician.updated_at = utcnow()
        await session.flush()


async def _technician_by_token(session: AsyncSession, technician_id: uuid.UUID, token: str) -> Technician:
    technician = (
        await session.execute(
            select(Technician).options(joinedload(Technician.user)).where(Technician.id == technician_id)
        )
    ).scalar_one_or_none()
    # A constant-time comparison of the hashes; a missing technician, a revoked or a wrong token all answer
    # the same 404, so the URL tells nothing about which technicians exist.
    stored = technician.calendar_token_hash if technician is not None else None
    if technician is None or stored is None or not hmac.compare_digest(stored, hash_secret(token)):
        raise NotFound("No such calendar.")
    if not technician.is_active or not technician.user.is_active:
        raise NotFound("No such calendar.")
    return technician


async def build_feed(
    session: AsyncSession, technician_id: uuid.UUID, token: str, *, settings: Settings
) -> bytes:
    """The technician's feed as an RFC 5545 document (UTF-8 bytes), as the module docstring describes.
    Raises :class:`NotFound` (404) for an unknown technician, a revoked or wrong token, or a technician
    (or staff user) no longer active."""
    technician = await _technician_by_token(session, technician_id, token)
    zone = ZoneInfo(settings.shop_timezone)
    today = settings.shop_today()
    work_orders = (
        (
            await session.execute(
                select(WorkOrder)
                .join(WorkOrderTechnician, WorkOrderTechnician.work_order_id == WorkOrder.id)
                .where(
                    WorkOrderTechnician.technician_id == technician.id,
                    WorkOrder.scheduled_date >= today - timedelta(days=DAYS_BEFORE),
                    WorkOrder.scheduled_date <= today + timedelta(days=DAYS_AFTER),
                    WorkOrder.status != WorkOrderStatus.cancelled.value,
                )
                .options(
                    joinedload(WorkOrder.customer).load_only(Customer.first_name),
                    joinedload(WorkOrder.location),
                )
                .order_by(WorkOrder.scheduled_date, WorkOrder.time_window_start, WorkOrder.work_order_number)
            )
        )
        .unique()
        .scalars()
        .all()
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Fixdesk//Field service schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Fixdesk: {technician.user.first_name} {technician.user.last_name}")
    calendar.add("x-wr-timezone", settings.shop_timezone)
    for work_order in work_orders:
        calendar.add_component(_event(work_order, zone))
    if settings.shop_timezone != "UTC":
        calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(work_order: WorkOrder, zone: ZoneInfo) -> Event:
    booking = Booking.of(work_order)
    assert booking is not None  # selected by its date
    event = Event()
    event.add("uid", f"{work_order.id}@{UID_DOMAIN}")
    event.add("dtstamp", (work_order.updated_at or utcnow()).astimezone(UTC))
    if booking.has_window:
        start, end = booked_interval(booking, None)
        event.add("dtstart", start.replace(tzinfo=zone))
        event.add("dtend", end.replace(tzinfo=zone))
    else:
        event.add("dtstart", booking.scheduled_date)
        event.add("dtend", booking.scheduled_date + timedelta(days=1))
    event.add("summary", f"{work_order.service_type} - {work_order.customer.first_name}".strip(" -"))
    if work_order.location is not None:
        event.add("location", work_order.location.address)
    event.add("description", work_order.work_order_number)
    event.add("status", "CONFIRMED")
    return event


__all__ = ["DAYS_AFTER", "DAYS_BEFORE", "build_feed", "feed_path", "issue_token", "revoke_token"]
