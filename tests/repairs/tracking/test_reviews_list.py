"""The staff review list (issue 5, item 8): ``GET /api/v1/reviews`` pages reviews newest first with repair
number and customer name, filters by rating and by day in the shop's time zone, in a fixed number of
queries, each filter backed by an index."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url

from fixdesk.customers.models import Customer
from fixdesk.db import new_id, transaction
from fixdesk.repairs.models import Repair, RepairReview
from fixdesk.repairs.tracking.service import ReviewFilters, review_list_statement
from tests.factories import make_customer, make_user
from tests.repairs.tracking.conftest import completed_repair, tracking_settings
from tests.support.explain import explain, plan_nodes

# The shop is in America/Chicago (UTC−6 in January): r2 and r5 are reviewed late in the shop's evening,
# already the next day in UTC.
REVIEWS = [
    ("r1", 5, "2026-01-10T12:00:00Z"),  # Jan 10 in the shop
    ("r2", 1, "2026-01-11T03:00:00Z"),  # Jan 10, 21:00 in the shop
    ("r3", 3, "2026-01-11T12:00:00Z"),  # Jan 11
    ("r4", 5, "2026-01-12T12:00:00Z"),  # Jan 12
    ("r5", 2, "2026-01-13T05:59:00Z"),  # Jan 12, 23:59 in the shop
    ("r6", 4, "2026-01-13T06:00:00Z"),  # Jan 13, 00:00 in the shop
]


async def make_reviews(client, app, sessionmaker) -> dict[str, Any]:
    """The six reviews above, each by its own customer on their own completed repair, dated as listed."""
    staff = await make_user(app, sessionmaker, "manager")
    labels: dict[str, dict[str, Any]] = {}
    for label, rating, at in REVIEWS:
        customer = await make_customer(app, sessionmaker, first_name=f"Cliente{label}", last_name="Costa")
        repair = await completed_repair(client, staff, customer.id)
        response = await client.post(
            f"/api/v1/customer/repairs/{repair['id']}/review",
            json={"rating": rating, "comment": f"comment {label}"},
            headers=customer.headers,
        )
        assert response.status_code == 201, response.text
        # There is no API for back-dating a review on purpose, so the test writes the row.
        async with transaction(sessionmaker) as session:
            await session.execute(
                update(RepairReview)
                .where(RepairReview.id == uuid.UUID(response.json()["id"]))
                .values(created_at=datetime.fromisoformat(at))
            )
        labels[label] = {"repair": repair, "customer": customer, "review": response.json()}
    return {"staff": staff, **labels}


def labels_of(scene: dict[str, Any], page: dict[str, Any]) -> list[str]:
    by_id = {scene[label]["review"]["id"]: label for label, _, _ in REVIEWS}
    return [by_id[item["id"]] for item in page["items"]]


async def test_reviews_are_listed_newest_first_with_repair_and_customer(client, app, sessionmaker):
    scene = await make_reviews(client, app, sessionmaker)

    response = await client.get("/api/v1/reviews", headers=scene["staff"].headers)

    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["total"], page["page"], page["pageSize"], page["totalPages"]) == (6, 1, 20, 1)
    assert labels_of(scene, page) == ["r6", "r5", "r4", "r3", "r2", "r1"]
    first = page["items"][0]
    r6 = scene["r6"]
    assert first == {
        "id": r6["review"]["id"],
        "repairId": r6["repair"]["id"],
        "repairNumber": r6["repair"]["repairNumber"],
        "customerId": str(r6["customer"].id),
        "customerName": "Clienter6 Costa",
        "rating": 4,
        "comment": "comment r6",
        "createdAt": "2026-01-13T06:00:00Z",
    }

    second_page = (
        await client.get("/api/v1/reviews?pageSize=4&page=2", headers=scene["staff"].headers)
    ).json()
    assert labels_of(scene, second_page) == ["r2", "r1"]
    assert (second_page["total"], second_page["totalPages"]) == (6, 2)


FILTERS = [
    ("rating=5", ["r4", "r1"]),
    ("rating=2", ["r5"]),
    ("minRating=4", ["r6", "r4", "r1"]),
    ("maxRating=2", ["r5", "r2"]),
    ("minRating=2&maxRating=4", ["r6", "r5", "r3"]),
    # Days are the shop's: r2 (03:00 UTC on the 11th) was written on the evening of the 10th.
    ("dateFrom=2026-01-11", ["r6", "r5", "r4", "r3"]),
    ("dateTo=2026-01-10", ["r2", "r1"]),
    ("dateFrom=2026-01-12&dateTo=2026-01-12", ["r5", "r4"]),
    ("dateFrom=2026-01-13", ["r6"]),
    ("dateTo=2026-01-09", []),
    # Instants are taken as given, both ends inclusive.
    ("dateFrom=2026-01-11T03:00:00Z&dateTo=2026-01-12T12:00:00Z", ["r4", "r3", "r2"]),
    ("rating=5&dateFrom=2026-01-11", ["r4"]),
    ("maxRating=3&dateTo=2026-01-11&dateFrom=2026-01-10", ["r3", "r2"]),
]


async def test_filters(client, app, sessionmaker):
    # One scene for every filter: the filters only read, and building the six reviewed repairs through the
    # API is most of the test's time (it was 1.7 s of CPU per filter when each built its own).
    scene = await make_reviews(client, app, sessionmaker)

    answers = {}
    for query, _ in FILTERS:
        response = await client.get(f"/api/v1/reviews?{query}", headers=scene["staff"].headers)
        assert response.status_code == 200, f"{query}: {response.text}"
        answers[query] = (labels_of(scene, response.json()), response.json()["total"])

    assert answers == {query: (expected, len(expected)) for query, expected in FILTERS}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("rating=0", "rating"),
        ("rating=6", "rating"),
        ("rating=five", "rating"),
        ("minRating=0", "minRating"),
        ("maxRating=9", "maxRating"),
        ("minRating=4&maxRating=2", "maxRating"),
        ("dateFrom=2026-01-12&dateTo=2026-01-11", "dateTo"),
        # Midnight of the 12th in the shop (Chicago, UTC−6) is after all of the 11th.
        ("dateFrom=2026-01-12T06:00:00Z&dateTo=2026-01-11", "dateTo"),
        ("dateFrom=yesterday", "dateFrom"),
    ],
)
async def test_bad_filters_are_400(client, app, sessionmaker, query, field):
    staff = await make_user(app, sessionmaker, "manager")

    response = await client.get(f"/api/v1/reviews?{query}", headers=staff.headers)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    # A day-or-instant parameter reports both readings it tried ("dateFrom.date", "dateFrom.datetime").
    assert field in {error["field"].split(".")[0] for error in response.json()["errors"]}


@pytest.mark.parametrize("role", ["technician", "agent"])
async def test_every_staff_role_reads_reviews_but_customers_do_not(client, app, sessionmaker, role):
    reader = await make_user(app, sessionmaker, role)
    customer = await make_customer(app, sessionmaker)

    assert (await client.get("/api/v1/reviews", headers=reader.headers)).status_code == 200
    assert (await client.get("/api/v1/reviews", headers=customer.headers)).status_code == 403
    assert (await client.get("/api/v1/reviews")).status_code == 401


async def test_the_list_costs_the_same_queries_whatever_the_page_size(
    client, app, sessionmaker, statement_counter
):
    scene = await make_reviews(client, app, sessionmaker)
    headers = scene["staff"].headers

    statement_counter.reset()
    small = await client.get("/api/v1/reviews?pageSize=1", headers=headers)
    small_count = statement_counter.count
    statement_counter.reset()
    large = await client.get("/api/v1/reviews?pageSize=100", headers=headers)

    assert (len(small.json()["items"]), len(large.json()["items"])) == (1, 6)
    # Never more for a larger page (fewer: a first page that is not full is the whole list, no count).
    assert statement_counter.count <= small_count
    # Staff authentication, the count and the page (reviews joined to repairs and customers).
    assert statement_counter.count <= 3


# --- every filter is backed by an index (PostgreSQL) ----------------------------------------------------

REVIEW_COUNT = 3000


async def _bulk_load(engine) -> None:
    """Customers, completed repairs and one review each, with Core bulk inserts, then VACUUM ANALYZE."""
    random_source = random.Random(2026)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    customers = [
        {
            "id": new_id(),
            "first_name": f"Customer{index}",
            "last_name": "Bulk",
            "email": f"bulk{index}@example.com",
            "status": "active",
            "language": "en",
            "search_text": f"customer{index} bulk",
            "created_at": start,
            "updated_at": start,
        }
        for index in range(REVIEW_COUNT // 3)
    ]
    repairs = []
    reviews = []
    for index in range(REVIEW_COUNT):
        created = start + timedelta(minutes=random_source.randint(0, 365 * 24 * 60))
        customer = random_source.choice(customers)
        repair_id = new_id()
        repairs.append(
            {
                "id": repair_id,
                "repair_number": f"R-2025-{index + 1:06d}",
                "customer_id": customer["id"],
                "status": "completed",
                "priority": "normal",
                "device_type": "phone",
                "device_brand": "Apple",
                "device_model": "iPhone 13",
                "issue_description": "Screen",
                "search_text": f"r-2025-{index + 1:06d}",
                "created_at": created,
                "updated_at": created,
            }
        )
        reviews.append(
            {
                "id": new_id(),
                "repair_id": repair_id,
                "customer_id": customer["id"],
                "rating": random_source.choice([1, 2, 3, 4, 5, 5, 5, 4]),
                "comment": None,
                "created_at": created + timedelta(days=2),
            }
        )
    async with engine.begin() as connection:
        await connection.execute(insert(Customer), customers)
        await connection.execute(insert(Repair), repairs)
        await connection.execute(insert(RepairReview), reviews)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("customers", "repairs", "repair_reviews"):
            await connection.execute(text(f"VACUUM ANALYZE {table}"))


FILTER_CASES = [
    ("no filter", ReviewFilters(), None),
    ("rating", ReviewFilters(rating=1), "rating"),
    ("minRating+maxRating", ReviewFilters(min_rating=1, max_rating=2), "rating"),
    ("dateFrom", ReviewFilters(date_from=date(2025, 12, 20)), "created_at"),
    ("dateFrom+dateTo", ReviewFilters(date_from=date(2025, 6, 1), date_to=date(2025, 6, 2)), "created_at"),
    ("rating+dateFrom", ReviewFilters(rating=2, date_from=date(2025, 12, 1)), "rating"),
]


@pytest.mark.commits  # VACUUM ANALYZE and the plans need committed rows
async def test_every_review_filter_uses_an_index(backend, app, engine, database_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("index use is checked with PostgreSQL's EXPLAIN")
    await _bulk_load(engine)
    settings = tracking_settings(database_url, tmp_path)
    url = make_url(engine.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    problems = []
    try:
        # With sequential scans priced out, a filter without a usable index still shows up as a Seq Scan.
        await connection.execute("SET enable_seqscan = off")
        for name, filters, column in FILTER_CASES:
            statement = review_list_statement(filters, settings)
            # The two statements of platform.pagination.paginate: the count and one page.
            count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
            count_plan = await explain(connection, engine, count_statement)
            page_plan = await explain(connection, engine, statement.limit(20))
            for label, plan in (("count", count_plan), ("page", page_plan)):
                scans = [
                    node["Relation Name"] for node in plan_nodes(plan) if node["Node Type"] == "Seq Scan"
                ]
                if scans:
                    problems.append(f"{name}: {label} query scans {scans} sequentially")
            conditions = [
                (node["Index Name"], node.get("Index Cond", ""))
                for node in plan_nodes(count_plan)
                if node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
                and node["Index Name"].startswith("ix_repair_reviews_")
            ]
            if column and not any(column in condition for _, condition in conditions):
                problems.append(f"{name}: no index condition on repair_reviews.{column}: {conditions}")
    finally:
        await connection.close()
    assert problems == [], "\n".join(problems)
