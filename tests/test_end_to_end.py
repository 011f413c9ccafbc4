"""End to end: the real server started by the CLI, on a free port with a fresh data dir, driven over HTTP.

Staff log in, create a customer and a repair, walk it to ``completed`` and invite the customer to the
portal; the customer chooses a password with the emailed link, logs in and reads the repair. Runs on SQLite and (in CI, or when reachable) on PostgreSQL.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import drop_postgres_database, run_async, run_id, worker_id
from tests.support.server import start_server

ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "correct horse battery"
CUSTOMER_PASSWORD = "portal-pass-123"
TOKEN = re.compile(r"token=(pwl_[A-Za-z0-9_.\-]+)")


@pytest.fixture
def server_env(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment of a fresh installation: an empty data dir and, on PostgreSQL, an empty database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXDESK_")}
    env["FIXDESK_DATA_DIR"] = str(tmp_path / "data")
    database = f"fixdesk_e2e_{run_id()}_{worker_id()}"
    if backend == "postgresql":
        from tests.conftest import create_postgres_database

        env["FIXDESK_DATABASE_URL"] = run_async(create_postgres_database, database)
    yield env
    if backend == "postgresql":
        run_async(drop_postgres_database, database)


def fixdesk(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fixdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def invitation_token(outbox: Path, address: str, timeout: float = 60) -> str:
    """The token of the portal invitation the server's worker writes to ``outbox`` for ``address``,
    waiting for it with a generous bound."""
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            found = TOKEN.search(body.get_content()) if body is not None else None
            if message["To"] == address and found:
                return found.group(1)
        assert time.monotonic() < deadline, f"no invitation reached {address} in {timeout} s"
        time.sleep(0.05)


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    created = fixdesk("create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, env=server_env)
    assert created.returncode == 0, created.stderr
    running = start_server(server_env, tmp_path / "server.log")
    try:
        running.wait_healthy()
        yield running.base_url
    finally:
        running.stop()


def test_staff_take_in_a_repair_and_the_customer_follows_it(server: str, server_env: dict[str, str]) -> None:
    with httpx.Client(base_url=server, timeout=20) as http:
        assert http.get("/ready").json()["status"] == "ready"
        login = http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        assert login.headers["x-request-id"]
        staff = {"Authorization": f"Bearer {login.json()['accessToken']}"}

        customer = http.post(
            "/api/v1/customers",
            headers=staff,
            json={
                "firstName": "Marta",
                "lastName": "Costa",
                "email": "Marta.Costa@example.com",
                "phone": "+351 912 345 678",
                "language": "pt",
            },
        )
        assert customer.status_code == 201, customer.text
        assert customer.json()["phone"] == "+351912345678"

        repair = http.post(
            "/api/v1/repairs",
            headers=staff,
            json={
                "customerId": customer.json()["id"],
                "deviceType": "phone",
                "deviceBrand": "Samsung",
                "deviceModel": "Galaxy S21",
                "imei": "490154203237518",
                "issueDescription": "Battery drains within two hours",
                "priority": "high",
                "deposit": 25,
                "totalCost": "89.90",
            },
        )
        assert repair.status_code == 201, repair.text
        repair_id = repair.json()["id"]
        assert repair.json()["repairNumber"].endswith("-000001")
        # `fixdesk serve --port P` (what `make run PORT=P` runs): the customer's link points at that port.
        assert repair.json()["trackingUrl"].startswith(f"{server}/track/")

        for status in ("diagnosing", "quoted", "approved", "repairing", "testing", "completed"):
            moved = http.put(
                f"/api/v1/repairs/{repair_id}/status",
                headers=staff,
                json={"status": status, "notes": f"now {status}"},
            )
            assert moved.status_code == 200, moved.text
        assert moved.json()["actualCompletion"] is not None
        illegal = http.put(f"/api/v1/repairs/{repair_id}/status", headers=staff, json={"status": "repairing"})
        assert illegal.status_code == 409
        assert illegal.json()["allowed"] == ["delivered"]

        invited = http.post(f"/api/v1/customers/{customer.json()['id']}/portal-invitation", headers=staff)
        assert invited.status_code == 202, invited.text
        token = invitation_token(Path(server_env["FIXDESK_DATA_DIR"]) / "outbox", "marta.costa@example.com")
        chosen = http.post(
            "/api/v1/auth/reset-password", json={"token": token, "password": CUSTOMER_PASSWORD}
        )
        assert chosen.status_code == 200, chosen.text
        portal_login = http.post(
            "/api/v1/auth/login", json={"email": "marta.costa@example.com", "password": CUSTOMER_PASSWORD}
        )
        assert portal_login.status_code == 200, portal_login.text
        assert portal_login.json()["user"]["principalType"] == "customer"
        portal = {"Authorization": f"Bearer {portal_login.json()['accessToken']}"}

        mine = http.get(f"/api/v1/customer/repairs/{repair_id}", headers=portal)
        assert mine.status_code == 200, mine.text
        assert mine.json()["status"] == "completed"
        assert [h["toStatus"] for h in mine.json()["statusHistory"]][-1] == "completed"
        listed = http.get("/api/v1/customer/repairs", headers=portal)
        assert [r["id"] for r in listed.json()["items"]] == [repair_id]
        stats = http.get("/api/v1/customer/dashboard/stats", headers=portal).json()
        assert stats["completedRepairs"] == 1
        assert stats["totalSpent"] == 89.9
        assert http.get("/api/v1/repairs", headers=portal).status_code == 403

    secret_file = Path(server_env["FIXDESK_DATA_DIR"]) / "secret_key"
    assert secret_file.exists()
    assert secret_file.stat().st_mode & 0o777 == 0o600
