"""Secrets at rest: webhook signing secrets encrypted (AES-GCM, fixdesk.platform.crypto); idempotency records
of answers that showed a secret keep no body (``response_withheld``).

Existing plaintext secrets are encrypted here, under the key the app uses (``FIXDESK_SECRET_KEY`` or the
data directory's generated key): the settings passed to :func:`fixdesk.migrations.upgrade`, else those
of the environment, as ``fixdesk migrate`` reads them. The settings are read only when there is a row to
convert. Stored answers from before this revision that carry an API-client or webhook secret lose their
body and become withheld (a retry with their key is then a 409, not a replay of the secret).

This revision imports :mod:`fixdesk.platform.crypto` for the encryption: its ``v1`` format is versioned
and stays readable by later versions of the module.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRET_PURPOSE = "webhooks.signing-secret"  # fixdesk.webhooks.models.SECRET_PURPOSE at this revision
SECRET_MARKERS = (b'"clientSecret"', b'"secret":"whsec_')

subscriptions = sa.table(
    "webhook_subscriptions",
    sa.column("id", sa.Uuid()),
    sa.column("secret", sa.String()),
    sa.column("secret_ciphertext", sa.String()),
)
idempotency_keys = sa.table(
    "idempotency_keys",
    sa.column("principal", sa.String()),
    sa.column("key", sa.String()),
    sa.column("response_headers", sa.JSON()),
    sa.column("response_body", sa.LargeBinary()),
    sa.column("response_withheld", sa.Boolean()),
)


def _keyring() -> Any:
    from fixdesk.config import get_settings
    from fixdesk.platform.crypto import Keyring

    settings = context.config.attributes.get("settings") or get_settings()
    return Keyring.from_settings(settings)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.add_column(sa.Column("secret_ciphertext", sa.String(length=500), nullable=True))
    rows = bind.execute(sa.select(subscriptions.c.id, subscriptions.c.secret)).all()
    if rows:
        keyring = _keyring()
        for row_id, secret in rows:
            bind.execute(
                subscriptions.update()
                .where(subscriptions.c.id == row_id)
                .values(secret_ciphertext=keyring.encrypt(secret, purpose=SECRET_PURPOSE, record_id=row_id))
            )
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret_ciphertext", existing_type=sa.String(length=500), nullable=False)
        batch.drop_column("secret")

    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(
            sa.Column("response_withheld", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    stored = bind.execute(
        sa.select(
            idempotency_keys.c.principal, idempotency_keys.c.key, idempotency_keys.c.response_body
        ).where(idempotency_keys.c.response_body.is_not(None))
    ).all()
    for principal, key, body in stored:
        if any(marker in bytes(body) for marker in SECRET_MARKERS):
            bind.execute(
                idempotency_keys.update()
                .where(idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
                .values(response_body=None, response_headers=None, response_withheld=True)
            )


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("response_withheld")

    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.add_column(sa.Column("secret", sa.String(length=200), nullable=True))
    rows = bind.execute(sa.select(subscriptions.c.id, subscriptions.c.secret_ciphertext)).all()
    if rows:
        keyring = _keyring()
        for row_id, token in rows:
            bind.execute(
                subscriptions.update()
                .where(subscriptions.c.id == row_id)
                .values(secret=keyring.decrypt(token, purpose=SECRET_PURPOSE, record_id=row_id))
            )
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=200), nullable=False)
        batch.drop_column("secret_ciphertext")
