"""Benchmark email campaign sending on PostgreSQL: ``python benchmarks/campaign_send.py [CUSTOMERS]``
(default 10,000).

(Re)creates the database ``fixdesk_bench_campaigns`` on 127.0.0.1:5432 (``FIXDESK_BENCH_POSTGRES`` to
change the server), migrates it, bulk-inserts ``CUSTOMERS`` customers who granted email consent, starts an
aiosmtpd sink on 127.0.0.1 **in a separate process** (it only counts envelopes per recipient, so the sink's
own parsing does not eat the sender's CPU), then sends one campaign the way production does: ``POST …/send``'s
service call queues the recipients with one ``INSERT … SELECT`` and the send jobs, and a real job
:class:`~fixdesk.platform.jobs.worker.Worker` (``--concurrency`` slots, default 8; ``--send-jobs`` 8, ``--batch-size`` 250) runs them over SMTP
until the campaign is ``sent``. No rate limit (``FIXDESK_CAMPAIGN_RATE_PER_SECOND=0``).

Prints the time from the send request to ``campaign.sent``, messages per second, and checks that the sink
received exactly one message per customer (exits 1 otherwise). The issue's target: 500 messages per second
on 2 cores, 1,000 the aim.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_scale import SERVER, recreate_database
from sqlalchemy import insert, select

from fixdesk import migrations
from fixdesk.bootstrap import load_domains
from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.db import create_engine, make_sessionmaker, new_id, transaction, utcnow
from fixdesk.marketing.campaigns import sending
from fixdesk.marketing.campaigns.models import EmailCampaign
from fixdesk.marketing.models import MarketingConsent
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import build_services

DATABASE = "fixdesk_bench_campaigns"
BODY = (
    "<html><body><p>Hi {{ first_name }},</p><p>Your device's battery check is due at {{ shop_name }}. "
    '<a href="https://shop.example.com/book">Book a slot</a> or '
    '<a href="https://shop.example.com/offers">see this month\'s offers</a>.</p>'
    "<p>Thanks,<br>{{ shop_name }}</p></body></html>"
)


def _sink(connection: Any) -> None:
    """The SMTP sink process: counts recipients per address; answers its port, then the counts."""
    from aiosmtpd.controller import Controller

    counts: Counter[str] = Counter()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            counts.update(envelope.rcpt_tos)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd's controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, server_hostname="bench-sink")
    controller.start()
    connection.send(port)
    connection.recv()  # "report"
    connection.send(dict(counts))
    controller.stop()


async def load_customers(sessionmaker: Any, count: int) -> None:
    now = utcnow()
    customers = [
        {
            "id": new_id(),
            "first_name": f"Customer{index}",
            "last_name": "Bench",
            "email": f"customer{index}@bench.example.com",
            "language": "en",
            "status": "active",
            "search_text": f"customer{index} bench",
            "notify_email": True,
            "notify_sms": True,
            "custom_fields": {},
            "created_at": now,
            "updated_at": now,
        }
        for index in range(count)
    ]
    consents = [
        {"customer_id": row["id"], "channel": "email", "granted": True, "source": "import", "changed_at": now}
        for row in customers
    ]
    async with transaction(sessionmaker) as session:
        connection = await session.connection()
        for start in range(0, count, 2000):
            await connection.execute(insert(Customer.__table__), customers[start : start + 2000])
            await connection.execute(insert(MarketingConsent.__table__), consents[start : start + 2000])


async def main(count: int, concurrency: int, batch_size: int, send_jobs: int, processes: int = 1) -> int:
    database_url = await recreate_database(SERVER, DATABASE)
    migrations.upgrade(database_url)
    parent, child = multiprocessing.Pipe()
    sink = multiprocessing.get_context("spawn").Process(target=_sink, args=(child,), daemon=True)
    sink.start()
    port = parent.recv()
    settings = Settings(
        env="development",
        data_dir=Path(tempfile.mkdtemp(prefix="fixdesk-bench-campaign-")),
        database_url=database_url,
        secret_key="benchmark-secret-key-0123456789-abcdefghij",  # noqa: S106 (a throwaway database)
        email_provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        public_base_url="https://shop.example.com",
        campaign_rate_per_second=0,
        campaign_batch_size=batch_size,
        campaign_send_jobs=send_jobs,
    )
    load_domains()
    engine = create_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    services = build_services(settings)
    try:
        started = time.perf_counter()
        await load_customers(sessionmaker, count)
        print(f"{count:,} consenting customers inserted in {time.perf_counter() - started:.1f} s")

        async with transaction(sessionmaker) as session:
            campaign = EmailCampaign(
                id=new_id(),
                name="Battery check",
                subject="{{ first_name }}, your battery check is due",
                body=BODY,
                recipient_type="all",
                status="draft",
                recipient_count=0,
            )
            session.add(campaign)
            await session.flush()
            campaign_id: uuid.UUID = campaign.id
            started = time.perf_counter()
            queued = await sending.start_sending(session, campaign, settings)
        print(f"{queued:,} recipients queued in {time.perf_counter() - started:.2f} s (one INSERT … SELECT)")

        children: list[subprocess.Popen[bytes]] = []
        if processes > 1:
            # Standalone `fixdesk worker` processes, as a scaled deployment runs them.
            environment = {
                **os.environ,
                "FIXDESK_DATABASE_URL": database_url,
                "FIXDESK_DATA_DIR": str(settings.data_dir),
                "FIXDESK_SECRET_KEY": settings.signing_key,
                "FIXDESK_EMAIL_PROVIDER": "smtp",
                "FIXDESK_SMTP_HOST": "127.0.0.1",
                "FIXDESK_SMTP_PORT": str(port),
                "FIXDESK_SMTP_SECURITY": "none",
                "FIXDESK_PUBLIC_BASE_URL": "https://shop.example.com",
                "FIXDESK_CAMPAIGN_RATE_PER_SECOND": "0",
                "FIXDESK_CAMPAIGN_BATCH_SIZE": str(batch_size),
                "FIXDESK_CAMPAIGN_SEND_JOBS": str(send_jobs),
                "FIXDESK_JOB_POLL_INTERVAL": "0.05",
                "FIXDESK_LOG_LEVEL": "warning",
            }
            fixdesk = str(Path(sys.executable).with_name("fixdesk"))
            children = [
                subprocess.Popen(  # noqa: ASYNC220, S603 (started once, before timing; our own CLI)
                    [fixdesk, "worker", "--concurrency", str(concurrency)],
                    env=environment,
                    stdout=subprocess.DEVNULL,
                )
                for _ in range(processes)
            ]
            worker = None
            runner = None
        else:
            worker = Worker(
                sessionmaker,
                settings=settings,
                services=services,
                concurrency=concurrency,
                poll_interval=0.05,
            )
            runner = asyncio.create_task(worker.run())
        while True:
            async with sessionmaker() as session:
                status = await session.scalar(
                    select(EmailCampaign.status).where(EmailCampaign.id == campaign_id)
                )
            if status == "sent":
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        if worker is not None and runner is not None:
            await worker.stop()
            await runner
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
    finally:
        await services.aclose()
        await engine.dispose()
    parent.send("report")
    counts: dict[str, int] = parent.recv()
    sink.join(timeout=10)

    delivered = sum(counts.values())
    twice = {address: n for address, n in counts.items() if n > 1}
    missing = count - len(counts)
    print(
        f"sent {delivered:,} messages in {elapsed:.2f} s: {delivered / elapsed:,.0f} messages per second "
        f"({processes} worker process{'es' if processes > 1 else ''} of concurrency {concurrency}, {send_jobs} send jobs, batches of {batch_size}, one SMTP "
        "connection per batch)"
    )
    if twice or missing:
        print(f"NOT exactly once: {len(twice)} addresses got more than one, {missing} got none")
        return 1
    print(f"every one of the {count:,} customers received exactly one message")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", nargs="?", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--send-jobs", type=int, default=8)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="standalone `fixdesk worker` processes (default: one in-process)",
    )
    arguments = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                arguments.customers,
                arguments.concurrency,
                arguments.batch_size,
                arguments.send_jobs,
                arguments.processes,
            )
        )
    )
