"""Benchmark the repair analytics overview on PostgreSQL: ``python benchmarks/analytics_overview.py [SCALE]``.

(Re)creates the database ``fixdesk_bench_analytics`` on 127.0.0.1:5432 as user ``postgres`` (override the
server with ``FIXDESK_BENCH_POSTGRES``), loads the demo shop at the given scale (default 20: 20,000 repairs
over the past year), adds a review to four in five finished repairs, then asks for the overview of every
period a number of times and prints the median and slowest time per period and the statements it ran.
The database is left in place; drop it with ``dropdb fixdesk_bench_analytics``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from demo_scale import recreate_database
from rich.console import Console
from sqlalchemy import event, text

from fixdesk import migrations
from fixdesk.analytics.service import PERIOD_DAYS, repair_overview
from fixdesk.config import Settings
from fixdesk.db import create_engine, make_sessionmaker
from fixdesk.demo.loader import load_demo

DATABASE = "fixdesk_bench_analytics"
SERVER = os.environ.get("FIXDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ROUNDS = 20

ADD_REVIEWS = """
INSERT INTO repair_reviews (id, repair_id, customer_id, rating, comment, created_at)
SELECT gen_random_uuid(), id, customer_id, 1 + abs(hashtext(id::text)) % 5, NULL,
       least(actual_completion + interval '20 hours', now())
FROM repairs
WHERE status IN ('completed', 'delivered') AND actual_completion IS NOT NULL
  AND abs(hashtext(id::text || 'review')) % 5 <> 0
"""


async def measure(database_url: str) -> None:
    engine = create_engine(database_url)
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    try:
        async with engine.begin() as connection:
            reviews = (await connection.execute(text(ADD_REVIEWS))).rowcount
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE repairs"))
            await connection.execute(text("VACUUM ANALYZE repair_reviews"))
        print(f"  {reviews:,} reviews added")
        sessions = make_sessionmaker(engine)
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        for label in PERIOD_DAYS:
            timings = []
            statements = 0
            for _ in range(ROUNDS):
                async with sessions() as session:
                    started = time.perf_counter()
                    overview = await repair_overview(session, label)
                    timings.append((time.perf_counter() - started) * 1000)
            print(
                f"  {label:>3}: median {statistics.median(timings):7.1f} ms, slowest {max(timings):7.1f} ms, "
                f"{statements // ROUNDS} statements; {overview.total_repairs:,} repairs taken in, "
                f"revenue {overview.total_revenue:,}, {overview.satisfaction_count:,} reviews"
            )
    finally:
        await engine.dispose()


def main(argv: list[str]) -> None:
    scale = int(argv[1]) if len(argv) > 1 else 20
    console = Console(stderr=True)
    database_url = asyncio.run(recreate_database(SERVER, DATABASE))
    migrations.upgrade(database_url)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(env="development", data_dir=Path(data_dir), database_url=database_url)
        summary = asyncio.run(load_demo(settings, scale=scale, console=console))
    print(f"scale {scale}: {summary.repairs:,} repairs; overview over {ROUNDS} rounds per period:")
    asyncio.run(measure(database_url))


if __name__ == "__main__":
    main(sys.argv)
