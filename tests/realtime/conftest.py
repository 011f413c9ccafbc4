"""Helpers for the live-event tests: real servers started by the CLI, their staff and customers, WebSocket
clients, and Redis (``FIXDESK_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379``; with ``CI=true`` an
unreachable Redis fails the run, otherwise its tests are skipped with the reason)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.polling import wait_until
from tests.support.server import (  # noqa: F401 - the realtime tests import these from here
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DEV_LOGIN_CODE,
    Server,
    clean_env,
    create_admin,
    free_port,
    start_server,
)

# The server's worker polls the queue once an hour: an event that reaches a client at all was pushed by
# the commit (the commit wakes the worker, the broker fans out at once), not found by a poll.
AN_HOUR = "3600"


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One live server for the WebSocket and sales-dashboard tests (each test makes its own customers and
    matches events by their ids). Its modules form one xdist group (``ONE_WORKER`` in tests/conftest.py),
    so it starts once per run."""
    tmp_path = tmp_path_factory.mktemp("live")
    env = clean_env(tmp_path / "data", FIXDESK_JOB_POLL_INTERVAL=AN_HOUR)
    create_admin(env)
    running = start_server(env, tmp_path / "server.log")
    try:
        running.wait_healthy()
        yield running
    finally:
        running.stop()


REDIS_URL = os.environ.get("FIXDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


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
    """A customer, one repair of theirs, and their access token (signed in with an emailed code: the
    server's development code, see ``clean_env``)."""
    email = f"{key}-{secrets.token_hex(4)}@example.com"
    customer = await http.post(
        "/api/v1/customers",
        headers=shop.staff,
        json={
            "firstName": key.title(),
            "lastName": "Silva",
            "email": email,
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
    asked = await http.post("/api/v1/auth/login", json={"email": email})
    assert asked.status_code == 200, asked.text

    async def signed_in() -> httpx.Response | None:
        # The code is issued by a job moments after the request's answer (the same answer for any address).
        answer = await http.post("/api/v1/auth/verify-email", json={"email": email, "code": DEV_LOGIN_CODE})
        return answer if answer.status_code == 200 else None

    login = await wait_until(signed_in, interval=0.1, message=f"the login code of {email} to be issued")
    entry = {
        "id": customer.json()["id"],
        "email": email,
        "repairId": repair.json()["id"],
        "token": login.json()["accessToken"],
    }
    shop.customers[key] = entry
    return entry


async def change_status(
    http: httpx.AsyncClient, shop: Shop, repair_id: str, status: str, **fields: Any
) -> float:
    """Move a repair to ``status`` through the API (``fields``: more of the body, e.g. ``notes``); returns
    the monotonic time the response arrived."""
    moved = await http.put(
        f"/api/v1/repairs/{repair_id}/status", headers=shop.staff, json={"status": status, **fields}
    )
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
