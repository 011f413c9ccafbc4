"""The demo shop's bench through the API, as a person trying the demo meets it: repair details whose lines add
up, quotes, warranties, tracking links, analytics that match the rows, estimates that are the estimator's,
and a portal customer who can approve their quote and rate a repair."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fixdesk.customers.models import Customer
from fixdesk.db import CENT
from fixdesk.demo.loader import DEMO_PASSWORD, PORTAL_CUSTOMER_EMAIL, load_demo
from fixdesk.repairs.models import Quote, Repair, RepairItem, RepairReview, RepairStatus, Warranty
from tests.conftest import make_settings

# load_demo writes through its own engine and commits.
pytestmark = pytest.mark.commits

TAX_RATE = Decimal("8.25")
ZONE = "America/Chicago"
DONE = ("completed", "delivered")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, rate_limit_auth="1000/minute", tax_rate=TAX_RATE, shop_timezone=ZONE
    )


def amount(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


async def login(client, email: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def assert_adds_up(detail: dict) -> None:
    lines = [line["lineTotal"] for line in detail["items"]] + [line["lineTotal"] for line in detail["labour"]]
    if lines:
        assert amount(detail["subtotal"]) == sum((amount(total) for total in lines), Decimal("0.00"))
        tax = (amount(detail["subtotal"]) * TAX_RATE / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        assert amount(detail["taxAmount"]) == tax
    if detail["totalCost"] is not None:
        assert amount(detail["subtotal"]) + amount(detail["taxAmount"]) == amount(detail["totalCost"])
        assert amount(detail["balance"]) == amount(detail["totalCost"]) - amount(detail["deposit"])
    else:
        assert detail["balance"] is None
    for item in detail["items"]:
        gross = (Decimal(item["quantity"]) * amount(item["unitPrice"])).quantize(CENT, rounding=ROUND_HALF_UP)
        assert amount(item["lineTotal"]) == gross - amount(item["discount"])


def mean(values: list[Decimal]) -> Decimal:
    return (
        (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)
        if values
        else Decimal(0)
    )


async def test_staff_see_a_consistent_bench(engine, app, client, settings, demo_clock):
    await load_demo(settings, scale=1, sections=())
    admin = await login(client, "admin@example.com")
    async with engine.connect() as connection:
        repairs = (await connection.execute(select(Repair.__table__))).mappings().all()
        quote_counts = Counter(await connection.scalars(select(Quote.repair_id)))
        warranty_counts = Counter(await connection.scalars(select(Warranty.repair_id)))
        reviews = (await connection.execute(select(RepairReview.__table__))).mappings().all()
        estimated = (
            (
                await connection.execute(
                    select(RepairItem.__table__, Repair.device_model_id)
                    .join(Repair, Repair.id == RepairItem.repair_id)
                    .where(RepairItem.price_source == "estimate")
                )
            )
            .mappings()
            .all()
        )

    # One repair of every status: its detail adds up, its quotes and warranties are listed.
    by_status = defaultdict(list)
    for repair in repairs:
        by_status[repair.status].append(repair)
    for status in RepairStatus:
        repair = max(by_status[status.value], key=lambda r: (quote_counts[r.id], warranty_counts[r.id]))
        detail = await client.get(f"/api/v1/repairs/{repair.id}", headers=admin)
        assert detail.status_code == 200, detail.text
        body = detail.json()
        assert_adds_up(body)
        assert amount(body["taxRate"]) == TAX_RATE
        if quote_counts[repair.id]:
            assert body["items"], repair.repair_number
        listed = await client.get(f"/api/v1/repairs/{repair.id}/quotes", headers=admin)
        assert listed.status_code == 200
        assert listed.json()["total"] == quote_counts[repair.id]
        for quote in listed.json()["items"]:
            lines = [line["lineTotal"] for line in quote["items"] + quote["labour"]]
            assert amount(quote["subtotal"]) == sum((amount(total) for total in lines), Decimal("0.00"))
            assert amount(quote["subtotal"]) + amount(quote["taxAmount"]) == amount(quote["total"])
        warranty = await client.get(f"/api/v1/repairs/{repair.id}/warranty", headers=admin)
        assert warranty.status_code == 200
        parts = warranty.json()["warranties"]
        assert len(parts) == warranty_counts[repair.id]
        today = datetime.fromisoformat(warranty.json()["shopDate"]).date()
        for part in parts:
            ends_on = datetime.fromisoformat(part["endsOn"]).date()
            assert part["status"] == ("active" if today <= ends_on else "expired")
        # The tracking link works without signing in.
        tracked = await client.get(f"/api/v1/track/{repair.tracking_token}")
        assert tracked.status_code == 200, tracked.text
        assert (tracked.json()["repairNumber"], tracked.json()["status"]) == (
            repair.repair_number,
            status.value,
        )
        assert len(tracked.json()["history"]) == len(body["statusHistory"])
    assert any(warranty_counts[r.id] for r in by_status["delivered"])

    # Estimated lines carry what the estimator answers for them now.
    assert estimated
    for line in estimated[:8]:
        answer = await client.get(
            "/api/v1/catalog/pricing/estimate",
            params={
                "deviceModelId": str(line.device_model_id),
                "repairTypeId": str(line.repair_type_id),
                "partQuality": line.part_quality,
            },
            headers=admin,
        )
        assert answer.status_code == 200, answer.text
        assert amount(answer.json()["price"]) == line.unit_price
        assert Decimal(str(answer.json()["confidence"])) == line.estimate_confidence

    # The analytics overview is a computation over the same rows.
    for period in ("30d", "1y"):
        response = await client.get("/api/v1/analytics/overview", params={"period": period}, headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        start = datetime.fromisoformat(body["period"]["startDate"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(body["period"]["endDate"].replace("Z", "+00:00"))
        completed = [r for r in repairs if r.status in DONE and start <= r.actual_completion <= end]
        created = [r for r in repairs if start <= r.created_at <= end]
        rated = [review.rating for review in reviews if start <= review.created_at <= end]
        overview = body["overview"]
        assert amount(overview["totalRevenue"]) == sum(
            (r.total_cost for r in completed if r.total_cost is not None), Decimal("0.00")
        )
        assert amount(overview["totalRevenue"]) > 0
        assert overview["totalRepairs"] == len(created)
        assert body["repairsByStatus"] == {
            status.value: sum(r.status == status.value for r in created) for status in RepairStatus
        }
        assert amount(overview["avgCompletionTime"]) == mean([r.completion_days for r in completed])
        assert overview["satisfactionCount"] == len(rated) > 0
        assert amount(overview["customerSatisfaction"]) == mean([Decimal(rating) for rating in rated])
        # Days on the shop's calendar (issue 9, item 9), not UTC's.
        revenue_by_day = defaultdict(lambda: Decimal("0.00"))
        for r in created:
            if r.status in DONE:
                revenue_by_day[r.created_at.astimezone(ZoneInfo(ZONE)).date().isoformat()] += r.total_cost
        assert {day["date"]: amount(day["revenue"]) for day in body["dailyMetrics"] if day["revenue"]} == {
            day: total for day, total in revenue_by_day.items() if total
        }


async def test_the_portal_customer_approves_their_quote_and_rates_a_repair(
    engine, app, client, settings, demo_clock
):
    await load_demo(settings, scale=1, sections=())
    async with engine.connect() as connection:
        portal_id = await connection.scalar(
            select(Customer.id).where(Customer.email == PORTAL_CUSTOMER_EMAIL)
        )
        own = (
            (await connection.execute(select(Repair.__table__).where(Repair.customer_id == portal_id)))
            .mappings()
            .all()
        )
    portal = await login(client, PORTAL_CUSTOMER_EMAIL)

    # A completed repair already rated.
    rated = [r for r in own if r.status == "completed"]
    reviews = [await client.get(f"/api/v1/customer/repairs/{r.id}/review", headers=portal) for r in rated]
    assert any(review.status_code == 200 and 1 <= review.json()["rating"] <= 5 for review in reviews)

    # The quoted repair has a sent quote still valid; approving it approves the repair.
    (quoted,) = [r for r in own if r.status == "quoted"]
    listed = await client.get(f"/api/v1/customer/repairs/{quoted.id}/quotes", headers=portal)
    assert listed.status_code == 200
    quote = listed.json()["items"][0]
    assert (quote["status"], quote["expired"]) == ("sent", False)
    assert datetime.fromisoformat(quote["validUntil"]).date() >= datetime.now(ZoneInfo(ZONE)).date()
    approved = await client.post(
        f"/api/v1/customer/repairs/{quoted.id}/quotes/{quote['id']}/approve", headers=portal
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    detail = (await client.get(f"/api/v1/customer/repairs/{quoted.id}", headers=portal)).json()
    assert detail["status"] == "approved"
    assert {item["priceSource"] for item in detail["items"]} == {"quote"}
    assert [amount(i["lineTotal"]) for i in detail["items"]] == [
        amount(i["lineTotal"]) for i in quote["items"]
    ]
    assert amount(detail["totalCost"]) == amount(quote["total"])
    assert_adds_up(detail)

    # A delivered repair not rated yet can be rated once.
    unrated = [r for r in own if r.status in ("completed", "delivered")]
    statuses = [
        (await client.get(f"/api/v1/customer/repairs/{r.id}/review", headers=portal)).status_code
        for r in unrated
    ]
    target = unrated[statuses.index(404)]
    created = await client.post(
        f"/api/v1/customer/repairs/{target.id}/review",
        json={"rating": 5, "comment": "Quick and friendly"},
        headers=portal,
    )
    assert created.status_code == 201, created.text

    # The dashboard counts what the customer paid for their finished repairs, from their line items.
    stats = (await client.get("/api/v1/customer/dashboard/stats", headers=portal)).json()
    spent = sum((r.total_cost for r in own if r.status in DONE), Decimal("0.00"))
    assert amount(stats["totalSpent"]) == spent > 0
    assert stats["totalRepairs"] == len(own)
