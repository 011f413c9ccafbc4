"""Recurring service plans (issue 11, item 5): ``service_plans`` (an RRULE, the visit's details, status and
next occurrence) and ``service_plan_occurrences`` (one row per plan and day made a work order, unique, so
several workers create each occurrence once; when the customer was reminded).

Revision ID: 0020
Revises: 0019 (the visit completion; re-chained at the merge)
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_plans",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("technician_id", sa.Uuid(), nullable=True),
        sa.Column("service_type", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("recurrence", sa.String(length=500), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("time_window_start", sa.Time(), nullable=True),
        sa.Column("time_window_end", sa.Time(), nullable=True),
        sa.Column("estimated_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("occurrences_from", sa.Date(), nullable=False),
        sa.Column("last_occurrence_date", sa.Date(), nullable=True),
        sa.Column("next_occurrence_date", sa.Date(), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("estimated_duration_minutes > 0", name=op.f("ck_service_plans_duration")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_service_plans_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_plans_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["service_locations.id"],
            name=op.f("fk_service_plans_location_id_service_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_service_plans_technician_id_technicians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_plans")),
    )
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_plans_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_plans_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_plans_technician_id"), ["technician_id"], unique=False)
        batch_op.create_index(
            "ix_service_plans_customer_id_created_at", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_service_plans_status_next_occurrence_date", ["status", "next_occurrence_date"], unique=False
        )

    op.create_table(
        "service_plan_occurrences",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence_date", sa.Date(), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["service_plans.id"],
            name=op.f("fk_service_plan_occurrences_plan_id_service_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_service_plan_occurrences_work_order_id_work_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_plan_occurrences")),
        sa.UniqueConstraint(
            "plan_id", "occurrence_date", name=op.f("uq_service_plan_occurrences_plan_id_occurrence_date")
        ),
    )
    with op.batch_alter_table("service_plan_occurrences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_plan_occurrences_work_order_id"), ["work_order_id"], unique=False
        )
        batch_op.create_index(
            "ix_service_plan_occurrences_reminded_at_date", ["reminded_at", "occurrence_date"], unique=False
        )


def downgrade() -> None:
    op.drop_table("service_plan_occurrences")
    op.drop_table("service_plans")
