"""Status changes keep the note for the customer apart from the staff's internal note:
``repair_status_history.customer_note``.

Revision ID: 0011
Revises: 0009 (0010, input's, if it lands first: set down_revision to it)
Create Date: 2026-12-06 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows keep their note as the internal one: it was written before staff could tell the two
    # apart, so nothing of it is shown to customers from now on.
    with op.batch_alter_table("repair_status_history") as batch:
        batch.add_column(sa.Column("customer_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repair_status_history") as batch:
        batch.drop_column("customer_note")
