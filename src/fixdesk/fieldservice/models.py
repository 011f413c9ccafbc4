"""Field service tables: technician profiles with skills and time off, customers' service locations and
the equipment there, work orders with their technicians, status history, part and labour lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.customers.models import Customer
from fixdesk.db import Base, Hundredths, IdMixin, Money, Percent, TimestampMixin, utcnow
from fixdesk.identity.models import User


class GeocodeStatus(StrEnum):
    """Where an address's coordinates came from."""

    given = "given"  # typed in (or picked on a map) by staff
    pending = "pending"  # waiting for the geocoding provider (FIXDESK_GEOCODING_URL)
    found = "found"  # looked up by the provider
    not_found = "not_found"  # the provider knows no such address
    missing = "missing"  # no coordinates and no provider configured


class Technician(IdMixin, TimestampMixin, Base):
    """A staff user's field profile (seed 001's technician): skills, hourly rate (shop currency), phone, a
    home base the day starts and ends at, weekly working hours with breaks (``HH:MM`` in the shop's time
    zone, JSON ``[{weekday 1-7 (ISO, Monday 1), start, end, breaks: [{start, end}]}]``), time off and an
    active flag. Name and email are the user's."""

    __tablename__ = "technicians"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    hourly_rate: Mapped[Decimal | None] = mapped_column(Money())
    home_address: Mapped[str | None] = mapped_column(String(300))
    home_latitude: Mapped[float | None] = mapped_column(Double())
    home_longitude: Mapped[float | None] = mapped_column(Double())
    home_geocode_status: Mapped[str] = mapped_column(String(12), default=GeocodeStatus.missing.value)
    working_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the private calendar feed's token (fixdesk.platform.security.hash_secret); none issued:
    # NULL. Looked up with the technician's id from the feed's URL, so it needs no index.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="raise")
    skills: Mapped[list[TechnicianSkill]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="TechnicianSkill.skill"
    )
    time_off: Mapped[list[TechnicianTimeOff]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(TechnicianTimeOff.starts_at, TechnicianTimeOff.id)",
    )

    __table_args__ = (Index("ix_technicians_is_active", "is_active"),)

    @property
    def skill_names(self) -> list[str]:
        return [row.skill for row in self.skills]


class TechnicianSkill(Base):
    """One skill tag of one technician (a table, so ``?skill=`` filters through an index). Tags are the
    shop's own words (HVAC, Plumbing, Septic), compared without regard to case."""

    __tablename__ = "technician_skills"

    technician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(50), primary_key=True)
    # Lower-cased, what filters compare.
    skill_key: Mapped[str] = mapped_column(String(50), index=True)


class TechnicianTimeOff(IdMixin, Base):
    """A period a technician is away (holiday, sick leave, training): ``[starts_at, ends_at)``, UTC."""

    __tablename__ = "technician_time_off"

    technician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_technician_time_off_technician_id_starts_at", "technician_id", "starts_at"),
    )


class ServiceLocation(IdMixin, TimestampMixin, Base):
    """A place where a customer's work is done (a house, a plant, a septic tank's yard), with its
    coordinates (WGS 84 degrees) and what the technician must know to get in."""

    __tablename__ = "service_locations"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(100))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Double())
    longitude: Mapped[float | None] = mapped_column(Double())
    geocode_status: Mapped[str] = mapped_column(String(12), default=GeocodeStatus.missing.value)
    access_notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_service_locations_customer_id_created_at", "customer_id", "created_at"),)

    @property
    def address(self) -> str:
        """The address on one line, as a geocoder or a technician reads it."""
        parts = [
            self.address_line1,
            self.address_line2,
            self.city,
            self.region,
            self.postal_code,
            self.country,
        ]
        return ", ".join(part for part in parts if part)


class Equipment(IdMixin, TimestampMixin, Base):
    """A unit at a service location that work is done on (a septic tank, a furnace, a water heater)."""

    __tablename__ = "equipment"

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_locations.id", ondelete="CASCADE"))
    equipment_type: Mapped[str] = mapped_column(String(100))
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    installed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_equipment_location_id_created_at", "location_id", "created_at"),)


class WorkOrderStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


class WorkOrderPriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"
    emergency = "emergency"


