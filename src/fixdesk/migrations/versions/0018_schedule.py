"""The schedule (issue 11, item 4): each technician's calendar feed token, stored as its SHA-256 hash
(``technicians.calendar_token_hash``; no token until one is issued).

Revision ID: 0018
Revises: 0017 (the dispatch plans; re-chained at the merge)
Create Date: 2026-12-06 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("technicians") as batch:
        batch.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("technicians") as batch:
        batch.drop_column("calendar_token_hash")
