"""Request and response models of repairs, their status history and the customer portal's view."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, WithJsonSchema, field_validator, model_validator
from pydantic_core import InitErrorDetails

from fixdesk.catalog.models import DeviceType
from fixdesk.customers.schemas import CustomerBrief
from fixdesk.identity.schemas import UserBrief
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut, NotNull
from fixdesk.repairs.items.schemas import (
    RepairItemCreate,
    RepairItemRead,
    RepairLabourCreate,
    RepairLabourRead,
)
from fixdesk.repairs.lifecycle import ALIASES
from fixdesk.repairs.models import Priority, RepairStatus
from fixdesk.repairs.tracking.schemas import ReviewRead


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


UTCDateTimeIn = Annotated[
    datetime,
    BeforeValidator(_utc_datetime),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    ),
]
"""A moment in a request: a date-time, or a date meaning the end of that day (UTC)."""


CustomFieldValues = dict[str, Any]
"""Values of the shop's custom fields, keyed by field key (see ``GET /api/v1/custom-fields``)."""


class RepairCreate(InputModel):
    """A device taken in for repair. ``estimatedCompletion`` takes a date (end of day UTC) or a datetime.

    The device is either picked from the catalog (``deviceModelId``: type, brand and model are then taken
    from it unless given) or typed in (``deviceType``, ``deviceBrand`` and ``deviceModel``). ``items`` and
    ``labour`` price the repair; once a repair has lines its total is computed from them, so ``totalCost``
    is for repairs priced by hand at the counter and cannot be combined with lines.
    """

    customer_id: uuid.UUID
    device_model_id: uuid.UUID | None = Field(default=None, description="A catalog device model")
    device_type: DeviceType | None = None
    device_brand: str | None = Field(default=None, min_length=1, max_length=100)
    device_model: str | None = Field(default=None, min_length=1, max_length=200)
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
    items: list[RepairItemCreate] = Field(default_factory=list, max_length=100)
    labour: list[RepairLabourCreate] = Field(default_factory=list, max_length=100)
    custom_fields: CustomFieldValues | None = None

    _imei = field_validator("imei")(_clean_imei)

    @model_validator(mode="wrap")
    @classmethod
    def _device_given(cls, data: Any, handler: Any) -> RepairCreate:
        # A wrap validator so that missing device fields are reported together with every other field
        # error, each under its own name, as if they were simply required.
        missing: list[InitErrorDetails] = []
        if (
            isinstance(data, dict)
            and data.get("deviceModelId") is None
            and data.get("device_model_id") is None
        ):
            for alias, name in (
                ("deviceType", "device_type"),
                ("deviceBrand", "device_brand"),
                ("deviceModel", "device_model"),
            ):
                if data.get(alias) is None and data.get(name) is None:
                    missing.append(InitErrorDetails(type="missing", loc=(alias,), input=data))
        try:
            model = handler(data)
        except ValidationError as error:
            if not missing:
                raise
            raise ValidationError.from_exception_data(cls.__name__, [*error.errors(), *missing]) from None
        if missing:
            raise ValidationError.from_exception_data(cls.__name__, missing)
        if model.total_cost is not None and (model.items or model.labour):
            raise ValueError("totalCost is computed from items and labour; give one or the other")
        return model


class RepairUpdate(InputModel):
    """Device and ticket details to change. Status and technician have their own endpoints."""

    device_type: NotNull[DeviceType] = None
    device_brand: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    device_model: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    serial_number: str | None = Field(default=None, max_length=100)
    imei: str | None = Field(default=None, max_length=32)
    issue_description: NotNull[str] = Field(default=None, min_length=1, max_length=5000)
    cosmetic_condition: str | None = Field(default=None, max_length=500)
    priority: NotNull[Priority] = None
    estimated_completion: UTCDateTimeIn | None = None
    deposit: NotNull[MoneyIn] = None
    total_cost: MoneyIn | None = Field(
        default=None, description="Only for repairs without line items; otherwise computed"
    )
    device_model_id: uuid.UUID | None = None
    custom_fields: CustomFieldValues | None = Field(
        default=None, description="Merged into the stored values; null for a key removes it"
    )

    _imei = field_validator("imei")(_clean_imei)


class StatusChange(InputModel):
    """Move a repair to another status. Seed 003's names (pending, in_progress, ready_pickup) are accepted.

    ``notes`` is the staff's internal note, never shown to the customer; ``customerNote`` (or
    ``customer_note``) is the note the customer reads, in the status message and the portal."""

    status: str = Field(
        description="Target status",
        examples=["diagnosing"],
        json_schema_extra={"enum": [*(s.value for s in RepairStatus), *ALIASES]},
    )
    notes: str | None = Field(
        default=None, max_length=2000, description="Internal note for staff; never shown to the customer"
    )
    customer_note: str | None = Field(
        default=None,
        max_length=2000,
        description="Note for the customer: in the status email or SMS (with notifyCustomer) and the portal",
    )
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
    """One status change. Staff see both notes; the customer's portal shows ``customerNote`` only
    (``notes``, the internal one, is null there)."""

    id: uuid.UUID
    from_status: str | None
    to_status: str
    changed_by: UserBrief | None
    notes: str | None = Field(description="Internal note for staff")
    customer_note: str | None = Field(description="The note shown to the customer")
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
    device_model_id: uuid.UUID | None
    subtotal: MoneyOut = Field(description="Items and labour after discounts, before tax")
    tax_rate: DecimalNumber = Field(description="Percent")
    tax_amount: MoneyOut
    deposit: MoneyOut
    total_cost: MoneyOut | None = Field(description="subtotal + taxAmount once the repair has lines")
    balance: MoneyOut | None = Field(description="totalCost − deposit")
    customer_id: uuid.UUID
    technician_id: uuid.UUID | None
    warranty_claim_of_id: uuid.UUID | None = Field(
        description="For a warranty job: the repair whose warranty it honours"
    )
    custom_fields: CustomFieldValues
    customer: CustomerBrief
    technician: UserBrief | None
    created_at: datetime
    updated_at: datetime


class RepairDetail(RepairRead):
    """A repair with its line items and labour, its full status history (oldest first), the next statuses
    it may move to, its public tracking link and the customer's review."""

    items: list[RepairItemRead]
    labour: list[RepairLabourRead]
    currency: str = Field(description="ISO 4217 code of every amount")
    tracking_url: str = Field(description="Public status page; share it with the customer")
    review: ReviewRead | None
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
