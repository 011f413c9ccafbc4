"""Repair tickets and everything hanging off them: status history, line items and labour, quotes,
attachments, warranties and warranty claims, and the customer's review."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.customers.models import Customer
from fixdesk.db import Base, Hundredths, IdMixin, JSONDocument, Money, Percent, TimestampMixin, utcnow
from fixdesk.identity.models import User
from fixdesk.repairs.items import totals

TRACKING_TOKEN_BYTES = 24


def new_tracking_token() -> str:
    """An unguessable public tracking token: 24 random bytes (192 bits), URL-safe base64 (32 characters)."""
    return secrets.token_urlsafe(TRACKING_TOKEN_BYTES)


class RepairStatus(StrEnum):
    received = "received"
    diagnosing = "diagnosing"
    quoted = "quoted"
    approved = "approved"
    repairing = "repairing"
    waiting_parts = "waiting_parts"
    testing = "testing"
    completed = "completed"  # ready for pickup
    delivered = "delivered"  # collected by the customer
    cancelled = "cancelled"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Repair(IdMixin, TimestampMixin, Base):
    """A repair ticket: one device of one customer, from intake (``received``) to pickup (``delivered``)."""

    __tablename__ = "repairs"

    repair_number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    technician_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=RepairStatus.received.value)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.normal.value)
    device_type: Mapped[str] = mapped_column(String(20))
    device_brand: Mapped[str] = mapped_column(String(100))
    device_model: Mapped[str] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    imei: Mapped[str | None] = mapped_column(String(15), index=True)
    issue_description: Mapped[str] = mapped_column(Text)
    cosmetic_condition: Mapped[str | None] = mapped_column(String(500))
    estimated_completion: Mapped[datetime | None] = mapped_column()
    actual_completion: Mapped[datetime | None] = mapped_column()
    completion_days: Mapped[Decimal | None] = mapped_column(Hundredths())
    deposit: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # The grand total (subtotal + tax). Computed from the line items and labour once the repair has any;
    # until then it is the price agreed at the counter, entered by hand.
    total_cost: Mapped[Decimal | None] = mapped_column(Money())
    # The catalog device, when the device was picked from it (brand/model text stays for free-text intake).
    device_model_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("device_models.id", ondelete="SET NULL"), index=True
    )
    # Totals of the line items and labour, computed by the server (repairs.items.service).
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"), server_default=text("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"), server_default=text("0"))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"), server_default=text("0"))
    # The public tracking link's secret part (GET /api/v1/track/{token}).
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_tracking_token)
    # Values of the shop's custom fields for repairs, keyed by the field's key.
    custom_fields: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, default=dict, server_default=text("'{}'")
    )
    # A warranty job: the earlier repair whose warranty this one honours (done at no charge).
    warranty_claim_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("repairs.id", ondelete="SET NULL"), index=True
    )
    # Lower-cased "number brand model serial imei" kept by the service, searched through a trigram index.
    search_text: Mapped[str] = mapped_column(String(500), default="")

    customer: Mapped[Customer] = relationship(lazy="raise", foreign_keys=[customer_id])
    technician: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[technician_id])
    status_history: Mapped[list[RepairStatusHistory]] = relationship(
        back_populates="repair",
        lazy="raise",
        order_by="(RepairStatusHistory.created_at, RepairStatusHistory.id)",
        cascade="all, delete-orphan",
    )
    items: Mapped[list[RepairItem]] = relationship(
        back_populates="repair",
        lazy="raise",
        order_by="(RepairItem.position, RepairItem.id)",
        cascade="all, delete-orphan",
    )
    labour: Mapped[list[RepairLabour]] = relationship(
        back_populates="repair",
        lazy="raise",
        order_by="(RepairLabour.position, RepairLabour.id)",
        cascade="all, delete-orphan",
    )
    review: Mapped[RepairReview | None] = relationship(lazy="raise", uselist=False, viewonly=True)

    __table_args__ = (
        Index("ix_repairs_completion", "actual_completion"),
        Index("ix_repairs_custom_fields_gin", "custom_fields", postgresql_using="gin"),
        Index("ix_repairs_status_created_at", "status", "created_at"),
        Index("ix_repairs_technician_id_created_at", "technician_id", "created_at"),
        Index("ix_repairs_priority_created_at", "priority", "created_at"),
        Index("ix_repairs_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_repairs_customer_id_status", "customer_id", "status"),
        Index(
            "ix_repairs_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        # The open repairs only (migration 0015): an "active" search counts its few matches from here.
        Index(
            "ix_repairs_open_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            postgresql_where=text(
                "status IN ('received', 'diagnosing', 'quoted', 'approved', 'repairing', 'waiting_parts', "
                "'testing')"
            ),
        ),
    )

    @property
    def balance(self) -> Decimal | None:
        """What the customer still owes: total cost less the deposit (``None`` until a total is set)."""
        return totals.balance(self.total_cost, self.deposit)


class RepairStatusHistory(IdMixin, Base):
    """One status change of a repair: who moved it from what to what, when, with the staff's internal
    ``notes`` and the ``customer_note``, the only note the customer ever sees (message, portal)."""

    __tablename__ = "repair_status_history"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)
    customer_note: Mapped[str | None] = mapped_column(Text)
    customer_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    repair: Mapped[Repair] = relationship(back_populates="status_history", lazy="raise")
    changed_by: Mapped[User | None] = relationship(lazy="raise")

    __table_args__ = (Index("ix_repair_status_history_repair_id_created_at", "repair_id", "created_at"),)


class PriceSource(StrEnum):
    """Where a line item's unit price came from."""

    manual = "manual"  # typed in by staff
    catalog = "catalog"  # the shop's price list
    estimate = "estimate"  # the estimator (no price in the list)
    quote = "quote"  # copied from the approved quote
    warranty = "warranty"  # a warranty job: no charge


