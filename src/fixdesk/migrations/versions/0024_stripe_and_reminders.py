"""Stripe and reminders (issue 12, items 5 and 6): ``stripe_events`` (each Stripe webhook event recorded
once by its id), ``stripe_checkout_sessions`` (the Checkout Sessions opened for invoices' balances),
``invoice_reminders`` (one ``payment_reminder`` per invoice and day relative to its due date) and
``invoices.overdue_at`` (when ``invoice.overdue`` was announced, once per invoice).

Revision ID: 0024
Revises: 0023 (sales; re-chained at the merge)
Create Date: 2026-12-07 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_stripe_events_invoice_id_invoices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index("ix_stripe_events_invoice_id", ["invoice_id"], unique=False)
        batch_op.create_index("ix_stripe_events_received_at", ["received_at"], unique=False)

    op.create_table(
        "stripe_checkout_sessions",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_stripe_checkout_sessions_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_checkout_sessions")),
    )
    with op.batch_alter_table("stripe_checkout_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stripe_checkout_sessions_invoice_id_created_at", ["invoice_id", "created_at"], unique=False
        )

    op.create_table(
        "invoice_reminders",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("days_offset", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_reminders_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_reminders")),
    )
    with op.batch_alter_table("invoice_reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_reminders_invoice_id_days_offset", ["invoice_id", "days_offset"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_reminders_invoice_id_days_offset")
    op.drop_table("invoice_reminders")
    with op.batch_alter_table("stripe_checkout_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_stripe_checkout_sessions_invoice_id_created_at")
    op.drop_table("stripe_checkout_sessions")
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stripe_events_received_at")
        batch_op.drop_index("ix_stripe_events_invoice_id")
    op.drop_table("stripe_events")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("overdue_at")
