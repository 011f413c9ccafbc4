"""Helpers for the live-event tests: real servers started by the CLI, their staff and customers, WebSocket
clients, and Redis (``FIXDESK_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379``; with ``CI=true`` an
unreachable Redis fails the run, otherwise its tests are skipped with the reason)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI, run_async, run_id

REDIS_URL = os.environ.get("FIXDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "correct horse battery"
CUSTOMER_PASSWORD = "portal-pass-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(data_dir: Path, **values: str) -> dict[str, str]:
    """The environment of a fresh installation (none of the caller's FIXDESK_* settings leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXDESK_")}
    env["FIXDESK_DATA_DIR"] = str(data_dir)
    # Every login of these tests comes from 127.0.0.1; the per-IP login limit is not what they test.
    env["FIXDESK_RATE_LIMIT_AUTH"] = "1000/minute"
    env.update(values)
    return env


def create_admin(env: dict[str, str]) -> None:
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "fixdesk",
            "create-admin",
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr


@dataclass
class Server:
    """A ``fixdesk serve`` process on 127.0.0.1; its output goes to a file (a pipe could fill and stall it)."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"server exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not come up within {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(env: dict[str, str], log_path: Path, *args: str) -> Server:
    """Start ``fixdesk serve`` on a free port (call :meth:`Server.wait_healthy`, then :meth:`Server.stop`)."""
    port = free_port()
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "fixdesk", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return Server(process, port, log_path)


@dataclass
class Shop:
    """What the tests set up through the API: a staff token and customers with portal logins."""

    staff_token: str
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_token}"}


async def staff_login(http: httpx.AsyncClient) -> Shop:
    login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    return Shop(staff_token=login.json()["accessToken"])


async def add_customer_with_repair(http: httpx.AsyncClient, shop: Shop, key: str) -> dict[str, Any]:
    """A customer with a portal password, one repair of theirs, and their access token."""
    email = f"{key}-{secrets.token_hex(4)}@example.com"
    customer = await http.post(
        "/api/v1/customers",
        headers=shop.staff,
        json={
            "firstName": key.title(),
            "lastName": "Silva",
            "email": email,
            "portalPassword": CUSTOMER_PASSWORD,
        },
    )
    assert customer.status_code == 201, customer.text
    repair = await http.post(
        "/api/v1/repairs",
        headers=shop.staff,
        json={
            "customerId": customer.json()["id"],
            "deviceType": "phone",
            "deviceBrand": "Apple",
            "deviceModel": "iPhone 13",
            "issueDescription": "Cracked screen",
        },
    )
    assert repair.status_code == 201, repair.text
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": CUSTOMER_PASSWORD})
    assert login.status_code == 200, login.text
    entry = {
        "id": customer.json()["id"],
        "email": email,
        "repairId": repair.json()["id"],
        "token": login.json()["accessToken"],
    }
    shop.customers[key] = entry
    return entry


async def change_status(http: httpx.AsyncClient, shop: Shop, repair_id: str, status: str) -> float:
    """Move a repair to ``status`` through the API; returns the monotonic time the response arrived."""
    moved = await http.put(f"/api/v1/repairs/{repair_id}/status", headers=shop.staff, json={"status": status})
    assert moved.status_code == 200, moved.text
    return time.monotonic()


async def receive_json(ws: Any, timeout: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        return json.loads(await ws.recv())


async def wait_for_event(
    ws: Any,
    matches: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 10,
    seen: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], float]:
    """The first event ``matches`` accepts and the monotonic time it was read; every message read on the
    way is appended to ``seen``."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            received_at = time.monotonic()
            if seen is not None:
                seen.append(message)
            if message.get("type") == "event" and matches(message):
                return message, received_at


async def wait_for_reply(ws: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    """The next message of type ``kind``, skipping events delivered meanwhile."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == kind:
                return message


async def wait_for_setup_events(staff_ws: Any, shop: Shop) -> None:
    """Wait until a staff connection opened before the setup has received every event the setup caused,
    so none of them is still on its way to connections opened afterwards."""
    expected = {("customer.created", c["id"]) for c in shop.customers.values()} | {
        ("repair.created", c["repairId"]) for c in shop.customers.values()
    }
    async with asyncio.timeout(20):
        while expected:
            message = json.loads(await staff_ws.recv())
            if message.get("type") == "event":
                expected.discard((message["event"], message["data"]["id"]))


def is_event(name: str, repair_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message["event"] == name and message["data"].get("id") == repair_id


async def _redis_problem(url: str) -> str | None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        return f"Redis unreachable at {url} ({type(exc).__name__}: {exc})"
    finally:
        await client.aclose()
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL for this run: a database index derived from the run id, so the live-event channel
    (which includes the index) differs from a parallel run's most of the time; tests also match events
    by their own ids, so a shared channel could only add noise."""
    problem = run_async(_redis_problem, REDIS_URL)
    if problem:
        if IN_CI:
            pytest.fail(f"{problem}; CI=true requires Redis", pytrace=False)
        pytest.skip(problem)
    return f"{REDIS_URL}/{1 + zlib.crc32(run_id().encode()) % 15}"
