"""Rotating the server's secret key: webhook secrets stored under the old key still sign deliveries while
that key is in FIXDESK_PREVIOUS_SECRET_KEYS; ``fixdesk secrets reencrypt`` moves them to the new key, after
which the old one can go. Without any key that opens it, a delivery fails with a reason saying so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fixdesk.platform.crypto import key_id
from fixdesk.webhooks.models import WebhookSubscription
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import make_user
from tests.webhooks.test_deliveries import deliveries, new_repair, subscribe, verify

NEW_KEY = "the-new-secret-key-after-rotation-" + "x" * 16
UNRELATED_KEY = "a-key-that-never-encrypted-anything-" + "y" * 16


def reencrypt(database_url: str, data_dir: Path, secret_key: str, previous: list[str]):
    """Run ``fixdesk secrets reencrypt`` as an operator would, with these keys."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIXDESK_")}
    env.update(
        FIXDESK_DATA_DIR=str(data_dir),
        FIXDESK_DATABASE_URL=database_url,
        FIXDESK_SECRET_KEY=secret_key,
        FIXDESK_PREVIOUS_SECRET_KEYS=json.dumps(previous),
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "fixdesk", "secrets", "reencrypt"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def stored_key_id(sessionmaker, hook_id: str) -> str:
    async with sessionmaker() as session:
        subscription = await session.get(WebhookSubscription, uuid.UUID(hook_id))
    return subscription.secret_ciphertext.split(".")[1]


@pytest.mark.commits  # the operator's `fixdesk secrets reencrypt` runs in another process
async def test_a_key_rotation_keeps_deliveries_signed(
    app, client, sessionmaker, receiver, jobs, database_url, tmp_path
):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    assert await stored_key_id(sessionmaker, hook["id"]) == key_id(TEST_SECRET)
    rotated = make_settings(
        database_url,
        tmp_path,
        secret_key=NEW_KEY,
        previous_secret_keys=[TEST_SECRET],
        webhooks_allow_private=True,
    )
    new_key_only = make_settings(database_url, tmp_path, secret_key=NEW_KEY, webhooks_allow_private=True)

    # 1. New key in place, old one kept as previous: the stored secret still opens.
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain(rotated)
    (first,) = receiver.posts()
    verify(first, hook["secret"])

    # 2. The operator re-encrypts; a key that opens nothing is refused first, and nothing changes.
    refused = reencrypt(database_url, tmp_path / "cli", UNRELATED_KEY, [])
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Nothing was re-encrypted" in refused.stderr
    assert key_id(TEST_SECRET) in refused.stderr
    done = reencrypt(database_url, tmp_path / "cli", NEW_KEY, [TEST_SECRET])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "webhook_subscriptions.secret_ciphertext: 1 re-encrypted" in done.stderr
    assert await stored_key_id(sessionmaker, hook["id"]) == key_id(NEW_KEY)
    again = reencrypt(database_url, tmp_path / "cli", NEW_KEY, [])
    assert "webhook_subscriptions.secret_ciphertext: 0 re-encrypted" in again.stderr

    # 3. The old key is gone: deliveries are still signed with the same endpoint secret.
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain(new_key_only)
    first, second = receiver.posts()
    verify(second, hook["secret"])

    # 4. A server started with an unrelated key cannot open it: the delivery fails and says why.
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain(
        make_settings(database_url, tmp_path, secret_key=UNRELATED_KEY, webhooks_allow_private=True)
    )
    assert len(receiver.posts()) == 2
    failed = next(
        item for item in (await deliveries(client, admin, hook["id"]))["items"] if item["attempts"] == 0
    )
    assert failed["status"] == "failed"
    assert "The signing secret does not decrypt" in failed["lastError"]
    assert "FIXDESK_PREVIOUS_SECRET_KEYS" in failed["lastError"]
