"""A trigram index over the open repairs' search text (PostgreSQL): the board's "active" search ("status=active
&search=iphone") counts its matches from this smaller index instead of visiting every repair that ever
matched the term (tens of thousands of delivered ones at scale) to drop all but the open few.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The lifecycle's open statuses (fixdesk.repairs.lifecycle.OPEN_STATUSES) as they are today: a migration
# keeps its own copy, so a later change of the lifecycle comes with a migration of its own.
OPEN_STATUSES = ("received", "diagnosing", "quoted", "approved", "repairing", "waiting_parts", "testing")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
        op.execute(
            "CREATE INDEX ix_repairs_open_search_text_trgm ON repairs "
            f"USING gin (search_text gin_trgm_ops) WHERE status IN ({statuses})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_repairs_open_search_text_trgm", table_name="repairs")
