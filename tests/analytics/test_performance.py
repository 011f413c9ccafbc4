"""The overview costs a fixed number of SQL statements however many repairs, days and reviews there are,
and each of them reads through an index (PostgreSQL EXPLAIN)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url

from fixdesk.analytics.service import repair_overview
from fixdesk.customers.models import Customer
from fixdesk.db import new_id
from fixdesk.repairs.models import Repair, RepairReview
from tests.analytics.shop import DONE, STATUS_ORDER
from tests.factories import make_customer, make_user
from tests.support.explain import plan_nodes

URL = "/api/v1/analytics/overview"


def repair_rows(customer_ids: list[uuid.UUID], count: int, now: datetime, seed: int) -> Iterator[dict]:
    """``count`` repairs over the last year in every status, finished ones with turnaround and price."""
    source = random.Random(seed)
    for index in range(count):
        status = STATUS_ORDER[index % len(STATUS_ORDER)]
        created = now - timedelta(minutes=source.randint(60, 365 * 24 * 60))
        completion = min(created + timedelta(hours=source.randint(1, 300)), now) if status in DONE else None
        days = None
        if completion is not None:
            days = (Decimal((completion - created).total_seconds()) / 86400).quantize(Decimal("0.01"))
        yield {
            "id": new_id(),
            "repair_number": f"R-2025-{seed:02d}{index:05d}",
            "customer_id": source.choice(customer_ids),
            "status": status,
            "priority": "normal",
            "device_type": "phone",
            "device_brand": "Apple",
            "device_model": "iPhone 13",
            "issue_description": "Cracked screen",
            "deposit": Decimal("0.00"),
            "total_cost": Decimal(source.randint(1000, 50000)) / 100,
            "actual_completion": completion,
            "completion_days": days,
            "search_text": "iphone",
            "created_at": created,
            "updated_at": created,
        }


async def add_repairs(database, sessionmaker, count: int, seed: int) -> None:
    """``count`` repairs (Core bulk insert) and a review of every finished one."""
    async with sessionmaker() as session:
        customer_ids = list((await session.execute(select(Customer.id))).scalars())
    now = datetime.now(UTC) - timedelta(minutes=1)
    rows = list(repair_rows(customer_ids, count, now, seed))
    async with database.begin() as connection:
        await connection.execute(insert(Repair), rows)
        reviews = [
            {
                "id": new_id(),
                "repair_id": row["id"],
                "customer_id": row["customer_id"],
                "rating": 1 + index % 5,
                "created_at": row["actual_completion"],
            }
            for index, row in enumerate(rows)
            if row["actual_completion"] is not None
        ]
        if reviews:
            await connection.execute(insert(RepairReview), reviews)


async def test_statement_count_does_not_grow_with_the_data(
    client, app, database, sessionmaker, statement_counter
):
    manager = await make_user(app, sessionmaker, "manager")
    for _ in range(3):
        await make_customer(app, sessionmaker)

    counts = {}
    for total, more in ((5, 5), (300, 295)):
        await add_repairs(database, sessionmaker, more, seed=total)
        statement_counter.reset()
        response = await client.get(URL, params={"period": "1y"}, headers=manager.headers)
        assert response.status_code == 200, response.text
        assert response.json()["overview"]["totalRepairs"] == total
        counts[total] = statement_counter.count
        # Exactly three statements read repairs and reviews: completions, reviews, intake by day and status.
        reads = [s for s in statement_counter.statements or [] if "repair" in s.lower()]
        assert len(reads) == 3, reads
    assert counts[300] == counts[5], statement_counter.statements
    # 300 repairs over a year fall on well over a hundred different days.
    busy_days = [day for day in response.json()["dailyMetrics"] if day["repairs"]]
    assert len(busy_days) > 100


# --- every statement reads through an index (PostgreSQL) ------------------------------------------------


@pytest.mark.commits  # VACUUM ANALYZE and the plans need committed rows
async def test_every_statement_uses_an_index(backend, app, database, engine, sessionmaker):
    if backend != "postgresql":
        pytest.skip("index use is checked with PostgreSQL's EXPLAIN")
    for _ in range(20):
        await make_customer(app, sessionmaker)
    await add_repairs(database, sessionmaker, 4000, seed=11)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE repairs"))
        await connection.execute(text("VACUUM ANALYZE repair_reviews"))

    # The statements the service really runs, with their parameters, captured from the engine.
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with sessionmaker() as session:
            await repair_overview(session, "7d")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(captured) == 3

    url = make_url(engine.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    problems = []
    indexes_used = set()
    try:
        # With sequential scans priced out, a statement without a usable index still shows a Seq Scan.
        await connection.execute("SET enable_seqscan = off")
        for statement, parameters in captured:
            rows = await connection.fetch("EXPLAIN (FORMAT JSON) " + statement, *parameters)
            nodes = list(plan_nodes(json.loads(rows[0][0])[0]["Plan"]))
            scans = [node["Relation Name"] for node in nodes if node["Node Type"] == "Seq Scan"]
            if scans:
                problems.append(f"sequential scan of {scans}: {statement}")
            indexes_used |= {
                (node["Index Name"], node["Index Cond"]) for node in nodes if "Index Cond" in node
            }
    finally:
        await connection.close()
    assert problems == [], "\n".join(problems)
    # Each statement is a range scan of the index on the column its period filter is on.
    expected = {
        "ix_repairs_completion": "actual_completion >=",
        "ix_repairs_created_at": "created_at >=",
        "ix_repair_reviews_created_at": "created_at >=",
    }
    for index, condition in expected.items():
        assert any(name == index and condition in cond for name, cond in indexes_used), indexes_used
