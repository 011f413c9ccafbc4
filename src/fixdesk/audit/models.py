"""The audit log's one table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fixdesk.db import Base, IdMixin, utcnow


class AuditEvent(IdMixin, Base):
    """One entry of the activity and audit log: who did what to what, from where.

    Written in the transaction of the action it records. No foreign keys on purpose: the log outlives the
    rows it names (and must never block deleting or anonymising them).
    """

    __tablename__ = "audit_events"

    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID | None] = mapped_column()
    customer_id: Mapped[uuid.UUID | None] = mapped_column()
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        Index("ix_audit_events_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_events_action_created_at", "action", "created_at"),
        Index("ix_audit_events_target_id_created_at", "target_id", "created_at"),
        Index("ix_audit_events_customer_id_created_at", "customer_id", "created_at"),
    )
