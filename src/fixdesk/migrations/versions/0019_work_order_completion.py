"""What a technician records when finishing a visit: time on site, the customer's sign-off name and the
completion notes, on ``work_orders``.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("time_on_site_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sign_off_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("completion_notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("completion_notes")
        batch.drop_column("sign_off_name")
        batch.drop_column("time_on_site_minutes")
