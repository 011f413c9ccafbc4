"""Orders invoiced through billing (issue 13, item 2): ``orders.invoice_id``, the invoice made from the
order (``SET NULL`` when a draft invoice is deleted, so the order can be invoiced again).

Revision ID: 0026
Revises: 0025 (marketing; re-chained at the merge)
Create Date: 2026-12-07 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_orders_invoice_id", ["invoice_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_invoice_id_invoices"),
            "invoices",
            ["invoice_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_invoice_id_invoices"), type_="foreignkey")
        batch_op.drop_index("ix_orders_invoice_id")
        batch_op.drop_column("invoice_id")
