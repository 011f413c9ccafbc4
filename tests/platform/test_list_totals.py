"""List totals (issue 9, item 11): exact up to 10,000 rows, an estimate beyond, flagged with
``totalIsEstimate``, so no list pays a full count; a first page that is not full needs no count."""

from __future__ import annotations

from sqlalchemy import insert

from fixdesk.customers.models import Customer
from fixdesk.db import new_id, utcnow
from fixdesk.platform.pagination import EXACT_TOTAL_LIMIT
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


async def test_beyond_ten_thousand_rows_the_total_is_an_estimate(backend, client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await _insert_customers(sessionmaker, MANY, "Many")
    await _insert_customers(sessionmaker, 30, "Few")

    everything = await client.get("/api/v1/customers", headers=admin.headers)
    filtered = await client.get("/api/v1/customers?search=few", headers=admin.headers)

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
