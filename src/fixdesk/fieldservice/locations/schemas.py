"""Request and response models of service locations and equipment. Coordinates are WGS 84 degrees;
``installedOn`` is a calendar date."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from fixdesk.fieldservice.technicians.schemas import Latitude, Longitude
from fixdesk.platform.schemas import CamelModel, InputModel, NotNull


class LocationCreate(InputModel):
    """A place where the customer's work is done. Without ``latitude``/``longitude`` the address is
    geocoded when a provider is configured (``FIXDESK_GEOCODING_URL``); ``geocodeStatus`` tells."""

    name: str | None = Field(default=None, max_length=100, description="e.g. Home, Warehouse 2")
    address_line1: str = Field(min_length=1, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100, description="State or province")
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    access_notes: str | None = Field(default=None, max_length=2000, description="Gate codes, dogs, keys")

    @model_validator(mode="after")
    def _both_coordinates(self) -> LocationCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        if self.country:
            self.country = self.country.upper()
        return self


class LocationUpdate(InputModel):
    """Fields to change; a new address without coordinates is geocoded again."""

    name: str | None = Field(default=None, max_length=100)
    address_line1: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    access_notes: str | None = Field(default=None, max_length=2000)


class LocationRead(CamelModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str | None
    address_line1: str
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    address: str = Field(description="The address on one line")
    latitude: float | None
    longitude: float | None
    geocode_status: str = Field(description="given | pending | found | not_found | missing")
    access_notes: str | None
    created_at: datetime
    updated_at: datetime


class EquipmentCreate(InputModel):
    """A unit at the location that work is done on."""

    equipment_type: str = Field(min_length=1, max_length=100, description="e.g. Septic tank, Furnace")
    make: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    serial_number: str | None = Field(default=None, max_length=100)
    installed_on: date | None = None
    notes: str | None = Field(default=None, max_length=2000)


class EquipmentUpdate(InputModel):
    equipment_type: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    make: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    serial_number: str | None = Field(default=None, max_length=100)
    installed_on: date | None = None
    notes: str | None = Field(default=None, max_length=2000)


class EquipmentRead(CamelModel):
    id: uuid.UUID
    location_id: uuid.UUID
    equipment_type: str
    make: str | None
    model: str | None
    serial_number: str | None
    installed_on: date | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