class PartLineColumns:
    """The columns a part-and-repair line has on a repair and on a quote alike (a quote's lines become
    the repair's when it is approved): ``quantity × unit_price − discount = line_total``."""

    position: Mapped[int] = mapped_column(Integer, default=0)
    repair_type_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("repair_types.id", ondelete="RESTRICT")
    )
    part_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("part_types.id", ondelete="RESTRICT"))
    part_quality: Mapped[str | None] = mapped_column(String(30))
    pricing_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pricing.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money())
    unit_cost: Mapped[Decimal | None] = mapped_column(Money())
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    line_total: Mapped[Decimal] = mapped_column(Money())
    price_source: Mapped[str] = mapped_column(String(20), default=PriceSource.manual.value)
    estimate_confidence: Mapped[Decimal | None] = mapped_column(Hundredths())


class LabourLineColumns:
    """The columns a labour line has on a repair and on a quote alike: ``hours × rate = line_total``."""

    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    hours: Mapped[Decimal] = mapped_column(Hundredths())
    rate: Mapped[Decimal] = mapped_column(Money())
    line_total: Mapped[Decimal] = mapped_column(Money())


class RepairItem(PartLineColumns, IdMixin, TimestampMixin, Base):
    """A part-and-repair line of a repair: ``quantity × unit_price − discount = line_total`` (shop
    currency, rounded half-up to cents). ``unit_cost`` is what the part cost the shop; the serial numbers
    of the removed (faulty) and installed (replacement) part feed the warranty."""

    __tablename__ = "repair_items"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    removed_serial: Mapped[str | None] = mapped_column(String(100))
    installed_serial: Mapped[str | None] = mapped_column(String(100))
    # The product (a part in stock) the line fits, from the sales domain's products; no foreign key, since
    # repairs sit below sales. Stock follows the repair's completion through repairs' events.
    product_id: Mapped[uuid.UUID | None] = mapped_column()

    repair: Mapped[Repair] = relationship(back_populates="items", lazy="raise")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_repair_items_repair_id_position", "repair_id", "position"),
        Index("ix_repair_items_repair_type_id", "repair_type_id"),
        Index("ix_repair_items_part_type_id", "part_type_id"),
        Index("ix_repair_items_product_id", "product_id"),
    )


class RepairLabour(LabourLineColumns, IdMixin, TimestampMixin, Base):
    """A labour line: ``hours × rate = line_total`` (rate per hour, shop currency; hours to 0.01)."""

    __tablename__ = "repair_labour"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))

    repair: Mapped[Repair] = relationship(back_populates="labour", lazy="raise")

    __table_args__ = (Index("ix_repair_labour_repair_id_position", "repair_id", "position"),)


