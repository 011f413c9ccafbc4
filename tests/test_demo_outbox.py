"""What ``make run`` shows a newcomer (issue 3, item 8): the demo server, with its in-process worker, writes
the customer's email for a status change into ``<data dir>/outbox/`` at once (the time it took is printed;
the test waits with a generous bound, so a loaded machine does not fail it)."""

from __future__ import annotations

import email
import email.policy
import os
import time
from email.message import EmailMessage
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
        server.wait_healthy(timeout=180)
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

            def emails_to_the_customer() -> list[EmailMessage]:
                # The demo's own jobs write mail too (service-plan visit reminders for the loaded day), so
                # the status change's email is picked by its recipient, not by arriving first.
                if not outbox.exists():
                    return []
                messages = [
                    email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                    for path in outbox.glob("*.eml")
                    if path not in before
                ]
                return [m for m in messages if m["To"] == repair["customer"]["email"]]  # type: ignore[misc]

            new = wait_until_blocking(
                emails_to_the_customer, timeout=60, message="the customer's email to reach the outbox"
            )
            elapsed = time.monotonic() - started
        print(f"\nemail in the outbox {elapsed:.2f} s after the status change")
        message = new[0]
        assert repair["repairNumber"] in message["Subject"] + message.get_body(("plain",)).get_content()
    finally:
        server.stop()
