"""Speed by construction for the catalog (issue 5, item 1): the lists run a fixed number of SQL statements
whatever the page size (no N+1 for the embedded brand, device model, repair type and part type), and the
device-model search and the price-list filters are backed by indexes (PostgreSQL EXPLAIN)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from fixdesk.catalog import service
from fixdesk.catalog.estimator import estimate_price
from fixdesk.catalog.models import Brand, DeviceModel, PartType, PriceHistory, Pricing, RepairType
from fixdesk.db import new_id, transaction
from tests.catalog.helpers import API, brand, device, part_type, price, repair_type
from tests.factories import make_catalog_device, make_part_type, make_price, make_repair_type, make_user
from tests.support.explain import explain, index_conditions, sequential_scans

PAGE_SIZES = (5, 40)


async def test_list_statement_counts_do_not_grow_with_page_size(client, app, sessionmaker, statement_counter):
    admin = await make_user(app, sessionmaker, "admin")
    brands = [await brand(client, admin, f"Brand {index}") for index in range(4)]
    screen = await repair_type(client, admin, "Screen replacement")
    parts = [await part_type(client, admin, f"Part {index}", "original") for index in range(3)]
    devices = [
        await device(client, admin, brands[index % 4]["id"], f"Model {index:02d}") for index in range(40)
    ]
    rows = []
    for index, item in enumerate(devices):
        rows.append(
            await price(client, admin, item["id"], screen["id"], parts[index % 3]["id"], f"{100 + index}")
        )
    for change in range(6):
        await client.patch(
            f"{API}/pricing/{rows[0]['id']}", json={"price": f"{200 + change}"}, headers=admin.headers
        )

    for path, embedded in (
        ("device-models", lambda item: item["brand"]["id"]),
        ("pricing", lambda item: (item["deviceModel"]["brand"]["id"], item["partType"]["id"])),
        (f"pricing/{rows[0]['id']}/history", lambda item: item["changedBy"]["id"]),
        ("brands", lambda item: item["id"]),
    ):
        counts = {}
        for size in PAGE_SIZES:
            statement_counter.reset()
            response = await client.get(f"{API}/{path}?pageSize={size}", headers=admin.headers)
            counts[size] = statement_counter.count
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            assert len(items) == min(size, response.json()["total"])
        # The big page really embeds many different rows.
        assert len({embedded(item) for item in items}) >= (1 if "history" in path else 4), path
        # Never more for the bigger page (fewer when it is a first page that is not full: no count then).
        assert counts[PAGE_SIZES[1]] <= counts[PAGE_SIZES[0]], (path, statement_counter.statements)


# --- every filter is backed by an index (PostgreSQL) -----------------------------------------------------------

BRAND_COUNT = 40
MODELS_PER_BRAND = 50
KINDS = ["phone", "tablet", "laptop", "desktop", "console", "watch", "other"]
QUALITIES = ["original", "aftermarket_premium", "aftermarket_standard", "aftermarket_economy"]


async def _bulk_load(engine) -> dict[str, Any]:
    """2,000 device models of 40 brands, 12 repair types, 8 part types and ~16,000 prices (Core bulk
    inserts), then VACUUM ANALYZE so the planner knows the tables."""
    random_source = random.Random(2026)
    now = datetime.now(UTC)
    brands = [
        {"id": new_id(), "name": f"Brand {i}", "slug": f"brand {i}", "created_at": now, "updated_at": now}
        for i in range(BRAND_COUNT)
    ]
    repair_types = [
        {"id": new_id(), "name": f"Repair {i}", "slug": f"repair {i}", "created_at": now, "updated_at": now}
        for i in range(12)
    ]
    part_types = [
        {
            "id": new_id(),
            "name": f"Part {i}",
            "slug": f"part {i}",
            "quality": QUALITIES[i % 4],
            "warranty_months": 3,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(8)
    ]
    devices = []
    for owner in brands:
        for index in range(MODELS_PER_BRAND):
            name = "Zenith Ultra Rare" if not devices else f"Model {index} {uuid.uuid4().hex[:6]}"
            number = f"XR-{random_source.randint(1000, 9999)}"
            devices.append(
                {
                    "id": new_id(),
                    "brand_id": owner["id"],
                    "name": name,
                    "model_number": number,
                    "release_year": random_source.randint(2010, 2025),
                    "device_type": random_source.choice(KINDS),
                    "tier_level": random_source.randint(1, 3),
                    "is_active": random_source.random() > 0.05,
                    "search_text": f"{owner['name']} {name} {number}".lower(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    prices = []
    seen = set()
    for item in devices:
        for _ in range(8):
            repair = random_source.choice(repair_types)
            part = random_source.choice(part_types)
            quality = random_source.choice(QUALITIES)
            key = (item["id"], repair["id"], part["id"], quality)
            if key in seen:
                continue
            seen.add(key)
            created = now - timedelta(minutes=random_source.randint(0, 500_000))
            prices.append(
                {
                    "id": new_id(),
                    "device_model_id": item["id"],
                    "repair_type_id": repair["id"],
                    "part_type_id": part["id"],
                    "part_quality": quality,
                    "price": Decimal(random_source.randint(2000, 40000)) / 100,
                    "is_active": random_source.random() > 0.05,
                    "is_estimated": random_source.random() < 0.02,
                    "valid_from": created,
                    "created_at": created,
                    "updated_at": created,
                }
            )
    async with engine.begin() as connection:
        await connection.execute(insert(Brand), brands)
        await connection.execute(insert(RepairType), repair_types)
        await connection.execute(insert(PartType), part_types)
        await connection.execute(insert(DeviceModel), devices)
        await connection.execute(insert(Pricing), prices)
        await connection.execute(
            insert(PriceHistory),
            [
                {
                    "id": new_id(),
                    "pricing_id": p["id"],
                    "new_price": p["price"],
                    "source": "import",
                    "created_at": now,
                }
                for p in prices[:2000]
            ],
        )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("brands", "repair_types", "part_types", "device_models", "pricing", "price_history"):
            await connection.execute(text(f"VACUUM ANALYZE {table}"))
    return {
        "BRAND": brands[7]["id"],
        "DEVICE": devices[123]["id"],
        "REPAIR": repair_types[3]["id"],
        "PART": part_types[5]["id"],
    }


DEVICE_CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("brandId", {"brand_id": "BRAND"}, [("device_models", "brand_id")]),
    ("deviceType", {"device_type": "watch"}, [("device_models", "device_type")]),
    ("tierLevel", {"tier_level": 1}, [("device_models", "tier_level")]),
    ("isActive=false", {"is_active": False}, [("device_models", "is_active")]),
    ("releaseYear", {"release_year": 2014}, [("device_models", "release_year")]),
    (
        "releaseYearFrom+To",
        {"release_year_from": 2011, "release_year_to": 2012},
        [("device_models", "release_year")],
    ),
    ("search name", {"search": "zenith ultra"}, [("device_models", "search_text")]),
    ("search model number", {"search": "xr-4242"}, [("device_models", "search_text")]),
    (
        "brandId+sort by year",
        {"brand_id": "BRAND", "sort_by": "releaseYear", "sort_order": "desc"},
        [("device_models", "brand_id")],
    ),
]

PRICING_CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("deviceModelId", {"device_model_id": "DEVICE"}, [("pricing", "device_model_id")]),
    ("brandId", {"brand_id": "BRAND"}, [("device_models", "brand_id"), ("pricing", "device_model_id")]),
    ("repairTypeId", {"repair_type_id": "REPAIR"}, [("pricing", "repair_type_id")]),
    (
        "repairTypeId+partQuality",
        {"repair_type_id": "REPAIR", "part_quality": "original"},
        [("pricing", "repair_type_id"), ("pricing", "part_quality")],
    ),
    ("partTypeId", {"part_type_id": "PART"}, [("pricing", "part_type_id")]),
    (
        "deviceModelId+partQuality",
        {"device_model_id": "DEVICE", "part_quality": "original"},
        [("pricing", "part_quality")],
    ),
    ("isActive=false", {"is_active": False}, [("pricing", "is_active")]),
    ("isEstimated", {"is_active": True, "is_estimated": True}, [("pricing", "is_estimated")]),
    (
        "repairTypeId+currentOnly",
        {"repair_type_id": "REPAIR", "current_only": True},
        [("pricing", "repair_type_id")],
    ),
]


@pytest.mark.commits  # VACUUM ANALYZE and the plans need committed rows
async def test_device_model_search_and_pricing_filters_use_indexes(backend, app, engine):
    if backend != "postgresql":
        pytest.skip("index use is checked with PostgreSQL's EXPLAIN")
    placeholders = await _bulk_load(engine)
    url = make_url(engine.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    problems = []
    try:
        # With sequential scans priced out, a filter without a usable index still shows up as a Seq Scan.
        await connection.execute("SET enable_seqscan = off")
        cases = [
            (name, service.DeviceModelFilters, service.device_models_statement, f, e)
            for name, f, e in DEVICE_CASES
        ]
        cases += [
            (name, service.PricingFilters, service.pricing_statement, f, e) for name, f, e in PRICING_CASES
        ]
        for name, filters_type, build, filters, expected in cases:
            values = {
                key: placeholders.get(value, value) if isinstance(value, str) else value
                for key, value in filters.items()
            }
            statement = build(filters_type(**values))
            # The two statements a list runs (platform.pagination.paginate): count and page.
            count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
            count_plan = await explain(connection, engine, count_statement)
            page_plan = await explain(connection, engine, statement.limit(20))
            for label, plan in (("count", count_plan), ("page", page_plan)):
                if sequential_scans(plan):
                    problems.append(
                        f"{filters_type.__name__} {name}: {label} query scans {sequential_scans(plan)}"
                    )
            for table, column in expected:
                conditions = index_conditions(count_plan, table) + index_conditions(page_plan, table)
                if not any(column in condition for _, condition in conditions):
                    problems.append(
                        f"{filters_type.__name__} {name}: no index condition on {table}.{column}: {conditions}"
                    )
    finally:
        await connection.close()
    assert problems == [], "\n".join(problems)


async def test_the_estimator_runs_a_bounded_number_of_queries(app, sessionmaker, statement_counter):
    # Two queries for the target and one per price set, whatever the catalog's size: no query per price.
    screen = await make_repair_type(sessionmaker, "Screen replacement")
    oem = await make_part_type(sessionmaker, "OEM", quality="original")
    target = await make_catalog_device(sessionmaker, brand="Apple", name="Target")
    for index in range(15):
        other = await make_catalog_device(
            sessionmaker, brand="Samsung" if index % 2 else "Apple", name=f"M{index}"
        )
        await make_price(
            sessionmaker,
            device_model_id=other.id,
            repair_type_id=screen.id,
            part_type_id=oem.id,
            price=f"{100 + index}",
        )
    lonely = await make_catalog_device(sessionmaker, brand="Nokia", name="Lonely")
    async with transaction(sessionmaker) as session:
        statement_counter.reset()
        similar = await estimate_price(session, target.id, screen.id, "original")
        similar_count = statement_counter.count
        statement_counter.reset()
        median = await estimate_price(session, lonely.id, screen.id, "original")
        median_count = statement_counter.count
    assert (similar.method, median.method) == ("similar_devices", "repair_type_median")
    assert similar_count == 3, statement_counter.statements
    assert median_count == 4
