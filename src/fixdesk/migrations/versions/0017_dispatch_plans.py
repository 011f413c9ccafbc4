"""Dispatch (issue 11 item 6): a day's stored dispatch plans (proposed, applied) and the suggestions drawn
from them with what the dispatcher did with each (open, accepted, dismissed).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 23:32:34.561653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_plans",
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("applied_by_id", sa.Uuid(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applied_by_id"],
            ["users.id"],
            name=op.f("fk_dispatch_plans_applied_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_dispatch_plans_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_plans")),
    )
    with op.batch_alter_table("dispatch_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_plans_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_dispatch_plans_plan_date_status_created_at",
            ["plan_date", "status", "created_at"],
            unique=False,
        )

    op.create_table(
        "dispatch_suggestions",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_dispatch_suggestions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["dispatch_plans.id"],
            name=op.f("fk_dispatch_suggestions_plan_id_dispatch_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_dispatch_suggestions_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_dispatch_suggestions_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_suggestions")),
    )
    with op.batch_alter_table("dispatch_suggestions", schema=None) as batch_op:
        batch_op.create_index("ix_dispatch_suggestions_plan_id_status", ["plan_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dispatch_suggestions_technician_id"), ["technician_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dispatch_suggestions_work_order_id"), ["work_order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_suggestions_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_dispatch_suggestions_technician_id"))
        batch_op.drop_index("ix_dispatch_suggestions_plan_id_status")

    op.drop_table("dispatch_suggestions")
    with op.batch_alter_table("dispatch_plans", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_plans_plan_date_status_created_at")
        batch_op.drop_index(batch_op.f("ix_dispatch_plans_created_at"))

    op.drop_table("dispatch_plans")
