"""Speed by construction (issue 2, item 11): the repair list and detail run a fixed number of SQL
statements whatever the page size or history length, and every list filter is backed by an index."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, func, insert, literal_column, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from fixdesk.customers.models import Customer
from fixdesk.db import new_id, transaction
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.pagination import EXACT_TOTAL_LIMIT
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access, service
from fixdesk.repairs.models import Repair
from fixdesk.repairs.schemas import RepairCreate
from tests.factories import insert_repairs, make_customer, make_repair, make_user, walk
from tests.support.explain import explain, index_conditions, sequential_scans

BRANDS_AND_MODELS = [
    ("Apple", "iPhone 13"),
    ("Apple", "iPad Air"),
    ("Samsung", "Galaxy S23"),
    ("Google", "Pixel 8"),
    ("Lenovo", "ThinkPad X1 Carbon"),
    ("Nintendo", "Switch OLED"),
]
STATUSES = [
    "received",
    "diagnosing",
    "quoted",
    "approved",
    "repairing",
    "waiting_parts",
    "testing",
    "completed",
    "delivered",
    "cancelled",
]
PRIORITIES = ["low", "normal", "high", "urgent"]


def _admin_principal(user_id: uuid.UUID) -> Principal:
    return Principal(id=user_id, type="user", role="admin", permissions=permissions_for("admin"))


async def test_list_statement_count_does_not_grow_with_page_size(
    client, app, sessionmaker, statement_counter
):
    admin = await make_user(app, sessionmaker, "admin")
    technicians = [await make_user(app, sessionmaker, "technician") for _ in range(3)]
    customers = [await make_customer(app, sessionmaker, first_name=f"Customer{index}") for index in range(5)]
    principal = _admin_principal(admin.id)
    async with transaction(sessionmaker) as session:
        for index in range(50):
            brand, model = BRANDS_AND_MODELS[index % len(BRANDS_AND_MODELS)]
            technician = technicians[index % 4] if index % 4 < 3 else None
            await service.create_repair(
                session,
                principal,
                RepairCreate(
                    customer_id=customers[index % len(customers)].id,
                    device_type="phone",
                    device_brand=brand,
                    device_model=model,
                    issue_description="Does not charge",
                    technician_id=technician.id if technician else None,
                ),
            )

    counts = {}
    for page_size in (5, 50):
        statement_counter.reset()
        response = await client.get(f"/api/v1/repairs?pageSize={page_size}", headers=admin.headers)
        counts[page_size] = statement_counter.count
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert len(items) == page_size
    # The full page really embeds many different customers and technicians (and some without one).
    full_page = response.json()["items"]
    assert len({item["customer"]["id"] for item in full_page}) == 5
    assert len({item["technician"]["id"] for item in full_page if item["technician"]}) == 3
    assert any(item["technician"] is None for item in full_page)
    assert counts[50] == counts[5], statement_counter.statements
    # Issue 9, item 11: authentication, the bounded count and the page; no hash column loaded.
    assert counts[50] <= 3, statement_counter.statements
    assert not [sql for sql in statement_counter.statements if "password_hash" in sql]


async def test_detail_statement_count_does_not_grow_with_history(
    client, app, sessionmaker, statement_counter
):
    admin = await make_user(app, sessionmaker, "admin")
    manager = await make_user(app, sessionmaker, "manager")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    short = (
        await client.post(
            "/api/v1/repairs",
            json={
                "customerId": str(customer.id),
                "deviceType": "phone",
                "deviceBrand": "Apple",
                "deviceModel": "iPhone 13",
                "issueDescription": "Battery drains fast",
            },
            headers=admin.headers,
        )
    ).json()
    await walk(client, admin, short["id"], "diagnosing")
    long = (
        await client.post(
            "/api/v1/repairs",
            json={
                "customerId": str(customer.id),
                "deviceType": "laptop",
                "deviceBrand": "Lenovo",
                "deviceModel": "ThinkPad X1 Carbon",
                "issueDescription": "Keyboard dead",
                "technicianId": str(technician.id),
            },
            headers=admin.headers,
        )
    ).json()
    # Three different people change the long one, so its history embeds several users.
    await walk(client, admin, long["id"], "diagnosing", "quoted")
    await walk(client, manager, long["id"], "approved", "repairing")
    await walk(client, technician, long["id"], "testing", "repairing", "testing", "completed")

    counts = {}
    for repair, history_length in ((short, 2), (long, 9)):
        statement_counter.reset()
        response = await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)
        counts[history_length] = statement_counter.count
        assert response.status_code == 200, response.text
        history = response.json()["statusHistory"]
        assert len(history) == history_length
    assert {entry["changedBy"]["id"] for entry in history} == {
        str(admin.id),
        str(manager.id),
        str(technician.id),
    }
    assert counts[9] == counts[2], statement_counter.statements
    # Issue 9, item 11: authentication (one statement), then the repair with its people, review and
    # history, and its items and labour (one statement); no hash column loaded.
    assert counts[9] <= 3, statement_counter.statements
    assert not [sql for sql in statement_counter.statements if "password_hash" in sql]


async def test_a_signed_in_session_authenticates_in_one_statement(
    client, app, sessionmaker, statement_counter
):
    """A real login's token names its session (``sid``): the session and the account are still read in
    one statement, and a revoked session is refused."""
    password = "correct horse battery staple"
    admin = await make_user(app, sessionmaker, "admin", password=password)
    customer = await make_customer(app, sessionmaker)
    repair = (
        await client.post(
            "/api/v1/repairs",
            json={
                "customerId": str(customer.id),
                "deviceType": "phone",
                "deviceBrand": "Apple",
                "deviceModel": "iPhone 13",
                "issueDescription": "Battery drains fast",
            },
            headers=admin.headers,
        )
    ).json()
    login = await client.post("/api/v1/auth/login", json={"email": admin.email, "password": password})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}

    statement_counter.reset()
    detail = await client.get(f"/api/v1/repairs/{repair['id']}", headers=headers)
    detail_statements = list(statement_counter.statements or [])
    statement_counter.reset()
    page = await client.get("/api/v1/repairs", headers=headers)
    list_statements = list(statement_counter.statements or [])

    assert detail.status_code == 200, detail.text
    assert detail.json()["id"] == repair["id"]
    assert page.status_code == 200, page.text
    assert [item["id"] for item in page.json()["items"]] == [repair["id"]]
    assert len(detail_statements) <= 3, detail_statements
    assert len(list_statements) <= 3, list_statements
    assert not [sql for sql in detail_statements + list_statements if "password_hash" in sql]

    logout = await client.post("/api/v1/auth/logout", headers=headers)
    assert logout.status_code == 200, logout.text
    refused = await client.get(f"/api/v1/repairs/{repair['id']}", headers=headers)
    assert refused.status_code == 401


@dataclass
class RoundTrips:
    """The SQL an engine sends while active: statements as SQLAlchemy runs them or announces them (those
    sent to asyncpg directly, :mod:`fixdesk.platform.direct`), and (PostgreSQL) the transaction commands
    asyncpg sends on its own (``BEGIN``, ``COMMIT``, ``ROLLBACK``), which no SQLAlchemy statement event
    sees."""

    statements: list[str] = field(default_factory=list)
    transaction_commands: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statements.clear()
        self.transaction_commands.clear()


TRANSACTION_COMMANDS = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}


@pytest.fixture
def round_trips(engine: AsyncEngine) -> Iterator[RoundTrips]:
    trips = RoundTrips()
    driver_connections: list[Any] = []

    def on_statement(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        trips.statements.append(statement)

    def on_command(record: Any) -> None:  # asyncpg's LoggedQuery
        command = record.query.strip().rstrip(";")
        # asyncpg logs the statements sent to it directly too; the statement event counted those.
        if command.split(maxsplit=1)[0].upper() in TRANSACTION_COMMANDS:
            trips.transaction_commands.append(command)

    def on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if engine.dialect.name == "postgresql":
            record.driver_connection.add_query_logger(on_command)
            driver_connections.append(record.driver_connection)

    event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
    event.listen(engine.sync_engine, "checkout", on_checkout)
    yield trips
    event.remove(engine.sync_engine, "before_cursor_execute", on_statement)
    event.remove(engine.sync_engine, "checkout", on_checkout)
    for connection in driver_connections:
        connection.remove_query_logger(on_command)


@pytest.mark.commits  # the app's own sessions on the engine: the tests' shared connection is always in a transaction
async def test_reads_send_no_begin_or_commit_on_postgresql(
    backend, client, app, engine, sessionmaker, round_trips
):
    """A GET's session is in autocommit on PostgreSQL: the detail is its 3 statements and nothing else (it
    was 6 round trips with ``BEGIN`` and ``COMMIT``, and one more for the labour), the first list page its 3; a change still runs in
    one transaction. The detail runs on a new connection, as a server's first request does: nothing set
    up when a connection opens may leave a transaction for its first user to end."""
    if backend != "postgresql":
        pytest.skip("SQLite's BEGIN is no round trip: its read-only sessions keep their deferred transaction")
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair_id = (await make_repair(client, admin, customer.id))["id"]
    await engine.dispose()  # closes the pooled connections: the next request opens a new one

    round_trips.reset()
    detail = await client.get(f"/api/v1/repairs/{repair_id}", headers=admin.headers)
    await asyncio.sleep(0)  # asyncpg hands its log records over on the next turn of the loop
    detail_trips = (list(round_trips.statements), list(round_trips.transaction_commands))
    round_trips.reset()
    page = await client.get("/api/v1/repairs", headers=admin.headers)
    await asyncio.sleep(0)
    list_trips = (list(round_trips.statements), list(round_trips.transaction_commands))
    round_trips.reset()
    changed = await client.put(
        f"/api/v1/repairs/{repair_id}/status", json={"status": "diagnosing"}, headers=admin.headers
    )
    await asyncio.sleep(0)
    change_commands = list(round_trips.transaction_commands)

    assert detail.status_code == 200, detail.text
    assert detail.json()["id"] == repair_id
    assert page.status_code == 200, page.text
    assert [item["id"] for item in page.json()["items"]] == [repair_id]
    assert detail_trips[1] == [], detail_trips
    assert len(detail_trips[0]) == 3, detail_trips
    assert list_trips[1] == [], list_trips
    assert len(list_trips[0]) <= 3, list_trips
    assert changed.status_code == 200, changed.text
    assert [command.split()[0].upper() for command in change_commands] == ["BEGIN", "COMMIT"], change_commands


# --- every list filter is backed by an index (PostgreSQL) -------------------------------------------------

REPAIR_COUNT = 4000
CUSTOMER_COUNT = 2000


def _customer_rows(random_source: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    first_names = ["Ana", "Bruno", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun"]
    last_names = ["Silva", "Okafor", "Novak", "Tanaka", "Moreau", "Kowalski", "Haddad", "Berg"]
    for index in range(CUSTOMER_COUNT):
        first = random_source.choice(first_names)
        # One rare surname, so the customer search is as selective as a real one.
        last = "Zielinska" if index == 0 else random_source.choice(last_names)
        email = f"{first.lower()}.{last.lower()}.{index}@example.com"
        created = now - timedelta(days=random_source.randint(0, 365))
        yield {
            "id": new_id(),
            "first_name": first,
            "last_name": last,
            "email": email,
            "status": "active",
            "language": "en",
            "search_text": f"{first} {last} {email}".lower(),
            "created_at": created,
            "updated_at": created,
        }


def _repair_rows(
    random_source: random.Random,
    now: datetime,
    customer_ids: list[uuid.UUID],
    technician_ids: list[uuid.UUID],
) -> Iterator[dict[str, Any]]:
    for index in range(1, REPAIR_COUNT + 1):
        brand, model = random_source.choice(BRANDS_AND_MODELS)
        number = f"R-2025-{index:06d}"
        created = now - timedelta(minutes=random_source.randint(0, 365 * 24 * 60))
        technician = random_source.choice([*technician_ids, None])
        yield {
            "id": new_id(),
            "repair_number": number,
            "customer_id": random_source.choice(customer_ids),
            "technician_id": technician,
            "created_by_id": None,
            "status": random_source.choice(STATUSES),
            "priority": random_source.choice(PRIORITIES),
            "device_type": "phone",
            "device_brand": brand,
            "device_model": model,
            "issue_description": "Screen flickers",
            "deposit": Decimal("0.00"),
            "search_text": f"{number} {brand} {model}".lower(),
            "created_at": created,
            "updated_at": created,
        }


async def _bulk_load(engine: AsyncEngine, technician_ids: list[uuid.UUID]) -> None:
    """A few thousand repairs with Core bulk inserts (one executemany per table), then ANALYZE."""
    random_source = random.Random(2026)
    now = datetime.now(UTC)
    customers = list(_customer_rows(random_source, now))
    async with engine.begin() as connection:
        await connection.execute(insert(Customer), customers)
        repairs = list(_repair_rows(random_source, now, [c["id"] for c in customers], technician_ids))
        await connection.execute(insert(Repair), repairs)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        # VACUUM also moves the bulk-inserted rows out of the GIN indexes' pending lists (as autovacuum
        # would), which the planner otherwise prices as a full scan of that list.
        await connection.execute(text("VACUUM ANALYZE repairs"))
        await connection.execute(text("VACUUM ANALYZE customers"))


FILTER_CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("status", {"status": "received"}, [("repairs", "status")]),
    ("status=active", {"status": "active"}, [("repairs", "status")]),
    ("statusGroup=completed", {"group": "completed"}, [("repairs", "status")]),
    ("technicianId", {"technician_id": "TECHNICIAN"}, [("repairs", "technician_id")]),
    ("priority", {"priority": "urgent"}, [("repairs", "priority")]),
    ("customerId", {"customer_id": "CUSTOMER"}, [("repairs", "customer_id")]),
    ("dateFrom", {"date_from": "RECENT"}, [("repairs", "created_at")]),
    ("dateFrom+dateTo", {"date_from": "OLD", "date_to": "OLD"}, [("repairs", "created_at")]),
    ("search repair number", {"search": "R-2025-001234"}, [("repairs", "search_text")]),
    ("search device model", {"search": "thinkpad"}, [("repairs", "search_text")]),
    ("search customer", {"search": "zielINSKA"}, [("repairs", "search_text"), ("customers", "search_text")]),
    # Issue 9, item 11: the status + search list of the example is served by index conditions, not a scan.
    (
        "status=active&search=iphone",
        {"status": "active", "search": "iphone"},
        [("repairs", "search_text"), ("customers", "search_text")],
    ),
]


@pytest.mark.commits  # VACUUM ANALYZE and the plans need committed rows
async def test_every_list_filter_uses_an_index(backend, app, engine, sessionmaker):
    if backend != "postgresql":
        pytest.skip("index use is checked with PostgreSQL's EXPLAIN")
    technicians = [await make_user(app, sessionmaker, "technician") for _ in range(4)]
    await _bulk_load(engine, [t.id for t in technicians])
    async with sessionmaker() as session:
        some_customer = (await session.execute(select(Customer.id).limit(1))).scalar_one()
    today = datetime.now(UTC).date()
    placeholders: dict[str, Any] = {
        "TECHNICIAN": technicians[0].id,
        "CUSTOMER": some_customer,
        "RECENT": today - timedelta(days=3),
        "OLD": today - timedelta(days=200),
    }
    principal = _admin_principal(technicians[0].id)

    url = make_url(engine.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    problems = []
    count_plans: dict[str, Any] = {}
    try:
        # With sequential scans priced out, a filter without a usable index still shows up as a Seq Scan.
        await connection.execute("SET enable_seqscan = off")
        for name, filters, expected in FILTER_CASES:
            values = {key: placeholders.get(value, value) for key, value in filters.items()}
            statement = service.apply_filters(
                access.visible_repairs(principal), service.RepairFilters(**values)
            )
            # The two statements the list endpoint runs (platform.pagination.paginate): count and page.
            count_statement = select(func.count()).select_from(
                statement.order_by(None)
                .with_only_columns(literal_column("1"), maintain_column_froms=True)
                .limit(EXACT_TOTAL_LIMIT + 1)
                .subquery()
            )
            page_statement = statement.order_by(Repair.created_at.desc(), Repair.id.desc()).limit(20)
            count_plan = count_plans[name] = await explain(connection, engine, count_statement)
            page_plan = await explain(connection, engine, page_statement)
            for label, plan in (("count", count_plan), ("page", page_plan)):
                if sequential_scans(plan):
                    problems.append(f"{name}: {label} query scans {sequential_scans(plan)} sequentially")
            for table, column in expected:
                conditions = index_conditions(count_plan, table)
                if not any(column in condition for _, condition in conditions):
                    problems.append(f"{name}: no index condition on {table}.{column}: {conditions}")
    finally:
        await connection.close()
    assert problems == [], "\n".join(problems)
    # The active search counts its matches in the open repairs' own trigram index (migration 0015), not
    # among every repair that ever matched the term.
    used = [index for index, _ in index_conditions(count_plans["status=active&search=iphone"], "repairs")]
    assert "ix_repairs_open_search_text_trgm" in used, used


async def test_the_unfiltered_list_beyond_ten_thousand_repairs_gives_an_estimate(
    backend, client, app, sessionmaker, statement_counter
):
    # The unfiltered list runs statements built once (fixdesk.repairs.reads); its total still follows the
    # rule of every list: exact up to 10,000, an estimate beyond, flagged.
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    await insert_repairs(sessionmaker, customer.id, EXACT_TOTAL_LIMIT + 50, "B")

    first = await client.get("/api/v1/repairs?pageSize=3", headers=admin.headers)
    far = await client.get("/api/v1/repairs?pageSize=3&page=3350", headers=admin.headers)
    # The estimate is reused for a while (fixdesk.platform.pagination): the direct first page of the same
    # list does not count again.
    statement_counter.reset()
    direct = await client.get("/api/v1/repairs", headers=admin.headers)
    reused = [sql for sql in statement_counter.statements if "count(" in sql.lower() or "EXPLAIN" in sql]

    assert first.status_code == far.status_code == 200, first.text
    body = first.json()
    assert body["totalIsEstimate"] is True
    assert body["total"] > EXACT_TOTAL_LIMIT
    if backend == "sqlite":
        assert body["total"] == EXACT_TOTAL_LIMIT + 1
    assert [item["repairNumber"] for item in body["items"]] == ["B-000000", "B-000001", "B-000002"]
    assert [item["repairNumber"] for item in far.json()["items"]] == ["B-010047", "B-010048", "B-010049"]
    assert direct.status_code == 200, direct.text
    assert (direct.json()["total"], direct.json()["totalIsEstimate"]) == (body["total"], True)
    assert reused == [], reused
