"""Recurring service plans (issue 11, item 5): a customer's repeating visit (quarterly pumping, a yearly
HVAC check) and the occurrences already turned into work orders."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, TimestampMixin, utcnow
from fixdesk.fieldservice.models import WorkOrderPriority


class ServicePlanStatus(StrEnum):
    active = "active"  # occurrences are created ahead of their dates
    paused = "paused"  # none is created until resumed; work orders already created stay
    ended = "ended"  # none after ``ends_on``


class ServicePlan(IdMixin, TimestampMixin, Base):
    """A repeating visit: ``recurrence`` is an RFC 5545 RRULE (without DTSTART) whose DTSTART is
    ``starts_on`` (a day on the shop's calendar); each occurrence becomes a scheduled work order with the
    plan's service type, location, window (``HH:MM``, shop time zone), duration (minutes) and technician.

    ``occurrences_from`` is the earliest day an occurrence may still be created (``starts_on``, or the day
    after a resume); ``last_occurrence_date`` the latest one created, so an edited rule applies only after
    it; ``next_occurrence_date`` the next one the rule gives (``None`` when paused or none is left)."""

    __tablename__ = "service_plans"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_locations.id", ondelete="RESTRICT"), index=True
    )
    technician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("technicians.id", ondelete="SET NULL"), index=True
    )
    service_type: Mapped[str] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10), default=WorkOrderPriority.normal.value)
    recurrence: Mapped[str] = mapped_column(String(500))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    time_window_start: Mapped[time | None] = mapped_column(Time)
    time_window_end: Mapped[time | None] = mapped_column(Time)
    estimated_duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ServicePlanStatus.active.value)
    occurrences_from: Mapped[date] = mapped_column(Date)
    last_occurrence_date: Mapped[date | None] = mapped_column(Date)
    next_occurrence_date: Mapped[date | None] = mapped_column(Date)
    paused_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        CheckConstraint("estimated_duration_minutes > 0", name="duration"),
        Index("ix_service_plans_customer_id_created_at", "customer_id", "created_at"),
        # The periodic job reads the plans whose next occurrence is near.
        Index("ix_service_plans_status_next_occurrence_date", "status", "next_occurrence_date"),
    )


class ServicePlanOccurrence(IdMixin, Base):
    """One occurrence of a plan turned into a work order. Unique on (plan, day): written in the work
    order's transaction, so however many workers run the job at once, one work order is created per
    occurrence. ``reminded_at`` is when the customer was told of the visit."""

    __tablename__ = "service_plan_occurrences"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_plans.id", ondelete="CASCADE"))
    occurrence_date: Mapped[date] = mapped_column(Date)
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("work_orders.id", ondelete="SET NULL"), index=True
    )
    reminded_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("plan_id", "occurrence_date"),
        # The reminder step reads the occurrences not reminded yet by date.
        Index("ix_service_plan_occurrences_reminded_at_date", "reminded_at", "occurrence_date"),
    )
