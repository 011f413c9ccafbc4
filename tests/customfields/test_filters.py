"""``?customFields.<key>=<value>`` on the customer and repair lists (issue 5, item 9): typed matching per
field type, several filters combined with AND, 400 for unknown keys and wrong-typed values, one query for
the definitions, and the GIN index on PostgreSQL."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from fixdesk.customers import service as customers_service
from fixdesk.customers.models import Customer
from fixdesk.customfields.service import filter_conditions
from fixdesk.db import new_id
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access as repairs_access
from fixdesk.repairs import service as repairs_service
from fixdesk.repairs.models import Repair
from tests.customfields.helpers import CUSTOMERS, REPAIRS, define, define_every_type, errors_by_field
from tests.factories import make_customer, make_repair, make_user
from tests.support.explain import explain, plan_nodes

# Customers (or repairs) by name and the values they hold; "plain" holds none.
SCENE: dict[str, dict[str, Any]] = {
    "ana": {"floor": 5, "vip": True, "bought_on": "2024-02-29", "tier": "gold", "note": "Back door"},
    "bo": {"floor": 5.0, "vip": False, "tier": "silver", "note": "back door"},
    "cy": {"floor": 5.5, "tier": "gold", "bought_on": "2024-03-01"},
    "di": {"floor": 50, "note": "Back door please"},
    "plain": {},
}

# (query, who matches): every type, the number forms, exactness, and filters combined with AND.
MATCHES: list[tuple[dict[str, str], set[str]]] = [
    ({"floor": "5"}, {"ana", "bo"}),
    ({"floor": "5.0"}, {"ana", "bo"}),
    ({"floor": "5e0"}, {"ana", "bo"}),
    ({"floor": " 5 "}, {"ana", "bo"}),
    ({"floor": "5.5"}, {"cy"}),
    ({"floor": "50"}, {"di"}),
    ({"floor": "-5"}, set()),
    ({"vip": "true"}, {"ana"}),
    ({"vip": "FALSE"}, {"bo"}),
    ({"bought_on": "2024-02-29"}, {"ana"}),
    ({"tier": "gold"}, {"ana", "cy"}),
    ({"tier": "none"}, set()),
    ({"note": "Back door"}, {"ana"}),
    ({"note": "Back"}, set()),
    ({"tier": "gold", "floor": "5"}, {"ana"}),
    ({"tier": "gold", "floor": "5.5", "bought_on": "2024-03-01"}, {"cy"}),
    ({"tier": "gold", "vip": "false"}, set()),
]

# (query, the fields named in the 400).
REFUSED: list[tuple[str, set[str]]] = [
    ("customFields.colour=red", {"customFields.colour"}),
    ("customFields.floor=abc", {"customFields.floor"}),
    ("customFields.floor=1_000", {"customFields.floor"}),
    ("customFields.floor=NaN", {"customFields.floor"}),
    ("customFields.floor=9007199254740993", {"customFields.floor"}),
    ("customFields.vip=yes", {"customFields.vip"}),
    ("customFields.vip=1", {"customFields.vip"}),
    ("customFields.bought_on=2025-02-30", {"customFields.bought_on"}),
    ("customFields.bought_on=01/02/2025", {"customFields.bought_on"}),
    ("customFields.tier=platinum", {"customFields.tier"}),
    ("customFields.note=", {"customFields.note"}),
    (
        "customFields.floor=x&customFields.vip=maybe&customFields.nope=1",
        {
            "customFields.floor",
            "customFields.vip",
            "customFields.nope",
        },
    ),
    ("customFields.floor=5&customFields.floor=6", {"customFields.floor"}),
]


def query(filters: dict[str, str], **extra: str) -> str:
    return urlencode({**{f"customFields.{key}": value for key, value in filters.items()}, **extra})


async def build_scene(client, app, sessionmaker, entity: str) -> tuple[Any, str, dict[str, str]]:
    """The admin, the list URL and ``{id: name}`` of :data:`SCENE` as customers or repairs."""
    admin = await make_user(app, sessionmaker, "admin")
    owner = await make_customer(app, sessionmaker, first_name="Owner")
    await define_every_type(client, admin, entity)
    names: dict[str, str] = {}
    for name, values in SCENE.items():
        if entity == "customer":
            body = {"firstName": name.title(), "lastName": "Test", "customFields": values}
            response = await client.post(CUSTOMERS, json=body, headers=admin.headers)
            assert response.status_code == 201, response.text
            names[response.json()["id"]] = name
        else:
            repair = await make_repair(client, admin, owner.id, customFields=values, deviceModel=name)
            names[repair["id"]] = name
    return admin, CUSTOMERS if entity == "customer" else REPAIRS, names


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_filters_match_by_the_fields_type(client, app, sessionmaker, entity):
    admin, url, names = await build_scene(client, app, sessionmaker, entity)

    for filters, expected in MATCHES:
        response = await client.get(f"{url}?{query(filters)}", headers=admin.headers)
        assert response.status_code == 200, (filters, response.text)
        page = response.json()
        found = {names.get(item["id"], "owner") for item in page["items"]}
        assert found == expected, filters
        assert page["total"] == len(expected), filters
        for item in page["items"]:
            # What matched is what is shown, typed as stored.
            assert item["customFields"] == SCENE[names[item["id"]]]


async def test_custom_field_filters_combine_with_the_other_list_filters(client, app, sessionmaker):
    admin, _, names = await build_scene(client, app, sessionmaker, "customer")
    by_search = await client.get(f"{CUSTOMERS}?{query({'tier': 'gold'}, search='cy')}", headers=admin.headers)
    assert [names[item["id"]] for item in by_search.json()["items"]] == ["cy"]
    archived_id = next(identifier for identifier, name in names.items() if name == "ana")
    await client.delete(f"{CUSTOMERS}/{archived_id}", headers=admin.headers)
    active_gold = await client.get(f"{CUSTOMERS}?{query({'tier': 'gold'})}", headers=admin.headers)
    assert {names[item["id"]] for item in active_gold.json()["items"]} == {"cy"}
    archived_gold = await client.get(
        f"{CUSTOMERS}?{query({'tier': 'gold'}, status='archived')}", headers=admin.headers
    )
    assert {names[item["id"]] for item in archived_gold.json()["items"]} == {"ana"}


async def test_repair_filters_combine_with_status_and_customer(client, app, sessionmaker):
    admin, _, names = await build_scene(client, app, sessionmaker, "repair")
    gold = [identifier for identifier, name in names.items() if name in ("ana", "cy")]
    cancelled = await client.put(
        f"{REPAIRS}/{gold[0]}/status",
        json={"status": "cancelled", "notifyCustomer": False},
        headers=admin.headers,
    )
    assert cancelled.status_code == 200, cancelled.text

    response = await client.get(
        f"{REPAIRS}?{query({'tier': 'gold'}, status='cancelled')}", headers=admin.headers
    )
    assert [item["id"] for item in response.json()["items"]] == [gold[0]]
    other_customer = await make_customer(app, sessionmaker)
    none = await client.get(
        f"{REPAIRS}?{query({'tier': 'gold'}, customerId=str(other_customer.id))}", headers=admin.headers
    )
    assert none.json()["total"] == 0


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_unknown_keys_and_wrong_typed_values_are_400(client, app, sessionmaker, entity):
    admin = await make_user(app, sessionmaker, "admin")
    await define_every_type(client, admin, entity)
    url = CUSTOMERS if entity == "customer" else REPAIRS
    # A field of the other entity is unknown here.
    await define(client, admin, "repair" if entity == "customer" else "customer", "elsewhere", "text")

    for raw, fields in [*REFUSED, ("customFields.elsewhere=x", {"customFields.elsewhere"})]:
        response = await client.get(f"{url}?{raw}", headers=admin.headers)
        assert response.status_code == 400, (raw, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert set(errors_by_field(response)) == fields, raw


@pytest.mark.parametrize("entity", ["customer", "repair"])
async def test_filtering_costs_one_query_for_the_definitions(
    client, app, sessionmaker, statement_counter, entity
):
    admin, url, _ = await build_scene(client, app, sessionmaker, entity)

    counts = []
    for filters in ({}, {"tier": "gold"}, {"tier": "gold", "floor": "5", "vip": "true", "note": "Back door"}):
        statement_counter.reset()
        response = await client.get(f"{url}?{query(filters)}", headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json()["total"] >= 1
        counts.append(statement_counter.count)
    assert counts[1] == counts[2] == counts[0] + 1, statement_counter.statements


# --- the GIN index (PostgreSQL) --------------------------------------------------------------------------

CUSTOMER_COUNT = 3000
REPAIR_COUNT = 4000
TIER_WEIGHTS = {"gold": 1, "silver": 30, "none": 69}


def _values(random_source: random.Random, index: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tier": random_source.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()))[0],
        "floor": random_source.randint(0, 40),
        "vip": random_source.random() < 0.1,
    }
    if index % 3 == 0:
        values["note"] = f"note {index}"
    return values


def _customer_rows(random_source: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    for index in range(CUSTOMER_COUNT):
        created = now - timedelta(days=random_source.randint(0, 365))
        yield {
            "id": new_id(),
            "first_name": "Ana",
            "last_name": f"Test{index}",
            "email": f"ana.{index}@example.com",
            "status": "active",
            "language": "en",
            "search_text": f"ana test{index}",
            "custom_fields": _values(random_source, index),
            "created_at": created,
            "updated_at": created,
        }


def _repair_rows(
    random_source: random.Random, now: datetime, customer_ids: list[uuid.UUID]
) -> Iterator[dict[str, Any]]:
    for index in range(1, REPAIR_COUNT + 1):
        created = now - timedelta(minutes=random_source.randint(0, 365 * 24 * 60))
        yield {
            "id": new_id(),
            "repair_number": f"R-2025-{index:06d}",
            "customer_id": random_source.choice(customer_ids),
            "status": "received",
            "priority": "normal",
            "device_type": "phone",
            "device_brand": "Apple",
            "device_model": "iPhone 13",
            "issue_description": "Screen flickers",
            "deposit": Decimal("0.00"),
            "search_text": f"r-2025-{index:06d} apple iphone 13",
            "custom_fields": _values(random_source, index),
            "created_at": created,
            "updated_at": created,
        }


async def _bulk_load(engine: AsyncEngine) -> None:
    random_source = random.Random(2026)
    now = datetime.now(UTC)
    customers = list(_customer_rows(random_source, now))
    async with engine.begin() as connection:
        await connection.execute(insert(Customer), customers)
        await connection.execute(
            insert(Repair), list(_repair_rows(random_source, now, [c["id"] for c in customers]))
        )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        # VACUUM moves the bulk-inserted rows out of the GIN indexes' pending lists, as autovacuum would.
        await connection.execute(text("VACUUM ANALYZE customers"))
        await connection.execute(text("VACUUM ANALYZE repairs"))


@pytest.mark.commits  # VACUUM ANALYZE and the plans need committed rows
async def test_custom_field_filters_use_the_gin_indexes(backend, app, client, engine, sessionmaker):
    if backend != "postgresql":
        pytest.skip("index use is checked with PostgreSQL's EXPLAIN")
    admin = await make_user(app, sessionmaker, "admin")
    for entity in ("customer", "repair"):
        await define_every_type(client, admin, entity)
    await _bulk_load(engine)
    principal = Principal(id=admin.id, type="user", role="admin", permissions=permissions_for("admin"))
    filters = {"tier": "gold", "vip": "false"}
    async with sessionmaker() as session:
        customer_conditions = await filter_conditions(session, "customer", Customer.custom_fields, filters)
        repair_conditions = await filter_conditions(session, "repair", Repair.custom_fields, filters)
    customers = customers_service.list_statement(
        search=None, status=None, tag=None, sort_by="createdAt", sort_order="desc"
    ).where(*customer_conditions)
    repairs = repairs_service.apply_filters(
        repairs_access.visible_repairs(principal), repairs_service.RepairFilters()
    ).where(*repair_conditions)

    url = make_url(engine.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    problems = []
    try:
        await connection.execute("SET enable_seqscan = off")
        for table, statement, index in (
            ("customers", customers, "ix_customers_custom_fields_gin"),
            ("repairs", repairs, "ix_repairs_custom_fields_gin"),
        ):
            count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
            plan = await explain(connection, engine, count_statement)
            scans = [node for node in plan_nodes(plan) if node["Node Type"] == "Bitmap Index Scan"]
            if not any(
                node["Index Name"] == index and "custom_fields @>" in node.get("Index Cond", "")
                for node in scans
            ):
                problems.append(f"{table}: no containment condition on {index}: {json.dumps(plan)[:2000]}")
            page_plan = await explain(connection, engine, statement.limit(20))
            for node in [*plan_nodes(plan), *plan_nodes(page_plan)]:
                if node["Node Type"] == "Seq Scan":
                    problems.append(f"{table}: sequential scan of {node['Relation Name']}")
    finally:
        await connection.close()
    assert problems == [], "\n".join(problems)

    # And the indexed query answers what a scan in Python over the same rows finds.
    async with sessionmaker() as session:
        expected = {
            row.id
            for row in (await session.execute(select(Customer.id, Customer.custom_fields))).all()
            if row.custom_fields.get("tier") == "gold" and row.custom_fields.get("vip") is False
        }
        found = set((await session.execute(select(Customer.id).where(*customer_conditions))).scalars())
    assert found == expected
    assert expected