class WorkOrder(IdMixin, TimestampMixin, Base):
    """A job at a customer's service location (seed 001's work order), numbered ``WO-YYYY-NNNNNN``.

    ``scheduled_date`` is a day on the shop's calendar, ``time_window_start``/``_end`` the arrival window
    that day (shop time zone); ``estimated_duration_minutes`` the time on site. Totals are computed from
    the part and labour lines by the rule of :mod:`fixdesk.repairs.items.totals`."""

    __tablename__ = "work_orders"

    work_order_number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_locations.id", ondelete="RESTRICT"), index=True
    )
    equipment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("equipment.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=WorkOrderStatus.draft.value)
    priority: Mapped[str] = mapped_column(String(10), default=WorkOrderPriority.normal.value)
    service_type: Mapped[str] = mapped_column(String(100))
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    scheduled_date: Mapped[date | None] = mapped_column(Date)
    time_window_start: Mapped[time | None] = mapped_column(Time)
    time_window_end: Mapped[time | None] = mapped_column(Time)
    estimated_duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    notes: Mapped[str | None] = mapped_column(Text)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    # What the technician recorded when finishing on site (technician_day.complete_visit).
    time_on_site_minutes: Mapped[int | None] = mapped_column(Integer)
    sign_off_name: Mapped[str | None] = mapped_column(String(100))
    completion_notes: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(lazy="raise")
    location: Mapped[ServiceLocation | None] = relationship(lazy="raise")
    equipment: Mapped[Equipment | None] = relationship(lazy="raise")
    assignments: Mapped[list[WorkOrderTechnician]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="WorkOrderTechnician.position"
    )
    status_history: Mapped[list[WorkOrderStatusHistory]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(WorkOrderStatusHistory.created_at, WorkOrderStatusHistory.id)",
    )
    items: Mapped[list[WorkOrderItem]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="(WorkOrderItem.position, WorkOrderItem.id)"
    )
    labour: Mapped[list[WorkOrderLabour]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="(WorkOrderLabour.position, WorkOrderLabour.id)"
    )
    # Deleting a work order's rows leaves its stored bytes to the attachments' orphan sweep; rows are
    # deleted one by one through the attachments service, which queues the file's deletion.
    attachments: Mapped[list[WorkOrderAttachment]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(WorkOrderAttachment.created_at, WorkOrderAttachment.id)",
    )

    __table_args__ = (
        CheckConstraint("estimated_duration_minutes > 0", name="duration"),
        Index("ix_work_orders_status_scheduled_date", "status", "scheduled_date"),
        Index("ix_work_orders_scheduled_date_time_window_start", "scheduled_date", "time_window_start"),
        Index("ix_work_orders_customer_id_scheduled_date", "customer_id", "scheduled_date"),
        # The sales dashboard sums completed work orders by completion time.
        Index("ix_work_orders_completed_at", "completed_at"),
    )

    @property
    def technician_ids(self) -> list[uuid.UUID]:
        return [assignment.technician_id for assignment in self.assignments]


class WorkOrderTechnician(Base):
    """A technician assigned to a work order; ``position`` 0 is the lead (seed 001's
    ``assigned_technician``)."""

    __tablename__ = "work_order_technicians"

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    technician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    technician: Mapped[Technician] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_work_order_technicians_technician_id_work_order_id", "technician_id", "work_order_id"),
    )


class WorkOrderStatusHistory(IdMixin, Base):
    """One status change of a work order: who moved it from what to what, when, with a note."""

    __tablename__ = "work_order_status_history"

    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_work_order_status_history_work_order_id_created_at", "work_order_id", "created_at"),
    )


class WorkOrderItem(IdMixin, Base):
    """A part (or other charge) of a work order: ``quantity × unit_price − discount = line_total``."""

    __tablename__ = "work_order_items"

    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    part_number: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    line_total: Mapped[Decimal] = mapped_column(Money())

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_work_order_items_work_order_id_position", "work_order_id", "position"),
    )


class WorkOrderLabour(IdMixin, Base):
    """A labour line of a work order: ``hours × rate = line_total`` (rate per hour, shop currency)."""

    __tablename__ = "work_order_labour"

    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    hours: Mapped[Decimal] = mapped_column(Hundredths())
    rate: Mapped[Decimal] = mapped_column(Money())
    line_total: Mapped[Decimal] = mapped_column(Money())

    __table_args__ = (Index("ix_work_order_labour_work_order_id_position", "work_order_id", "position"),)


class WorkOrderAttachmentKind(StrEnum):
    """What a work order's photo shows: the site ``before`` or ``after`` the work, the equipment's
    ``nameplate`` (make, model, serial), a ``signed_form`` (a paper the customer signed), or ``other``."""

    before = "before"
    after = "after"
    nameplate = "nameplate"
    signed_form = "signed_form"
    other = "other"


class WorkOrderAttachment(IdMixin, Base):
    """A photo taken on a work order (usually by its technician on site). ``content_type`` is detected
    from the bytes (:mod:`fixdesk.platform.attachments`); ``storage_key``
    (``work-orders/<work order id>/<attachment id>``) locates them in the configured store; ``size_bytes``
    in bytes."""

    __tablename__ = "work_order_attachments"

    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12), default=WorkOrderAttachmentKind.other.value)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_work_order_attachments_work_order_id_created_at", "work_order_id", "created_at"),
    )
