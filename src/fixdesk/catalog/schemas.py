"""Request and response models of the device catalog and the price list (seed 003's validation schemas,
with UUID ids and exact money). Money is in the shop's currency (``FIXDESK_CURRENCY``); screen sizes are in
inches; ``defaultMinutes`` is in minutes; ``warrantyMonths`` in months."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, Field, field_validator

from fixdesk.catalog.models import DeviceType, PartQuality, TierLevel
from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyIn, MoneyOut, NotNull

if TYPE_CHECKING:
    from fixdesk.catalog.transfer.report import ImportCounts, ImportReport

FIRST_RELEASE_YEAR = 1970

BrandName = Annotated[str, Field(min_length=1, max_length=100)]
DeviceName = Annotated[str, Field(min_length=1, max_length=200)]
TypeName = Annotated[str, Field(min_length=1, max_length=100)]
ScreenSize = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
"""Screen diagonal in inches: more than 0, at most 100, to 0.01 inch."""
Price = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
"""A price in the shop's currency: more than 0, at most two decimals."""
WarrantyMonths = Annotated[int, Field(ge=0, le=120)]
Minutes = Annotated[int, Field(ge=1, le=7 * 24 * 60, description="Minutes of bench time")]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


def _check_release_year(value: int | None) -> int | None:
    # Next year's models are announced (and repaired as review units) before the year starts.
    latest = datetime.now(UTC).year + 1
    if value is not None and not FIRST_RELEASE_YEAR <= value <= latest:
        raise ValueError(f"must be between {FIRST_RELEASE_YEAR} and {latest}")
    return value


# --- brands ------------------------------------------------------------------------------------------


class BrandCreate(InputModel):
    """A new brand. Names are unique regardless of case (``Apple`` and ``apple`` are one brand)."""

    name: BrandName
    is_active: bool = True


class BrandUpdate(InputModel):
    """Fields to change; omitted fields stay as they are."""

    name: NotNull[BrandName] = None
    is_active: NotNull[bool] = None


class BrandBrief(CamelModel):
    """A brand embedded in a device model."""

    id: uuid.UUID
    name: str


class BrandRead(CamelModel):
    id: uuid.UUID
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


# --- device models -----------------------------------------------------------------------------------


class DeviceModelCreate(InputModel):
    """A device model of a brand; its name is unique within the brand (regardless of case).
    ``releaseYear`` is 1970 to next year; ``screenSize`` in inches; ``tierLevel`` 1 flagship, 2 standard,
    3 budget (seed 003)."""

    brand_id: uuid.UUID
    name: DeviceName
    model_number: str | None = Field(default=None, max_length=100)
    release_year: int | None = None
    device_type: DeviceType
    screen_size: ScreenSize | None = None
    tier_level: TierLevel = TierLevel.standard
    is_active: bool = True

    _release_year = field_validator("release_year")(_check_release_year)


class DeviceModelUpdate(InputModel):
    """Fields to change; omitted fields stay as they are, ``null`` clears an optional one."""

    brand_id: NotNull[uuid.UUID] = None
    name: NotNull[DeviceName] = None
    model_number: str | None = Field(default=None, max_length=100)
    release_year: int | None = None
    device_type: NotNull[DeviceType] = None
    screen_size: ScreenSize | None = None
    tier_level: NotNull[TierLevel] = None
    is_active: NotNull[bool] = None

    _release_year = field_validator("release_year")(_check_release_year)


class DeviceModelBrief(CamelModel):
    """A device model embedded in a price."""

    id: uuid.UUID
    name: str
    model_number: str | None
    device_type: str
    release_year: int | None
    tier_level: int
    brand: BrandBrief


class DeviceModelRead(CamelModel):
    id: uuid.UUID
    brand_id: uuid.UUID
    brand: BrandBrief
    name: str
    model_number: str | None
    release_year: int | None
    device_type: str
    screen_size: DecimalNumber | None = Field(description="Inches")
    tier_level: int = Field(description="1 flagship, 2 standard, 3 budget")
    is_active: bool
    created_at: datetime
    updated_at: datetime


# --- repair types and part types ---------------------------------------------------------------------


class RepairTypeCreate(InputModel):
    """A kind of repair; names are unique regardless of case. ``defaultMinutes`` is the usual bench time."""

    name: TypeName
    description: str | None = Field(default=None, max_length=2000)
    default_minutes: Minutes | None = None
    is_active: bool = True


class RepairTypeUpdate(InputModel):
    name: NotNull[TypeName] = None
    description: str | None = Field(default=None, max_length=2000)
    default_minutes: Minutes | None = None
    is_active: NotNull[bool] = None


class RepairTypeBrief(CamelModel):
    id: uuid.UUID
    name: str


class RepairTypeRead(CamelModel):
    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    default_minutes: int | None = Field(description="Minutes")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PartTypeCreate(InputModel):
    """A kind of replacement part with its grade and the warranty in months (0 to 120) the shop gives."""

    name: TypeName
    quality: PartQuality = PartQuality.aftermarket_standard
    warranty_months: WarrantyMonths = 3
    description: str | None = Field(default=None, max_length=2000)
    is_active: bool = True


class PartTypeUpdate(InputModel):
    name: NotNull[TypeName] = None
    quality: NotNull[PartQuality] = None
    warranty_months: NotNull[WarrantyMonths] = None
    description: str | None = Field(default=None, max_length=2000)
    is_active: NotNull[bool] = None


class PartTypeBrief(CamelModel):
    id: uuid.UUID
    name: str
    quality: str
    warranty_months: int


class PartTypeRead(CamelModel):
    id: uuid.UUID
    name: str
    slug: str
    quality: str
    warranty_months: int = Field(description="Months")
    description: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


# --- pricing -----------------------------------------------------------------------------------------


