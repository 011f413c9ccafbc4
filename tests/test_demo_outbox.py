"""What ``make run`` shows a newcomer (issue 3, item 8): the demo server, with its in-process worker, writes
the customer's email for a status change into ``<data dir>/outbox/`` at once (the time it took is printed;
the test waits with a generous bound, so a loaded machine does not fail it)."""

from __future__ import annotations

import email
import email.policy
import os
import time
from pathlib import Path

import httpx

from tests.support.polling import wait_until_blocking
from tests.support.server import start_server

REPOSITORY = Path(__file__).resolve().parent.parent


def test_a_status_change_in_the_demo_shop_lands_in_the_outbox(tmp_path: Path) -> None:
    data_dir = tmp_path / ".fixdesk"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIXDESK_")}
    env["FIXDESK_DATA_DIR"] = str(data_dir)
    server = start_server(env, tmp_path / "server.log", "--demo")
    base = server.base_url
    try:
        server.wait_healthy(timeout=120)
        with httpx.Client(base_url=base, timeout=20) as http:
            login = http.post(
                "/api/v1/auth/login", json={"email": "admin@example.com", "password": "fixdesk-demo"}
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
            listed = http.get(
                "/api/v1/repairs", params={"status": "testing", "pageSize": 50}, headers=headers
            )
            repair = next(r for r in listed.json()["items"] if r["customer"]["email"])
            outbox = data_dir / "outbox"
            before = set(outbox.glob("*.eml")) if outbox.exists() else set()
            changed = http.put(
                f"/api/v1/repairs/{repair['id']}/status",
                headers=headers,
                json={"status": "completed", "notes": "Ready for pickup"},
            )
            assert changed.status_code == 200, changed.text
            started = time.monotonic()

            def new_emails() -> list[Path]:
                return (
                    [path for path in outbox.glob("*.eml") if path not in before] if outbox.exists() else []
                )

            new = wait_until_blocking(new_emails, timeout=60, message="the email to reach the outbox")
            elapsed = time.monotonic() - started
        print(f"\nemail in the outbox {elapsed:.2f} s after the status change")
        message = email.message_from_bytes(new[0].read_bytes(), policy=email.policy.default)
        assert message["To"] == repair["customer"]["email"]
        assert repair["repairNumber"] in message["Subject"] + message.get_body(("plain",)).get_content()
    finally:
        server.stop()
