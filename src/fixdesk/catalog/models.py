"""The device catalog and price list: brands, device models, repair types, part types, prices and the
history of every price change (seed 003's Prisma schema, with UUID keys and exact money)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.db import Base, Hundredths, IdMixin, Money, TimestampMixin, utcnow


class PartQuality(StrEnum):
    """Grades of replacement parts, best first (seed 003's ``PartsQuality``)."""

    original = "original"
    aftermarket_premium = "aftermarket_premium"
    aftermarket_standard = "aftermarket_standard"
    aftermarket_economy = "aftermarket_economy"


class DeviceType(StrEnum):
    """Kinds of device the shop repairs: a catalog device model's type, and a repair's device type."""

    phone = "phone"
    tablet = "tablet"
    laptop = "laptop"
    desktop = "desktop"
    console = "console"
    watch = "watch"
    other = "other"


class TierLevel(IntEnum):
    """A device model's market position (seed 003's ``tierLevel``)."""

    flagship = 1
    standard = 2
    budget = 3


class PriceChangeSource(StrEnum):
    """Where a price change came from, as recorded in the price history."""

    api = "api"
    import_ = "import"
    estimate = "estimate"


class Brand(IdMixin, TimestampMixin, Base):
    """A manufacturer. ``slug`` is the lower-cased name and makes names unique regardless of case."""

    __tablename__ = "brands"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (Index("ix_brands_is_active_name", "is_active", "name"),)


class DeviceModel(IdMixin, TimestampMixin, Base):
    """One device model of a brand, unique by name within the brand. ``screen_size`` is in inches."""

    __tablename__ = "device_models"

    brand_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    model_number: Mapped[str | None] = mapped_column(String(100))
    release_year: Mapped[int | None] = mapped_column(SmallInteger)
    device_type: Mapped[str] = mapped_column(String(20))
    screen_size: Mapped[Decimal | None] = mapped_column(Hundredths())
    tier_level: Mapped[int] = mapped_column(SmallInteger, default=TierLevel.standard.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Lower-cased "brand name model number" kept by the service, searched through a trigram index.
    search_text: Mapped[str] = mapped_column(String(400), default="")

    brand: Mapped[Brand] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("brand_id", "name"),
        CheckConstraint("tier_level BETWEEN 1 AND 3", name="tier_level"),
        Index("ix_device_models_device_type_release_year", "device_type", "release_year"),
        Index("ix_device_models_tier_level", "tier_level"),
        Index("ix_device_models_is_active_name", "is_active", "name"),
        Index("ix_device_models_release_year", "release_year"),
        Index(
            "ix_device_models_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )


class RepairType(IdMixin, TimestampMixin, Base):
    """A kind of repair the shop does (screen replacement, battery replacement, …).
    ``default_minutes`` is the usual bench time in minutes, used to suggest labour."""

    __tablename__ = "repair_types"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    default_minutes: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (Index("ix_repair_types_is_active_name", "is_active", "name"),)


class PartType(IdMixin, TimestampMixin, Base):
    """A kind of replacement part with its grade and the warranty (in months) the shop gives on it."""

    __tablename__ = "part_types"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    quality: Mapped[str] = mapped_column(String(30), default=PartQuality.aftermarket_standard.value)
    warranty_months: Mapped[int] = mapped_column(SmallInteger, default=3)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (
        CheckConstraint("warranty_months >= 0", name="warranty_months"),
        Index("ix_part_types_quality", "quality"),
        Index("ix_part_types_is_active_name", "is_active", "name"),
    )


class Pricing(IdMixin, TimestampMixin, Base):
    """The shop's price (and part cost) of one repair type with one part type and quality on one device
    model; unique on those four keys. A price applies from ``valid_from`` until ``valid_until`` (open-ended
    when null). ``is_estimated`` marks prices saved from the estimator, with its ``confidence_score``."""

    __tablename__ = "pricing"

    device_model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device_models.id", ondelete="CASCADE"))
    repair_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repair_types.id", ondelete="CASCADE"))
    part_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("part_types.id", ondelete="CASCADE"))
    part_quality: Mapped[str] = mapped_column(String(30), default=PartQuality.aftermarket_standard.value)
    price: Mapped[Decimal] = mapped_column(Money())
    cost: Mapped[Decimal | None] = mapped_column(Money())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    confidence_score: Mapped[Decimal | None] = mapped_column(Hundredths())
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(String(500))

    device_model: Mapped[DeviceModel] = relationship(lazy="raise")
    repair_type: Mapped[RepairType] = relationship(lazy="raise")
    part_type: Mapped[PartType] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("device_model_id", "repair_type_id", "part_type_id", "part_quality"),
        Index("ix_pricing_repair_type_id_part_quality", "repair_type_id", "part_quality"),
        Index("ix_pricing_part_type_id", "part_type_id"),
        Index("ix_pricing_is_active_is_estimated", "is_active", "is_estimated"),
    )


class PriceHistory(IdMixin, Base):
    """One change of a price: the old and new price and cost, who made it and from where. The first row
    of a price (its creation) has no old values."""

    __tablename__ = "price_history"

    pricing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pricing.id", ondelete="CASCADE"))
    old_price: Mapped[Decimal | None] = mapped_column(Money())
    new_price: Mapped[Decimal] = mapped_column(Money())
    old_cost: Mapped[Decimal | None] = mapped_column(Money())
    new_cost: Mapped[Decimal | None] = mapped_column(Money())
    source: Mapped[str] = mapped_column(String(20), default=PriceChangeSource.api.value)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_price_history_pricing_id_created_at", "pricing_id", "created_at"),)