class PricingCreate(InputModel):
    """A price of one repair type with one part type and quality on one device model (unique on the four).
    ``partQuality`` defaults to the part type's quality; ``price`` (> 0) and ``cost`` (≥ 0, what the part
    costs the shop) are in the shop's currency; the price applies from ``validFrom`` (default now) until
    ``validUntil`` (open-ended when omitted)."""

    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_type_id: uuid.UUID
    part_quality: PartQuality | None = None
    price: Price
    cost: MoneyIn | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    notes: str | None = Field(default=None, max_length=500)
    is_active: bool = True


class PricingUpdate(InputModel):
    """Fields to change. A change of ``price`` or ``cost`` is recorded in the price history with the
    optional ``reason``. Setting a price by hand on an estimated row makes it the shop's own price
    (``isEstimated`` false); ``isEstimated: false`` alone confirms an estimate as it is."""

    price: NotNull[Price] = None
    cost: MoneyIn | None = None
    valid_from: NotNull[AwareDatetime] = None
    valid_until: AwareDatetime | None = None
    notes: str | None = Field(default=None, max_length=500)
    is_active: NotNull[bool] = None
    is_estimated: NotNull[Literal[False]] = None
    reason: Reason | None = Field(default=None, description="Why the price changed (price history)")


class PricingRead(CamelModel):
    id: uuid.UUID
    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_type_id: uuid.UUID
    device_model: DeviceModelBrief
    repair_type: RepairTypeBrief
    part_type: PartTypeBrief
    part_quality: str
    price: MoneyOut
    cost: MoneyOut | None
    valid_from: datetime
    valid_until: datetime | None
    notes: str | None
    is_active: bool
    is_estimated: bool
    confidence_score: DecimalNumber | None = Field(description="0..1, for estimated prices")
    created_at: datetime
    updated_at: datetime


class UserBrief(CamelModel):
    id: uuid.UUID
    first_name: str
    last_name: str


class PriceHistoryRead(CamelModel):
    """One change of a price (the first entry of a price, its creation, has no old values)."""

    id: uuid.UUID
    pricing_id: uuid.UUID
    old_price: MoneyOut | None
    new_price: MoneyOut
    old_cost: MoneyOut | None
    new_cost: MoneyOut | None
    source: str = Field(description="api | import | estimate")
    changed_by: UserBrief | None
    reason: str | None
    created_at: datetime


# --- estimates ---------------------------------------------------------------------------------------


class EstimateRead(CamelModel):
    """An estimated price (see ``fixdesk.catalog.estimator`` for the algorithm): ``price`` in
    ``currency``, ``confidence`` 0..1, ``method`` exact | similar_devices | repair_type_median, ``basis``
    the ids of the prices it was computed from, and which price was used and why."""

    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_quality: str = Field(
        description="The grade estimated: as asked, else the part type's, else aftermarket_standard"
    )
    price: MoneyOut
    currency: str
    confidence: DecimalNumber
    method: str
    basis: list[uuid.UUID]
    pricing_id: uuid.UUID | None = Field(description="The shop's price used (method exact), else null")
    part_type_id: uuid.UUID | None = Field(
        description="The part type of the price used (exact), else the part type asked for, if any"
    )
    matching_prices: int = Field(
        description="How many current prices of the shop matched (exact; the cheapest is used), 0 otherwise"
    )
    reason: str = Field(description="How the price was chosen, in a sentence")


class EstimateSave(InputModel):
    """Save the estimate for these keys as a price flagged ``isEstimated`` (409 when a price exists).
    ``partQuality`` defaults to the part type's quality."""

    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_type_id: uuid.UUID
    part_quality: PartQuality | None = None
    notes: str | None = Field(default=None, max_length=500)


# --- CSV import ----------------------------------------------------------------------------------------

MAX_REJECTIONS_REPORTED = 1_000
"""At most this many rejections are listed in an API answer (all of them are counted)."""


class ImportCountsRead(CamelModel):
    """Distinct records of one kind: created, changed, and referenced but already as given."""

    created: int
    updated: int
    unchanged: int


class ImportRejectionRead(CamelModel):
    """A row that was not imported: the 1-based line of the file where it starts, why, and the column at
    fault when there is one."""

    line: int
    reason: str
    column: str | None = None


class CatalogImportRead(CamelModel):
    """The outcome of a catalog import. ``rows`` counts the data rows read, ``accepted`` those imported,
    ``priceHistory`` the price-history rows written (one per created price or changed price or cost).
    ``rejected`` lists at most the first 1,000 rejections, in file order; ``rejectedCount`` counts them all."""

    rows: int
    accepted: int
    brands: ImportCountsRead
    device_models: ImportCountsRead
    repair_types: ImportCountsRead
    part_types: ImportCountsRead
    prices: ImportCountsRead
    price_history: int
    rejected_count: int
    rejected: list[ImportRejectionRead]

    @classmethod
    def of(cls, report: ImportReport, *, limit: int | None = MAX_REJECTIONS_REPORTED) -> CatalogImportRead:
        """The answer for ``report``, listing at most ``limit`` rejections (``None``: all of them)."""

        def counts(value: ImportCounts) -> ImportCountsRead:
            return ImportCountsRead(created=value.created, updated=value.updated, unchanged=value.unchanged)

        return cls(
            rows=report.rows,
            accepted=report.accepted,
            brands=counts(report.brands),
            device_models=counts(report.device_models),
            repair_types=counts(report.repair_types),
            part_types=counts(report.part_types),
            prices=counts(report.prices),
            price_history=report.price_history,
            rejected_count=len(report.rejected),
            rejected=[
                ImportRejectionRead(line=item.line, reason=item.reason, column=item.column)
                for item in (report.rejected if limit is None else report.rejected[:limit])
            ],
        )
