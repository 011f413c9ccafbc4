"""Work order photos (issue 11, item 8): ``work_order_attachments``, the rows of the files stored under
``work-orders/<work order id>/`` (:mod:`fixdesk.platform.attachments`).

Revision ID: 0021
Revises: 0020 (the service plans; re-chained at the merge)
Create Date: 2026-12-07 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_order_attachments",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_attachments_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_work_order_attachments_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_work_order_attachments_storage_key")),
    )
    with op.batch_alter_table("work_order_attachments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_attachments_work_order_id_created_at",
            ["work_order_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("work_order_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_attachments_work_order_id_created_at")
    op.drop_table("work_order_attachments")
