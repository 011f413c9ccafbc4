"""Real Fixdesk servers for end-to-end tests: ``fixdesk serve`` started by the CLI on a free port of
127.0.0.1 with a fresh data directory, its output in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPOSITORY = Path(__file__).resolve().parent.parent.parent
ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "correct horse battery"
DEV_LOGIN_CODE = "135790"


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
    # Portal customers sign in with an emailed code; these tests use the development one (never allowed in
    # production) instead of reading the server's outbox.
    env["FIXDESK_DEV_LOGIN_CODE"] = DEV_LOGIN_CODE
    env.update(values)
    return env


def create_admin(env: dict[str, str], email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "fixdesk",
            "create-admin",
            "--email",
            email,
            "--password",
            password,
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

    def wait_healthy(self, timeout: float = 120) -> None:
        """Wait until the server answers /health (a generous bound: a busy 2-core machine starts it slowly)."""
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
