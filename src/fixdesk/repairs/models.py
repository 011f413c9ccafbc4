"""Repair tickets and their status history."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixdesk.customers.models import Customer
from fixdesk.db import Base, Hundredths, IdMixin, Money, TimestampMixin, utcnow
from fixdesk.identity.models import User


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


class DeviceType(StrEnum):
    phone = "phone"
    tablet = "tablet"
    laptop = "laptop"
    desktop = "desktop"
    console = "console"
    watch = "watch"
    other = "other"


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
    total_cost: Mapped[Decimal | None] = mapped_column(Money())
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

    __table_args__ = (
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
    )

    @property
    def balance(self) -> Decimal | None:
        """What the customer still owes: total cost less the deposit (``None`` until a total is set)."""
        if self.total_cost is None:
            return None
        return self.total_cost - (self.deposit or Decimal("0.00"))


class RepairStatusHistory(IdMixin, Base):
    """One status change of a repair: who moved it from what to what, when, with which note."""

    __tablename__ = "repair_status_history"

    repair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)
    customer_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    repair: Mapped[Repair] = relationship(back_populates="status_history", lazy="raise")
    changed_by: Mapped[User | None] = relationship(lazy="raise")

    __table_args__ = (Index("ix_repair_status_history_repair_id_created_at", "repair_id", "created_at"),)
