"""Browser sessions: a login session (refresh-token family) opened by a sign-in page holds the SHA-256 of
the opaque secret in the browser's session cookie, ``auth_sessions.browser_token_hash``.

Revision ID: 0014
Revises: 0011 (the lead re-chains it after whatever lands first)
Create Date: 2026-12-06 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("browser_token_hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_auth_sessions_browser_token_hash", ["browser_token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_index("ix_auth_sessions_browser_token_hash")
        batch.drop_column("browser_token_hash")