class QuoteStatus(StrEnum):
    draft = "draft"  # being prepared, the customer cannot see it
    sent = "sent"  # with the customer, who may approve or decline it until valid_until
    approved = "approved"
    declined = "declined"
    superseded = "superseded"  # a newer quote was sent for the same repair


class Quote(IdMixin, TimestampMixin, Base):
    """A priced proposal for a repair (seed 000's quotes with ``partsBreakdown``): part lines and labour
    lines with server-computed totals, valid until a date (inclusive, in the shop's time zone)."""

    __tablename__ = "quotes"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default=QuoteStatus.draft.value)
    valid_until: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    sent_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[QuoteItem]] = relationship(
        back_populates="quote",
        lazy="raise",
        order_by="(QuoteItem.position, QuoteItem.id)",
        cascade="all, delete-orphan",
    )
    labour: Mapped[list[QuoteLabour]] = relationship(
        back_populates="quote",
        lazy="raise",
        order_by="(QuoteLabour.position, QuoteLabour.id)",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        Index("ix_quotes_repair_id_version", "repair_id", "version", unique=True),
        Index("ix_quotes_status_valid_until", "status", "valid_until"),
    )


class QuoteItem(PartLineColumns, IdMixin, Base):
    """A part-and-repair line of a quote; becomes a :class:`RepairItem` when the quote is approved."""

    __tablename__ = "quote_items"

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))

    quote: Mapped[Quote] = relationship(back_populates="items", lazy="raise")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_quote_items_quote_id_position", "quote_id", "position"),
    )


class QuoteLabour(LabourLineColumns, IdMixin, Base):
    """A labour line of a quote; becomes a :class:`RepairLabour` when the quote is approved."""

    __tablename__ = "quote_labour"

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))

    quote: Mapped[Quote] = relationship(back_populates="labour", lazy="raise")

    __table_args__ = (Index("ix_quote_labour_quote_id_position", "quote_id", "position"),)


class AttachmentKind(StrEnum):
    before = "before"  # photo at intake
    after = "after"  # photo after the repair
    document = "document"  # a PDF or other paper (invoice, diagnosis report)


class RepairAttachment(IdMixin, Base):
    """A photo or document of a repair. ``content_type`` is detected from the bytes, never taken from the
    client; ``storage_key`` locates the bytes in the configured store (data dir or S3)."""

    __tablename__ = "repair_attachments"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_repair_attachments_repair_id_created_at", "repair_id", "created_at"),)


class Warranty(IdMixin, Base):
    """The warranty on one part fitted in a repair, created when the repair is completed: from the
    completion date for the part type's ``warranty_months`` (``ends_on`` inclusive)."""

    __tablename__ = "warranties"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    repair_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("repair_items.id", ondelete="SET NULL"), unique=True
    )
    part_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("part_types.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    part_quality: Mapped[str | None] = mapped_column(String(30))
    removed_serial: Mapped[str | None] = mapped_column(String(100))
    installed_serial: Mapped[str | None] = mapped_column(String(100))
    part_cost: Mapped[Decimal | None] = mapped_column(Money())
    warranty_months: Mapped[int] = mapped_column(SmallInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_warranties_repair_id", "repair_id"),
        Index("ix_warranties_ends_on", "ends_on"),
    )


class WarrantyClaim(IdMixin, Base):
    """An accepted warranty claim: the warranty it was made under and the no-charge repair it opened."""

    __tablename__ = "warranty_claims"

    warranty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warranties.id", ondelete="CASCADE"))
    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    claim_repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    issue_description: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_warranty_claims_warranty_id", "warranty_id"),
        Index("ix_warranty_claims_repair_id", "repair_id"),
        Index("ix_warranty_claims_claim_repair_id", "claim_repair_id"),
    )


class RepairReview(IdMixin, Base):
    """The customer's rating (1–5) and comment on a completed repair; one per repair."""

    __tablename__ = "repair_reviews"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Read-only ways to the repair number and customer name the staff review list shows.
    repair: Mapped[Repair] = relationship(lazy="raise", viewonly=True)
    customer: Mapped[Customer] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_repair_reviews_created_at", "created_at"),
        Index("ix_repair_reviews_customer_id", "customer_id"),
        # The staff list filters by rating, newest first.
        Index("ix_repair_reviews_rating_created_at", "rating", "created_at"),
    )
