"""Benchmark the staff pages at demo scale: ``python benchmarks/pages.py [SCALE] [--sqlite]``.

Loads the demo shop (``fixdesk demo``'s data, default scale 1) into a fresh database, PostgreSQL
``fixdesk_bench_pages`` on 127.0.0.1:5432 as user ``postgres`` (override the server with
``FIXDESK_BENCH_POSTGRES``) or, with ``--sqlite``, a SQLite file in a temporary directory. Then renders each
staff page in-process (the app through httpx's ASGI transport, signed in as the demo's manager with a
bearer token, no worker) a number of times and prints the median and slowest server time per page, next
to a floor: the sign-in page, a template that reads no table, rendered in the same run. Issue 10's target
is a median of at most 50 ms per page.

The repair page is measured on the demo repair with the most status changes and lines (the heaviest
one), the board on its first page, the kanban with every column.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from sqlalchemy import func, select

from fixdesk import migrations
from fixdesk.app import create_app
from fixdesk.config import Settings
from fixdesk.demo.loader import load_demo
from fixdesk.identity.models import User
from fixdesk.repairs.models import Repair, RepairStatusHistory

DATABASE = "fixdesk_bench_pages"
SERVER = os.environ.get("FIXDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ROUNDS = 30
TARGET_MS = 50.0


async def _subjects(app: object) -> tuple[User, Repair]:
    sessions = app.state.sessionmaker  # type: ignore[attr-defined]
    async with sessions() as session:
        manager = (
            await session.execute(
                select(User).where(User.role == "manager", User.is_active.is_(True)).limit(1)
            )
        ).scalar_one()
        busiest = (
            await session.execute(
                select(Repair)
                .join(RepairStatusHistory, RepairStatusHistory.repair_id == Repair.id)
                .group_by(Repair.id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).scalar_one()
    return manager, busiest


async def measure(settings: Settings, title: str) -> None:
    app = create_app(settings, run_worker=False)
    manager, repair = await _subjects(app)
    token = app.state.tokens.issue_access_token(manager.id, manager.role, "user")
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    pages = {
        "floor: /app/login": "/app/login",
        "dashboard /app": "/app",
        "board /app/repairs": "/app/repairs",
        "board, search": "/app/repairs?q=iphone",
        "intake form": "/app/repairs/new",
        "customers": "/app/customers",
        "catalog": "/app/catalog",
        "kanban": "/app/repairs?view=kanban",
        f"repair page ({repair.repair_number})": f"/app/repairs/{repair.id}",
        "intake receipt": f"/app/repairs/{repair.id}/receipt",
    }
    results: list[str] = [f"{title}; median of {ROUNDS} renders per page:"]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for label, path in pages.items():
            timings = []
            for _ in range(ROUNDS + 3):
                started = time.perf_counter()
                # The floor is the sign-in page as an anonymous visitor sees it (signed in, it redirects).
                response = await http.get(
                    path, headers={"Accept": "text/html"} if label.startswith("floor") else headers
                )
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
            timings = timings[3:]  # the first renders compile the templates
            median = statistics.median(timings)
            verdict = "ok" if median <= TARGET_MS or label.startswith("floor") else "OVER TARGET"
            results.append(
                f"  {label:<34} median {median:7.1f} ms, slowest {max(timings):7.1f} ms, "
                f"{len(response.content) / 1024:6.1f} KiB  {verdict}"
            )
    # Printed together at the end, after the request log lines.
    print("\n".join(results))
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        await engine.dispose()


def main(argv: list[str]) -> None:
    sqlite = "--sqlite" in argv
    numbers = [arg for arg in argv[1:] if not arg.startswith("--")]
    scale = int(numbers[0]) if numbers else 1
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory() as data_dir:
        if sqlite:
            database_url = f"sqlite+aiosqlite:///{Path(data_dir) / 'bench.db'}"
        else:
            from demo_scale import recreate_database

            database_url = asyncio.run(recreate_database(SERVER, DATABASE))
        migrations.upgrade(database_url)
        settings = Settings(
            env="development", data_dir=Path(data_dir), database_url=database_url, log_level="WARNING"
        )
        summary = asyncio.run(load_demo(settings, scale=scale, console=console))
        backend = "SQLite" if sqlite else "PostgreSQL"
        asyncio.run(measure(settings, f"{backend}, scale {scale}: {summary.repairs:,} repairs"))


if __name__ == "__main__":
    main(sys.argv)
