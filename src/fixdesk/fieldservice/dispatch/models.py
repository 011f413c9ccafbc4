"""Dispatch tables: a day's stored plan (the answer of ``POST /dispatch/plan``) and the suggestions drawn
from it (``GET /ai/dispatch/suggestions``), each with what the dispatcher did with it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Double, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, TimestampMixin, utcnow


class DispatchPlanStatus(StrEnum):
    proposed = "proposed"  # computed, nothing written to the work orders yet
    applied = "applied"  # POST /dispatch/plans/{id}/apply wrote it; it cannot be applied again


class DispatchPlan(IdMixin, TimestampMixin, Base):
    """A plan of one day (``plan_date``, the shop's calendar): ``result`` is the JSON answered by
    ``POST /dispatch/plan`` (routes with their stops, the unplaced work orders with their reasons, totals),
    kept so that it can be applied or drawn on for suggestions later exactly as it was shown."""

    __tablename__ = "dispatch_plans"

    plan_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=DispatchPlanStatus.proposed.value)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None] = mapped_column()

    # The suggestions read the latest proposed plan of a day.
    __table_args__ = (
        Index("ix_dispatch_plans_plan_date_status_created_at", "plan_date", "status", "created_at"),
    )


class SuggestionStatus(StrEnum):
    open = "open"  # offered
    accepted = "accepted"  # the work order was assigned as suggested
    dismissed = "dismissed"  # not offered again for this plan


class DispatchSuggestion(IdMixin, Base):
    """One suggestion of a plan: give ``work_order_id`` to ``technician_id`` as the plan places it, with
    the confidence (0–1), the sentences shown and what became of it (see
    :func:`fixdesk.fieldservice.dispatch.service.list_suggestions` for how they are computed)."""

    __tablename__ = "dispatch_suggestions"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispatch_plans.id", ondelete="CASCADE"))
    work_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True
    )
    technician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=SuggestionStatus.open.value)
    confidence: Mapped[float] = mapped_column(Double())
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300))
    reasoning: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_dispatch_suggestions_plan_id_status", "plan_id", "status"),)
