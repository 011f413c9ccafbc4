"""The sales dashboard (issue 13, item 3): metrics against the previous period, the revenue chart with
online and offline series (orders, completed repairs), visitors from the beacon counted per visitor with a
keyed hash, top products; the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from fixdesk.db import transaction
from fixdesk.sales.dashboard.service import record_visit
from fixdesk.sales.models import Order, Visit
from tests.conftest import make_settings
from tests.factories import TO_COMPLETED, make_customer, make_repair, make_user, walk
from tests.fieldservice.helpers import make_work_order
from tests.sales.helpers import make_product, place_order

pytestmark = pytest.mark.usefixtures("fixed_clock")  # Wednesday 2026-06-17, 10:30 in New York

NOW = datetime(2026, 6, 17, 14, 30, tzinfo=UTC)


@pytest.fixture
async def client(tmp_path, database_url, database):
    app = database.app(make_settings(database_url, tmp_path, shop_timezone="America/New_York"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


async def backdate_order(sessionmaker, order_id: str, created_at: datetime) -> None:
    """Move an order's ``createdAt`` (no API does this on purpose, so the test writes the row)."""
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Order).where(Order.id == uuid.UUID(order_id)).values(created_at=created_at)
        )


@pytest.fixture
async def sales(client, sessionmaker):
    """This period: an online order of 2 screens (179.80), an offline one of 1 case (12.45), a cancelled
    one, a repair completed today (129.00), a work order completed today (60.00); 40 days ago (the previous 30-day period): one offline order of
    1 screen (89.90)."""
    app = client.app
    admin = await make_user(app, sessionmaker, "admin")
    rita = await make_customer(app, sessionmaker, first_name="Rita")
    screen = await make_product(client, admin, name="Screen", price="89.90", stockQuantity=20)
    case = await make_product(client, admin, name="Case", price="12.45", stockQuantity=20)
    online = await place_order(client, admin, rita.id, (screen["id"], 2), orderType="online")
    offline = await place_order(client, admin, rita.id, (case["id"], 1))
    cancelled = await place_order(client, admin, rita.id, (case["id"], 5), orderType="online")
    old = await place_order(client, admin, rita.id, (screen["id"], 1))
    assert {r.status_code for r in (online, offline, cancelled, old)} == {201}
    await client.patch(
        f"/api/v1/orders/{cancelled.json()['id']}/status", json={"status": "cancelled"}, headers=admin.headers
    )
    await backdate_order(sessionmaker, old.json()["id"], NOW - timedelta(days=40))
    repair = await make_repair(
        client, admin, rita.id, items=[{"description": "Battery", "unitPrice": "129.00", "quantity": 1}]
    )
    await walk(client, admin, repair["id"], *TO_COMPLETED)
    work_order = await make_work_order(
        client,
        admin,
        rita.id,
        scheduledDate="2026-06-17",
        items=[{"description": "Filter", "unitPrice": "60.00", "quantity": 1}],
    )
    for status in ("in_progress", "completed"):
        response = await client.put(
            f"/api/v1/work-orders/{work_order['id']}/status", json={"status": status}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
    return {"admin": admin, "screen": screen, "case": case, "rita": rita.id}


async def test_metrics_compare_the_period_with_the_previous_one(client, sales):
    response = await client.get("/api/v1/dashboard/metrics", headers=sales["admin"].headers)
    assert response.status_code == 200, response.text
    metrics = response.json()
    assert (metrics["startDate"], metrics["endDate"]) == ("2026-05-19", "2026-06-17")
    assert (metrics["previousStartDate"], metrics["previousEndDate"]) == ("2026-04-19", "2026-05-18")
    # 179.80 + 12.45 (orders) + 129.00 (the completed repair) + 60.00 (the work order) against 89.90.
    assert metrics["totalSales"] == {
        "value": 381.25,
        "previous": 89.9,
        "currency": "USD",
        "change": 324.1,
        "changeType": "increase",
    }
    assert (metrics["totalOrders"]["value"], metrics["totalOrders"]["previous"]) == (2, 1)
    assert metrics["totalOrders"]["change"] == 100.0
    assert (metrics["productsSold"]["value"], metrics["productsSold"]["previous"]) == (3, 1)
    assert metrics["newCustomers"] == {"value": 1, "previous": 0, "change": None, "changeType": "increase"}

    earlier = await client.get(
        "/api/v1/dashboard/metrics?startDate=2026-05-01&endDate=2026-05-10", headers=sales["admin"].headers
    )
    assert earlier.json()["totalSales"]["value"] == 89.9
    backwards = await client.get(
        "/api/v1/dashboard/metrics?startDate=2026-06-10&endDate=2026-06-01", headers=sales["admin"].headers
    )
    assert backwards.status_code == 400


async def test_the_revenue_chart_splits_online_and_offline_sales_by_the_shops_day(client, sales):
    week = (await client.get("/api/v1/dashboard/revenue?period=week", headers=sales["admin"].headers)).json()
    assert week["labels"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert week["online"] == [0, 0, 179.8, 0, 0, 0, 0]
    assert week["offline"] == [0, 0, 201.45, 0, 0, 0, 0]  # the counter order, the repair, the work order
    day = (await client.get("/api/v1/dashboard/revenue?period=day", headers=sales["admin"].headers)).json()
    assert day["labels"][10] == "10:00"
    assert day["online"][10] == 179.8
    assert sum(day["online"]) == 179.8
    year = (await client.get("/api/v1/dashboard/revenue?period=year", headers=sales["admin"].headers)).json()
    assert year["labels"][4:6] == ["May", "Jun"]
    assert (year["offline"][4], year["offline"][5]) == (89.9, 201.45)
    month = (
        await client.get("/api/v1/dashboard/revenue?period=month", headers=sales["admin"].headers)
    ).json()
    assert len(month["labels"]) == 30
    assert month["labels"][16] == "2026-06-17"


async def test_top_products_rank_by_units_sold_in_orders_not_cancelled(client, sales):
    response = await client.get("/api/v1/dashboard/top-products?limit=5", headers=sales["admin"].headers)
    assert response.status_code == 200
    ranking = [(p["rank"], p["name"], p["sales"], p["revenue"], p["popularity"]) for p in response.json()]
    assert ranking == [(1, "Screen", 3, 269.7, 100), (2, "Case", 1, 12.45, 33)]
    week = await client.get("/api/v1/dashboard/top-products?period=week", headers=sales["admin"].headers)
    assert [(p["name"], p["sales"]) for p in week.json()] == [("Screen", 2), ("Case", 1)]


async def test_visitors_are_counted_once_a_day_by_a_keyed_hash_new_and_loyal(client, sessionmaker):
    app = client.app
    manager = await make_user(app, sessionmaker, "manager")
    settings = app.state.settings
    async with transaction(sessionmaker) as session:  # a visitor who came yesterday too
        await record_visit(session, settings, "visitor-returning-01", "portal", now=NOW - timedelta(days=1))
    for visitor_id in ("visitor-returning-01", "visitor-new-000002", "visitor-new-000002"):
        response = await client.post("/api/v1/visits", json={"visitorId": visitor_id, "source": "website"})
        assert response.status_code == 204, response.text
    bad = await client.post("/api/v1/visits", json={"visitorId": "x"})
    assert bad.status_code == 400

    response = await client.get("/api/v1/dashboard/visitors?period=week", headers=manager.headers)
    assert response.status_code == 200, response.text
    insights = response.json()
    assert insights["dates"][-2:] == ["2026-06-16", "2026-06-17"]
    assert insights["labels"][-1] == "Wed"
    assert insights["uniqueCustomers"][-2:] == [1, 2]
    assert insights["newCustomers"][-2:] == [1, 1]
    assert insights["loyalCustomers"][-2:] == [0, 1]
    assert insights["percentages"] == {"loyal": 33.3, "new": 66.7, "unique": 100.0}

    async with sessionmaker() as session:
        rows = (await session.execute(select(Visit.visitor_hash, Visit.source))).all()
    assert len(rows) == 3
    assert all(len(hashed) == 64 and "visitor" not in hashed for hashed, _ in rows)


@pytest.mark.parametrize(("role", "expected"), [("agent", 403), ("technician", 403), ("manager", 200)])
async def test_only_managers_and_admins_read_the_dashboard(client, sessionmaker, role, expected):
    staff = await make_user(client.app, sessionmaker, role)
    response = await client.get("/api/v1/dashboard/metrics", headers=staff.headers)
    assert response.status_code == expected


async def test_the_tracking_page_counts_its_visitor_by_a_pixel_and_the_portal_loads_the_beacon(
    client, sessionmaker
):
    app = client.app
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    token = urlsplit(repair["trackingUrl"]).path.removeprefix("/track/")
    page = await client.get(f"/track/{token}")
    assert page.status_code == 200
    assert "img-src 'self'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]
    pixel = re.search(r'<img src="(/api/v1/visits/pixel\.gif\?[^"]+)"', page.text)
    assert pixel is not None
    assert token not in pixel.group(1)
    for _ in range(2):  # a reload is the same visitor on the same day
        image = await client.get(html.unescape(pixel.group(1)))
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/gif"
    async with sessionmaker() as session:
        assert (await session.execute(select(Visit.source))).scalars().all() == ["tracking"]

    portal = await client.get("/portal", headers=customer.headers)
    assert portal.status_code == 200
    assert re.search(
        r'<script src="/static/fixdesk/visit\.js\?v=\w+" data-source="portal" defer>', portal.text
    )


async def test_the_dashboard_reads_a_fixed_number_of_statements_whatever_the_sales(
    client, sales, statement_counter
):
    urls = [
        "/api/v1/dashboard/metrics",
        "/api/v1/dashboard/revenue?period=year",
        "/api/v1/dashboard/top-products",
    ]
    counts = []
    for more in (0, 6):
        for _ in range(more):
            response = await place_order(client, sales["admin"], sales["rita"], (sales["case"]["id"], 1))
            assert response.status_code == 201, response.text
        statement_counter.reset()
        for url in urls:
            assert (await client.get(url, headers=sales["admin"].headers)).status_code == 200
        counts.append(statement_counter.count)
    assert counts[0] == counts[1], statement_counter.statements
