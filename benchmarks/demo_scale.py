"""Benchmark the demo loader on PostgreSQL: ``python benchmarks/demo_scale.py [SCALE]`` (default 20).

(Re)creates the database ``fixdesk_bench`` on 127.0.0.1:5432 as user ``postgres`` (override the server with
``FIXDESK_BENCH_POSTGRES``, e.g. ``postgresql://postgres@db.internal:5432``), migrates it to head, loads
the demo shop at the given scale with the progress bar on and prints the time and rows per second. The
database is left in place for inspection; drop it with ``dropdb fixdesk_bench``.

Scale 200 is the issue's benchmark: 40,000 customers, 200,000 repairs and about 1.6 million status-history
rows, plus the repair bench (line items, labour, quotes and their lines, warranties, reviews: about five
rows per repair).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from rich.console import Console
from sqlalchemy.engine import make_url

from fixdesk import migrations
from fixdesk.config import Settings
from fixdesk.demo.loader import load_demo

DATABASE = "fixdesk_bench"
SERVER = os.environ.get("FIXDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


async def recreate_database(server_url: str, name: str) -> str:
    """Drop and create database ``name``; return its SQLAlchemy asyncpg URL."""
    url = make_url(server_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database="postgres"
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)


def main(argv: list[str]) -> None:
    scale = int(argv[1]) if len(argv) > 1 else 20
    console = Console(stderr=True)
    database_url = asyncio.run(recreate_database(SERVER, DATABASE))
    started = time.perf_counter()
    migrations.upgrade(database_url)
    console.print(f"Migrated {DATABASE} in {time.perf_counter() - started:.1f} s; loading scale {scale}…")

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(env="development", data_dir=Path(data_dir), database_url=database_url)
        summary = asyncio.run(load_demo(settings, scale=scale, console=console))

    seconds = summary.elapsed_seconds
    rows = summary.rows + summary.bench_rows + summary.field_rows
    print(f"scale {scale}: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s")
    print(
        f"  {summary.users} users, {summary.customers:,} customers, {summary.repairs:,} repairs "
        f"({summary.repairs / seconds:,.0f}/s), {summary.status_history:,} status-history rows "
        f"({summary.status_history / seconds:,.0f}/s)"
    )
    print(
        f"  bench: {summary.repair_items:,} line items, {summary.repair_labour:,} labour lines, "
        f"{summary.quotes:,} quotes with {summary.quote_lines:,} lines, {summary.warranties:,} warranties, "
        f"{summary.reviews:,} reviews ({summary.bench_rows:,} rows)"
    )
    print(
        f"  field team: {summary.technicians:,} technicians, {summary.service_locations:,} locations, "
        f"{summary.service_plans:,} plans, {summary.work_orders:,} work orders ({summary.field_rows:,} rows "
        f"in {summary.field_seconds:.1f} s)"
    )


if __name__ == "__main__":
    main(sys.argv)
