"""No follow-up work is lost when the worker crashes (issue 3, item 7).

A real server on PostgreSQL (without its in-process worker) takes 80 status changes with
``notifyCustomer``; a standalone ``fixdesk worker`` process delivers the emails (real SMTP into an aiosmtpd
sink) and the webhooks (to a receiver on 127.0.0.1) and is killed with SIGKILL between waves of changes,
mid-work. At the end every committed change has produced at least one email and one delivery per
subscribed webhook, and the duplicates are at most one per kill (a crash between the provider's
acceptance and our record of it) and carry the same ``Message-ID`` / ``webhook-id``, so a receiver can
drop them. The worker runs one job at a time, so a kill interrupts at most one job in hand.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import fresh_postgres_database, run_async
from tests.support.polling import wait_until, wait_until_blocking
from tests.support.server import start_server
from tests.support.smtp_sink import SmtpSink
from tests.webhooks.receiver import Receiver

REPOSITORY = Path(__file__).resolve().parent.parent
ADMIN = ("crash-admin@example.com", "correct horse battery")
REPAIRS = 16
PATH = ("diagnosing", "quoted", "approved", "repairing", "testing")  # 5 waves x 16 repairs = 80 changes


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fixdesk", "worker", "--concurrency", "1", "--lease-seconds", "2"],
        env=env,
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def unfinished_jobs(database_url: str) -> int:
    url = make_url(database_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed')"
        )
    finally:
        await connection.close()


async def jobs_in_hand_of(database_url: str, pid: int) -> int:
    """How many jobs the worker process ``pid`` holds right now (``running`` and locked by it: worker ids
    are ``host:pid:random``)."""
    url = make_url(database_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM jobs WHERE state = 'running' AND locked_by LIKE $1", f"%:{pid}:%"
        )
    finally:
        await connection.close()


async def fetch(database_url: str, query: str) -> list[asyncpg.Record]:
    url = make_url(database_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        return await connection.fetch(query)
    finally:
        await connection.close()


def test_no_notification_or_webhook_is_lost_when_the_worker_is_killed(backend: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("the crash test runs against PostgreSQL, like a scaled deployment")
    database_url = fresh_postgres_database("crash")
    sink = SmtpSink().start()
    receiver = Receiver().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXDESK_")}
    env.update(
        {
            "FIXDESK_DATABASE_URL": database_url,
            "FIXDESK_DATA_DIR": str(tmp_path / "data"),
            "FIXDESK_SECRET_KEY": "crash-test-secret-key-long-enough-for-hs256",
            "FIXDESK_WEBHOOKS_ALLOW_PRIVATE": "true",
            "FIXDESK_JOB_POLL_INTERVAL": "0.1",
            "FIXDESK_EMAIL_PROVIDER": "smtp",
            "FIXDESK_SMTP_HOST": "127.0.0.1",
            "FIXDESK_SMTP_PORT": str(sink.port),
            "FIXDESK_SMTP_SECURITY": "none",
            "FIXDESK_EMAIL_PER_HOUR": "1000",
            "PYTHONPATH": str(REPOSITORY),
        }
    )
    processes: list[subprocess.Popen[str]] = []
    kills = 0
    try:
        created = subprocess.run(
            [sys.executable, "-m", "fixdesk", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1]],
            env=env,
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert created.returncode == 0, created.stderr
        server = start_server(env, tmp_path / "server.log", "--no-worker")
        processes.append(server.process)
        server.wait_healthy()
        base = server.base_url

        async def drive() -> int:
            nonlocal kills
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                login = await http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
                headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
                hook = await http.post(
                    "/api/v1/webhooks",
                    headers=headers,
                    json={"url": receiver.url("/hooks"), "events": ["repair.status_changed"]},
                )
                assert hook.status_code == 201, hook.text
                limit = asyncio.Semaphore(10)

                async def add_repair(index: int) -> str:
                    async with limit:
                        return await create_repair(index)

                async def create_repair(index: int) -> str:
                    customer = await http.post(
                        "/api/v1/customers",
                        headers=headers,
                        json={
                            "firstName": f"Crash{index}",
                            "lastName": "Test",
                            "email": f"crash{index}@example.com",
                        },
                    )
                    assert customer.status_code == 201, customer.text
                    repair = await http.post(
                        "/api/v1/repairs",
                        headers=headers,
                        json={
                            "customerId": customer.json()["id"],
                            "deviceType": "phone",
                            "deviceBrand": "Apple",
                            "deviceModel": "iPhone 12",
                            "issueDescription": "Cracked screen",
                        },
                    )
                    assert repair.status_code == 201, repair.text
                    return repair.json()["id"]

                repair_ids = list(await asyncio.gather(*(add_repair(index) for index in range(REPAIRS))))
                worker = start_worker(env)
                processes.append(worker)

                async def change(repair_id: str, status: str) -> None:
                    async with limit:
                        response = await http.put(
                            f"/api/v1/repairs/{repair_id}/status",
                            headers=headers,
                            json={"status": status, "notifyCustomer": True, "notes": f"moved to {status}"},
                        )
                        assert response.status_code == 200, response.text

                for wave, status in enumerate(PATH):
                    await asyncio.gather(*(change(repair_id, status) for repair_id in repair_ids))
                    if wave < len(PATH) - 1:
                        # Wait until the worker has a job in hand, then kill it mid-job and start another.
                        async def in_hand(process: subprocess.Popen[str] = worker) -> int:
                            assert process.poll() is None, "the worker exited before it was killed"
                            return await jobs_in_hand_of(database_url, process.pid)

                        await wait_until(in_hand, timeout=120, interval=0.01, message="a job in hand")
                        worker.send_signal(signal.SIGKILL)
                        worker.wait(timeout=10)
                        kills += 1
                        worker = start_worker(env)
                        processes.append(worker)
                return len(repair_ids) * len(PATH)

        changes = asyncio.run(drive())
        wait_until_blocking(
            lambda: run_async(unfinished_jobs, database_url) == 0,
            timeout=240,
            interval=0.1,
            message="the worker to finish the queued work",
        )

        events = run_async(fetch, database_url, "SELECT id FROM events WHERE name = 'repair.status_changed'")
        event_ids = {str(row["id"]) for row in events}
        notifications = run_async(
            fetch,
            database_url,
            "SELECT n.id, n.event_id, n.status FROM notifications n JOIN events e ON e.id = n.event_id "
            "WHERE e.name = 'repair.status_changed' AND n.channel = 'email'",
        )
        dead = run_async(fetch, database_url, "SELECT kind, last_error FROM jobs WHERE state = 'dead'")

        emails = Counter(sink.message_ids())
        expected_ids = {f"<notification-{row['id']}@fixdesk>" for row in notifications}
        email_copies = [emails[message_id] for message_id in expected_ids]
        deliveries = Counter(request.headers.get("webhook-id") for request in receiver.posts("/hooks"))
        delivery_copies = [deliveries[event_id] for event_id in event_ids]
        email_duplicates = sum(count - 1 for count in email_copies if count > 1)
        delivery_duplicates = sum(count - 1 for count in delivery_copies if count > 1)
        print(
            f"\ncrash test: {changes} status changes, {kills} SIGKILLs; "
            f"{len(events)} events, {len(notifications)} email notifications, "
            f"{sum(email_copies)} emails received ({email_duplicates} duplicates), "
            f"{sum(delivery_copies)} webhook deliveries ({delivery_duplicates} duplicates), {len(dead)} dead jobs"
        )

        assert dead == [], dead
        assert len(event_ids) == changes
        assert {str(row["event_id"]) for row in notifications} == event_ids
        assert all(row["status"] == "sent" for row in notifications)
        assert min(email_copies) >= 1, "an email was lost"
        assert min(delivery_copies) >= 1, "a webhook delivery was lost"
        assert email_duplicates + delivery_duplicates <= kills
        assert set(deliveries) - {None} <= event_ids
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        sink.stop()
        receiver.stop()
