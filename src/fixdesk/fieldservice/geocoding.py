"""Coordinates of service locations and technicians' home bases: given by staff, or looked up by the
geocoding provider (``FIXDESK_GEOCODING_URL``, :mod:`fixdesk.integrations.geocoding`) in a job after the
address is saved, so no request waits on the provider (DESIGN.md: services never call providers inside a
request). ``geocodeStatus`` says which: ``given``, ``pending`` (the job is queued), ``found``,
``not_found`` or ``missing`` (no coordinates and no provider).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.fieldservice.models import GeocodeStatus, ServiceLocation, Technician
from fixdesk.platform.jobs import enqueue

GEOCODE_JOB = "fieldservice.geocode"


def _coordinates_and_address(record: ServiceLocation | Technician) -> tuple[bool, str | None]:
    if isinstance(record, ServiceLocation):
        return record.latitude is not None, record.address
    return record.home_latitude is not None, record.home_address


def _set_status(record: ServiceLocation | Technician, status: GeocodeStatus) -> None:
    if isinstance(record, ServiceLocation):
        record.geocode_status = status.value
    else:
        record.home_geocode_status = status.value


async def after_address_change(
    session: AsyncSession, settings: Settings, record: ServiceLocation | Technician
) -> None:
    """Set the record's geocode status after its address or coordinates changed and, when it has an
    address but no coordinates and a provider is configured, queue the lookup (in the caller's
    transaction)."""
    has_coordinates, address = _coordinates_and_address(record)
    if has_coordinates:
        _set_status(record, GeocodeStatus.given)
    elif address and settings.geocoding_url:
        _set_status(record, GeocodeStatus.pending)
        entity = "location" if isinstance(record, ServiceLocation) else "technician"
        # No unique key: each change queues its own lookup, and the job drops itself when the address
        # changed again or coordinates were given meanwhile.
        await enqueue(session, GEOCODE_JOB, {"entity": entity, "id": str(record.id), "address": address})
    else:
        _set_status(record, GeocodeStatus.missing)
    await session.flush()
