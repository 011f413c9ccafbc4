"""List totals (issue 9, item 11): exact up to 10,000 rows, an estimate beyond, flagged with
``totalIsEstimate``, so no list pays a full count; a first page that is not full needs no count."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from fixdesk.customers.models import Customer
from fixdesk.db import new_id, utcnow
from fixdesk.platform.pagination import ESTIMATE_REUSE_SECONDS, EXACT_TOTAL_LIMIT, EstimatedTotals, ListTotal
from tests.factories import make_user

MANY = EXACT_TOTAL_LIMIT + 50


async def _insert_customers(sessionmaker, count: int, last_name: str) -> None:
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "first_name": "Bulk",
            "last_name": last_name,
            "email": f"bulk.{last_name.lower()}.{index}@example.com",
            "status": "active",
            "language": "en",
            "search_text": f"bulk {last_name.lower()} {index}",
            "created_at": now,
            "updated_at": now,
        }
        for index in range(count)
    ]
    async with sessionmaker() as session:
        await session.execute(insert(Customer), rows)
        await session.commit()


async def test_a_small_list_has_an_exact_total(client, app, sessionmaker, statement_counter):
    admin = await make_user(app, sessionmaker, "admin")
    await _insert_customers(sessionmaker, 45, "Exact")

    statement_counter.reset()
    first = await client.get("/api/v1/customers?pageSize=100", headers=admin.headers)
    first_page_statements = statement_counter.count
    first_page_sql = list(statement_counter.statements or [])
    second = await client.get("/api/v1/customers?pageSize=20&page=2", headers=admin.headers)

    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["total"], body["totalIsEstimate"], body["totalPages"]) == (45, False, 1)
    assert len(body["items"]) == 45
    # A first page that is not full is the whole list: no count.
    assert first_page_statements <= 3, first_page_sql
    assert not [sql for sql in first_page_sql if "count(" in sql.lower()]
    assert second.json()["total"] == 45
    assert second.json()["totalIsEstimate"] is False
    assert second.json()["totalPages"] == 3


class Clock:
    """Seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _counts(statements: list[str]) -> list[str]:
    """The statements that count a list or ask for its estimate."""
    return [
        sql for sql in statements if "count(" in sql.lower() or sql.lstrip().upper().startswith("EXPLAIN")
    ]


async def test_beyond_ten_thousand_rows_the_total_is_an_estimate(
    backend, client, app, sessionmaker, statement_counter
):
    admin = await make_user(app, sessionmaker, "admin")
    await _insert_customers(sessionmaker, MANY, "Many")
    await _insert_customers(sessionmaker, 30, "Few")
    clock = Clock()
    app.state.list_estimates.clock = clock

    statement_counter.reset()
    everything = await client.get("/api/v1/customers", headers=admin.headers)
    first_counts = _counts(statement_counter.statements)
    statement_counter.reset()
    again = await client.get("/api/v1/customers", headers=admin.headers)
    filtered = await client.get("/api/v1/customers?search=few", headers=admin.headers)
    reused_counts = _counts(statement_counter.statements)
    clock.now += ESTIMATE_REUSE_SECONDS
    statement_counter.reset()
    later = await client.get("/api/v1/customers", headers=admin.headers)
    later_counts = _counts(statement_counter.statements)

    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["totalIsEstimate"] is True
    # Never below what was counted; SQLite reports "more than 10,000" as 10,001, PostgreSQL its planner's
    # estimate (within reason of the real 10,081).
    assert body["total"] > EXACT_TOTAL_LIMIT
    if backend == "sqlite":
        assert body["total"] == EXACT_TOTAL_LIMIT + 1
    else:
        assert body["total"] < 10 * MANY
    assert body["totalPages"] == -(-body["total"] // body["pageSize"])
    assert len(body["items"]) == body["pageSize"]
    assert filtered.json()["total"] == 30
    assert filtered.json()["totalIsEstimate"] is False
    # Counted once; then, for ESTIMATE_REUSE_SECONDS, the same list answers its estimate without counting,
    # while another list (the search) is still counted, exactly.
    assert first_counts
    assert again.json() == body
    assert len(reused_counts) == 1, reused_counts
    assert "count(" in reused_counts[0].lower()
    assert later.json()["total"] == body["total"]
    assert len(later_counts) == len(first_counts), later_counts


def test_an_estimate_is_kept_for_its_seconds_and_the_least_recently_stored_list_leaves_first():
    clock = Clock()
    estimates = EstimatedTotals(30, capacity=2, clock=clock)
    assert estimates.empty
    estimates.put("a", ListTotal(12_000, is_estimate=True))
    estimates.put("b", ListTotal(13_000, is_estimate=True))
    assert not estimates.empty
    assert estimates.get("a") == 12_000
    assert estimates.get("a").is_estimate
    estimates.put("c", ListTotal(14_000, is_estimate=True))
    assert estimates.get("a") is None
    assert (estimates.get("b"), estimates.get("c")) == (13_000, 14_000)
    clock.now += 29.9
    assert estimates.get("c") == 14_000
    clock.now += 0.1
    assert estimates.get("c") is None
    assert estimates.empty
    with pytest.raises(ValueError, match="estimated"):
        estimates.put("d", ListTotal(45))
