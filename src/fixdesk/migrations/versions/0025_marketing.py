"""The marketing domain (issue 13, items 4 and 5): ``marketing_consents`` (the current consent per
customer and channel), ``marketing_consent_changes`` (its history), ``marketing_suppressions`` (the
suppression list) and ``segments`` (saved filters over customers).

Revision ID: 0025
Revises: 0024 (Stripe and reminders; re-chained at the merge)
Create Date: 2026-12-07 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        "marketing_consents",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_marketing_consents_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "channel", name=op.f("pk_marketing_consents")),
    )
    op.create_index(
        "ix_marketing_consents_channel_granted_customer_id",
        "marketing_consents",
        ["channel", "granted", "customer_id"],
        unique=False,
    )
    op.create_table(
        "marketing_consent_changes",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_marketing_consent_changes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_consent_changes")),
    )
    op.create_index(
        "ix_marketing_consent_changes_customer_id_changed_at",
        "marketing_consent_changes",
        ["customer_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "marketing_suppressions",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_marketing_suppressions")),
    )
    op.create_index(
        op.f("ix_marketing_suppressions_created_at"), "marketing_suppressions", ["created_at"], unique=False
    )
    op.create_table(
        "segments",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("filter", json_document, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_segments_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_index(op.f("ix_segments_created_at"), "segments", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_segments_created_at"), table_name="segments")
    op.drop_table("segments")
    op.drop_index(op.f("ix_marketing_suppressions_created_at"), table_name="marketing_suppressions")
    op.drop_table("marketing_suppressions")
    op.drop_index(
        "ix_marketing_consent_changes_customer_id_changed_at", table_name="marketing_consent_changes"
    )
    op.drop_table("marketing_consent_changes")
    op.drop_index("ix_marketing_consents_channel_granted_customer_id", table_name="marketing_consents")
    op.drop_table("marketing_consents")
