"""Request and response models of repairs, their status history and the customer portal's view."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator

from fixdesk.customers.schemas import CustomerBrief
from fixdesk.identity.schemas import UserBrief
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut
from fixdesk.repairs.lifecycle import ALIASES
from fixdesk.repairs.models import DeviceType, Priority, RepairStatus


def imei_is_valid(digits: str) -> bool:
    """True for a 15-digit IMEI whose last digit is the Luhn check digit (3GPP TS 23.003, §6.2.1)."""
    if len(digits) != 15 or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _clean_imei(value: str | None) -> str | None:
    if value is None:
        return None
    digits = "".join(ch for ch in value if not ch.isspace() and ch not in "-/")
    if not digits:
        return None
    if not imei_is_valid(digits):
        raise ValueError("must be 15 digits with a valid Luhn check digit")
    return digits


def _utc_datetime(value: object) -> object:
    """Accept a date (end of that day, UTC), an aware datetime, or a naive datetime read as UTC."""
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


UTCDateTimeIn = Annotated[datetime, BeforeValidator(_utc_datetime)]


class RepairCreate(InputModel):
    """A device taken in for repair. ``estimatedCompletion`` takes a date (end of day UTC) or a datetime."""

    customer_id: uuid.UUID
    device_type: DeviceType
    device_brand: str = Field(min_length=1, max_length=100)
    device_model: str = Field(min_length=1, max_length=200)
    serial_number: str | None = Field(default=None, max_length=100)
    imei: str | None = Field(default=None, max_length=32, description="15 digits, Luhn-checked")
    issue_description: str = Field(min_length=1, max_length=5000)
    cosmetic_condition: str | None = Field(default=None, max_length=500)
    priority: Priority = Priority.normal
    estimated_completion: UTCDateTimeIn | None = None
    deposit: MoneyIn = Decimal("0.00")
    total_cost: MoneyIn | None = Field(default=None, description="Agreed price, shop currency")
    technician_id: uuid.UUID | None = Field(
        default=None, description="Assign at intake (needs repairs:assign)"
    )

    _imei = field_validator("imei")(_clean_imei)


class RepairUpdate(InputModel):
    """Device and ticket details to change. Status and technician have their own endpoints."""

    device_type: DeviceType | None = None
    device_brand: str | None = Field(default=None, min_length=1, max_length=100)
    device_model: str | None = Field(default=None, min_length=1, max_length=200)
    serial_number: str | None = Field(default=None, max_length=100)
    imei: str | None = Field(default=None, max_length=32)
    issue_description: str | None = Field(default=None, min_length=1, max_length=5000)
    cosmetic_condition: str | None = Field(default=None, max_length=500)
    priority: Priority | None = None
    estimated_completion: UTCDateTimeIn | None = None
    deposit: MoneyIn | None = None
    total_cost: MoneyIn | None = None

    _imei = field_validator("imei")(_clean_imei)


class StatusChange(InputModel):
    """Move a repair to another status. Seed 003's names (pending, in_progress, ready_pickup) are accepted."""

    status: str = Field(description="Target status", examples=["diagnosing"])
    notes: str | None = Field(default=None, max_length=2000)
    notify_customer: bool = True
    estimated_completion: UTCDateTimeIn | None = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value in ALIASES or value in {s.value for s in RepairStatus}:
            return value
        raise ValueError(f"unknown status; use one of {', '.join(s.value for s in RepairStatus)}")


class AssignRequest(InputModel):
    technician_id: uuid.UUID | None = Field(description="The technician; null unassigns")


class StatusHistoryRead(CamelModel):
    id: uuid.UUID
    from_status: str | None
    to_status: str
    changed_by: UserBrief | None
    notes: str | None
    customer_notified: bool
    created_at: datetime


class RepairRead(CamelModel):
    """A repair as lists show it, with its customer and technician."""

    id: uuid.UUID
    repair_number: str
    status: str
    priority: str
    device_type: str
    device_brand: str
    device_model: str
    serial_number: str | None
    imei: str | None
    issue_description: str
    cosmetic_condition: str | None
    estimated_completion: datetime | None
    actual_completion: datetime | None
    completion_days: DecimalNumber | None = Field(description="Days from intake to completion")
    deposit: MoneyOut
    total_cost: MoneyOut | None
    balance: MoneyOut | None
    customer_id: uuid.UUID
    technician_id: uuid.UUID | None
    customer: CustomerBrief
    technician: UserBrief | None
    created_at: datetime
    updated_at: datetime


class RepairDetail(RepairRead):
    """A repair with its full status history (oldest first) and the next statuses it may move to."""

    status_history: list[StatusHistoryRead]
    allowed_transitions: list[str]


class DashboardStats(CamelModel):
    """The portal's summary for one customer (seed 000, ``GET /customer/dashboard/stats``)."""

    total_repairs: int
    active_repairs: int
    completed_repairs: int
    success_rate: float = Field(description="Completed (incl. delivered) ÷ all repairs, 0..1")
    total_spent: MoneyOut = Field(description="Sum of completed repairs' total cost, shop currency")
    average_completion_time: float = Field(description="Average days from intake to completion")
