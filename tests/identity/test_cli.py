"""``fixdesk create-admin`` run as a real subprocess against a fresh SQLite database."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from fixdesk.app import create_app
from fixdesk.identity.permissions import all_permissions
from tests.conftest import make_settings

PASSWORD = "admin-pass-123"


def database_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "fixdesk.db"


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{database_file(tmp_path)}"


def create_admin(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``fixdesk create-admin`` with a data directory and database of its own under ``tmp_path``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIXDESK_")}
    env.update(
        FIXDESK_DATA_DIR=str(tmp_path / "data"),
        FIXDESK_DATABASE_URL=database_url(tmp_path),
        COLUMNS="200",  # keep Rich from wrapping the messages the tests look for
    )
    return subprocess.run(
        [sys.executable, "-m", "fixdesk", "create-admin", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,  # a prompt would fail instead of hanging the test
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def user_rows(tmp_path: Path) -> list[sqlite3.Row]:
    connection = sqlite3.connect(database_file(tmp_path))
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute("SELECT email, role, password_hash, is_active FROM users").fetchall()
    finally:
        connection.close()


async def test_create_admin_creates_an_admin_who_can_log_in_and_refuses_a_duplicate(tmp_path):
    result = create_admin(tmp_path, "--email", "Boss@Example.com", "--password", PASSWORD)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "boss@example.com" in result.stderr
    [row] = user_rows(tmp_path)
    assert row["email"] == "boss@example.com"
    assert row["role"] == "admin"
    assert row["is_active"] == 1
    assert re.match(r"^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$", row["password_hash"])
    assert PASSWORD not in row["password_hash"]

    app = create_app(make_settings(database_url(tmp_path), tmp_path))
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post(
                "/api/v1/auth/login", json={"email": "boss@example.com", "password": PASSWORD}
            )
    finally:
        await app.state.engine.dispose()
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["role"] == "admin"
    assert user["principalType"] == "user"
    assert user["permissions"] == sorted(all_permissions())

    # The same address again, in another case, is refused with a message and no second row.
    again = create_admin(tmp_path, "--email", "BOSS@example.com", "--password", "another-pass-456")

    assert again.returncode != 0
    assert "Could not create the admin" in again.stderr
    assert "boss@example.com already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert len(user_rows(tmp_path)) == 1


def test_create_admin_refuses_a_short_password(tmp_path):
    result = create_admin(tmp_path, "--email", "short@example.com", "--password", "1234567")

    assert result.returncode != 0
    assert "at least 8 characters" in result.stderr
    assert "Traceback" not in result.stderr
    assert user_rows(tmp_path) == []
