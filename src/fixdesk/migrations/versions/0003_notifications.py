"""Notifications and customers' notification preferences (notify_email, notify_sms).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing customers keep receiving updates: the server default fills the new columns with true.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_email", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("notify_sms", sa.Boolean(), server_default=sa.true(), nullable=False))

    op.create_table(
        "notifications",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("repair_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body_preview", sa.String(length=500), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("provider_status", sa.String(length=30), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notifications_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"],
            ["repairs.id"],
            name=op.f("fk_notifications_repair_id_repairs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("event_id", "channel", name=op.f("uq_notifications_event_id_channel")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_notifications_customer_id_created_at", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_notifications_repair_id_created_at", ["repair_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_notifications_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_notifications_channel_created_at", ["channel", "created_at"], unique=False)
        batch_op.create_index(
            "ix_notifications_customer_id_channel_sent_at",
            ["customer_id", "channel", "sent_at"],
            unique=False,
        )
        batch_op.create_index("ix_notifications_provider_message_id", ["provider_message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_provider_message_id")
        batch_op.drop_index("ix_notifications_customer_id_channel_sent_at")
        batch_op.drop_index("ix_notifications_channel_created_at")
        batch_op.drop_index("ix_notifications_status_created_at")
        batch_op.drop_index("ix_notifications_repair_id_created_at")
        batch_op.drop_index("ix_notifications_customer_id_created_at")
        batch_op.drop_index("ix_notifications_created_at")

    op.drop_table("notifications")
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it): rebuilding the customers table in batch mode
    # would mean dropping a table other tables' foreign keys point at.
    op.drop_column("customers", "notify_sms")
    op.drop_column("customers", "notify_email")
