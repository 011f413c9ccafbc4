"""Field service jobs: looking addresses up with the geocoding provider."""

from __future__ import annotations

import uuid

import structlog

from fixdesk.fieldservice.geocoding import GEOCODE_JOB
from fixdesk.fieldservice.models import GeocodeStatus, ServiceLocation, Technician
from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.geocoding import NominatimGeocoder
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError

log = structlog.get_logger("fixdesk.fieldservice")


async def _pending_record(context: JobContext) -> ServiceLocation | Technician | None:
    model = ServiceLocation if context.payload["entity"] == "location" else Technician
    record = await context.session.get(model, uuid.UUID(context.payload["id"]))
    if record is None:
        return None
    if isinstance(record, ServiceLocation):
        still_wanted = record.latitude is None and record.address == context.payload["address"]
    else:
        still_wanted = record.home_latitude is None and record.home_address == context.payload["address"]
    return record if still_wanted else None


@handler(GEOCODE_JOB, max_attempts=8)
async def geocode(context: JobContext) -> None:
    """Look the address of a service location or a technician's home base up and store its coordinates
    (``geocodeStatus`` ``found``) or ``not_found``. The job's transaction is committed before the request,
    so no row is locked while the provider answers; a record whose address changed meanwhile, or that got
    coordinates by hand, is left alone. A provider that is down is retried with backoff."""
    settings = context.settings
    if not settings.geocoding_url:
        return
    record = await _pending_record(context)
    if record is None:
        return
    country = record.country if isinstance(record, ServiceLocation) else None
    await context.session.commit()
    geocoder = NominatimGeocoder(
        context.services.http, settings.geocoding_url, timeout_seconds=settings.field_provider_timeout_seconds
    )
    try:
        place = await geocoder.geocode(context.payload["address"], country=country)
    except ProviderError as error:
        if error.retryable:
            raise
        raise PermanentJobError(str(error)) from error
    record = await _pending_record(context)
    if record is None:
        return
    status = GeocodeStatus.found if place is not None else GeocodeStatus.not_found
    if isinstance(record, ServiceLocation):
        record.geocode_status = status.value
        if place is not None:
            record.latitude, record.longitude = place.latitude, place.longitude
    else:
        record.home_geocode_status = status.value
        if place is not None:
            record.home_latitude, record.home_longitude = place.latitude, place.longitude
    log.info("geocoded", entity=context.payload["entity"], id=context.payload["id"], status=status.value)
