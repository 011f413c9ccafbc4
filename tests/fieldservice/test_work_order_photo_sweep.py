"""The platform's orphan sweep (``attachments.sweep_orphans``) covers work order photos too: old bytes
under ``work-orders/`` that no row references go, a photo's bytes and recent files stay; the repairs'
files are swept as before (tests/repairs/attachments/test_sweep.py)."""

from __future__ import annotations

import os
import time
import uuid

from fixdesk.db import transaction
from fixdesk.platform.attachments import SWEEP_JOB
from fixdesk.platform.jobs import enqueue
from tests.factories import make_customer, make_user, settle
from tests.fieldservice.helpers import make_location, make_work_order
from tests.repairs.attachments import files
from tests.repairs.attachments.conftest import stored_files

TWO_DAYS = 2 * 24 * 3600


def age(path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


async def test_old_unreferenced_work_order_files_are_swept(client, app, sessionmaker, settings):
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    house = await make_location(client, manager, customer.id)
    work_order = await make_work_order(client, manager, customer.id, locationId=house["id"])
    uploaded = await client.post(
        f"/api/v1/work-orders/{work_order['id']}/attachments",
        files={"file": ("a.png", files.png(), "image/png")},
        headers=manager.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    kept_key = f"work-orders/{work_order['id']}/{uploaded.json()['id']}"
    root = settings.data_dir / "files"
    old_orphan = f"work-orders/{work_order['id']}/{uuid.uuid4()}"
    new_orphan = f"work-orders/{work_order['id']}/{uuid.uuid4()}"
    for key in (old_orphan, new_orphan):
        (root / key).write_bytes(b"left behind")
    for key in (kept_key, old_orphan):
        age(root / key, TWO_DAYS)

    async with transaction(sessionmaker) as session:
        await enqueue(session, SWEEP_JOB)
    await settle(app)

    assert set(stored_files(settings)) == {kept_key, new_orphan}
