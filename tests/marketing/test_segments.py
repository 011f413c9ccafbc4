"""Customer segmentation and saved segments (issue 13, item 4): a fixed small shop whose RFM assignment,
segment counts and segmentation figures are written out literally, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fixdesk.db import transaction
from fixdesk.marketing import access
from fixdesk.marketing.access import AudienceSpec
from fixdesk.marketing.models import Segment
from fixdesk.platform.errors import NotFound
from tests.billing.helpers import finalize, line, make_invoice, pay
from tests.factories import Actor, bearer, count_rows, make_customer, make_repair, make_user
from tests.sales.helpers import make_product, place_order
from tests.support.clock import clock_at

BASE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

# Customer: (day of their purchases, quantities of their orders); a 10.00 product, no tax.
# Recency by day (A most recent) gives R 5,5,4,4,3,3,2,2,1,1; see fixdesk.marketing.segments for the rule.
PURCHASES = {
    "A": (10, [2, 2, 2, 2, 2, 2]),  # 6 orders, 120.00
    "B": (9, [1]),  # 1 order, 10.00
    "C": (8, [2, 2, 2, 2]),  # 4 orders, 80.00
    "D": (7, [1]),
    "E": (6, [1, 2, 2]),  # 3 orders, 50.00
    "F": (5, [2]),  # 1 order, 20.00
    "G": (4, [1, 2, 2, 2, 2]),  # 5 orders, 90.00
    "H": (3, [2]),
    "I": (2, [1, 1, 1, 2]),  # 4 orders, 50.00
    "J": (1, [1]),
}
EXPECTED_RFM = {
    # name: (R, F, M) → segment
    "A": "champions",  # 5, 5, 5
    "B": "new_customer",  # 5, 1, 1
    "C": "loyal",  # 4, 4, 4
    "D": "promising",  # 4, 1, 1
    "E": "need_attention",  # 3, 3, 3
    "F": "about_to_sleep",  # 3, 1, 2
    "G": "cannot_lose",  # 2, 5, 5
    "H": "hibernating",  # 2, 1, 2
    "I": "at_risk",  # 1, 4, 3
    "J": "lost",  # 1, 1, 1
    "K": None,  # a repair, no purchase
    "L": None,  # nothing at all
}


def day(number: int) -> datetime:
    return BASE + timedelta(days=number)


@pytest.fixture
async def shop(app, sessionmaker, client):
    manager = await make_user(app, sessionmaker, "manager")

    def staff_now() -> Actor:
        # Access tokens live 15 minutes: one issued at the moment the clock stands at.
        return Actor(manager.id, manager.email, bearer(app, manager.id, "manager", "user"))

    with clock_at(BASE):
        product = await make_product(client, staff_now(), price="10.00", stockQuantity=100)
    people = {}
    tags = {"A": ["vip", "corporate"], "C": ["vip"], "E": ["corporate"]}
    for name in "ABCDEFGHIJKL":
        people[name] = await make_customer(
            app,
            sessionmaker,
            first_name=name,
            last_name=f"Customer {name}",
            phone=f"+35191200{ord(name):04d}",
            tags=tags.get(name, []),
        )
    for name, (number, quantities) in PURCHASES.items():
        for minute, quantity in enumerate(quantities):
            with clock_at(day(number) + timedelta(minutes=minute)):
                response = await place_order(client, staff_now(), people[name].id, (product["id"], quantity))
                assert response.status_code == 201, response.text
    with clock_at(day(5) + timedelta(hours=3)):
        await make_repair(client, staff_now(), people["K"].id)
    return {"manager": manager, "people": people}


async def save(client, manager, name: str, **filter_values) -> dict:
    response = await client.post(
        "/api/v1/segments", json={"name": name, "filter": filter_values}, headers=manager.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def preview(client, manager, **filter_values) -> int:
    response = await client.post("/api/v1/segments/preview", json=filter_values, headers=manager.headers)
    assert response.status_code == 200, response.text
    return response.json()["customerCount"]


async def test_rfm_segments_spend_and_last_visit_of_a_fixed_shop(shop, client):
    manager, people = shop["manager"], shop["people"]
    everyone = await save(client, manager, "Everyone")
    assert everyone["customerCount"] == 12
    page = await client.get(
        f"/api/v1/segments/{everyone['id']}/customers?pageSize=100", headers=manager.headers
    )
    assert page.status_code == 200, page.text
    members = {member["firstName"]: member for member in page.json()["items"]}
    assert page.json()["total"] == 12
    assert {name: member["rfmSegment"] for name, member in members.items()} == EXPECTED_RFM
    assert {name: (member["totalSpend"], member["purchaseCount"]) for name, member in members.items()} == {
        "A": (120.0, 6),
        "B": (10.0, 1),
        "C": (80.0, 4),
        "D": (10.0, 1),
        "E": (50.0, 3),
        "F": (20.0, 1),
        "G": (90.0, 5),
        "H": (20.0, 1),
        "I": (50.0, 4),
        "J": (10.0, 1),
        "K": (0.0, 0),
        "L": (0.0, 0),
    }
    assert members["A"]["lastVisitAt"].startswith("2026-03-11T10:05:00")
    assert members["K"]["lastVisitAt"].startswith("2026-03-06T13:00")
    assert members["L"]["lastVisitAt"] is None
    assert members["A"]["tags"] == ["corporate", "vip"]

    assert await preview(client, manager, rfmSegments=["champions", "loyal"]) == 2
    assert await preview(client, manager, rfmSegments=["lost", "hibernating", "at_risk"]) == 3
    assert await preview(client, manager, minTotalSpend=50) == 5  # A, C, E, G, I
    assert await preview(client, manager, maxTotalSpend="10.00") == 5  # B, D, J, and K, L at 0
    assert await preview(client, manager, minTotalSpend=20, maxTotalSpend=50) == 4  # E, F, H, I
    assert await preview(client, manager, lastVisitAfter=day(8).isoformat()) == 3  # A, B, C
    # J bought on day 1, L was never seen; K's repair (day 5) is a visit.
    assert await preview(client, manager, lastVisitBefore=day(2).isoformat()) == 2
    assert await preview(client, manager, lastVisitBefore=day(6).isoformat()) == 7
    assert await preview(client, manager, tagsAny=["VIP", "corporate"]) == 3
    assert await preview(client, manager, tagsAll=["vip", "corporate"]) == 1
    assert await preview(client, manager, tagsAny=["vip"], minTotalSpend=100) == 1
    assert await preview(client, manager, statuses=["inactive"]) == 0

    # Archiving takes a customer out of every segment.
    assert (
        await client.delete(f"/api/v1/customers/{people['A'].id}", headers=manager.headers)
    ).status_code == 200
    assert (await client.get(f"/api/v1/segments/{everyone['id']}", headers=manager.headers)).json()[
        "customerCount"
    ] == 11


async def test_segmentation_counts_customers_with_and_without_orders(shop, client):
    response = await client.get("/api/v1/customers/segmentation", headers=shop["manager"].headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["withOrders"]["count"], body["withoutOrders"]["count"], body["conversionRate"]) == (
        10,
        2,
        83.33,
    )
    # 46 units at 10.00 over 27 orders.
    assert (body["withOrders"]["totalRevenue"], body["withOrders"]["averageOrderValue"]) == (460.0, 17.04)
    assert [
        (c["firstName"], c["orderCount"], c["totalRevenue"]) for c in body["withOrders"]["customers"][:3]
    ] == [
        ("A", 6, 120.0),
        ("G", 5, 90.0),
        ("C", 4, 80.0),
    ]
    assert [c["firstName"] for c in body["withoutOrders"]["customers"]] == ["K", "L"]


async def test_a_segment_is_an_audience_and_consent_and_suppression_still_hold(shop, client, sessionmaker):
    manager, people = shop["manager"], shop["people"]
    vip = await save(client, manager, "VIP", tagsAny=["vip"])
    async with transaction(sessionmaker) as session:
        for name in ("A", "C", "D"):
            await access.record_consent(
                session, customer_id=people[name].id, channel="sms", granted=True, source="import"
            )
        await access.suppress(
            session, channel="sms", address=f"+35191200{ord('C'):04d}", reason="stop", source="twilio"
        )
    spec = AudienceSpec(recipient_type="segment", segment_id=uuid.UUID(vip["id"]))
    async with transaction(sessionmaker) as session:
        assert await access.count_audience(session, spec, "sms") == 1
        assert await access.count_audience(session, spec, "email") == 0
        resolved = await access.resolve_segment_filter(session, spec.segment_id)
        rows = (await session.execute(access.audience_select(spec, "sms", segment_filter=resolved))).all()
        assert [row.first_name for row in rows] == ["A"]
        missing = AudienceSpec(recipient_type="segment", segment_id=uuid.uuid4())
        with pytest.raises(NotFound):
            await access.validate_audience(session, missing)


async def test_segment_crud_permissions_and_bad_input(app, client, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    await make_customer(app, sessionmaker, first_name="Rita", tags=["vip"])
    created = await save(client, manager, "VIP", tagsAny=["vip"])
    assert created["customerCount"] == 1
    assert created["filter"]["tagsAny"] == ["vip"]

    for staff in (agent, technician):
        assert (await client.get("/api/v1/segments", headers=staff.headers)).status_code == 403
        assert (await client.get("/api/v1/customers/segmentation", headers=staff.headers)).status_code == 403
        response = await client.post("/api/v1/segments", json={"name": "X"}, headers=staff.headers)
        assert response.status_code == 403

    for body in [
        {"name": "Bad spend", "filter": {"minTotalSpend": 100, "maxTotalSpend": 10}},
        {"name": "Bad rfm", "filter": {"rfmSegments": ["royalty"]}},
        {"name": "Bad field", "filter": {"customFields": {"shoe_size": "42"}}},
        {"name": "Naive", "filter": {"lastVisitAfter": "2026-01-01T00:00:00"}},
        {"name": "Unknown", "filter": {"colour": "blue"}},
        {"name": "", "filter": {}},
    ]:
        response = await client.post("/api/v1/segments", json=body, headers=manager.headers)
        assert response.status_code == 400, (body, response.text)
    duplicate = await client.post("/api/v1/segments", json={"name": "vip"}, headers=manager.headers)
    assert duplicate.status_code == 409
    assert await count_rows(sessionmaker, Segment) == 1

    renamed = await client.patch(
        f"/api/v1/segments/{created['id']}",
        json={"name": "Everyone", "filter": {}},
        headers=manager.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["customerCount"]) == ("Everyone", 1)
    listed = await client.get("/api/v1/segments", headers=manager.headers)
    assert [s["name"] for s in listed.json()["items"]] == ["Everyone"]
    assert (
        await client.patch(f"/api/v1/segments/{created['id']}", json={"name": None}, headers=manager.headers)
    ).status_code == 400
    assert (
        await client.delete(f"/api/v1/segments/{created['id']}", headers=manager.headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/segments/{created['id']}", headers=manager.headers)).status_code == 404
    assert (
        await client.get(f"/api/v1/segments/{uuid.uuid4()}/customers", headers=manager.headers)
    ).status_code == 404


async def test_paid_invoices_count_toward_spend_but_not_toward_orders(app, client, sessionmaker):
    """Repairs and work orders are paid through invoices: the money received counts toward total spend
    (and RFM); a draft, an unpaid invoice or a cancelled order does not. Seed 002's "with orders" counts
    sales orders only."""
    admin = await make_user(app, sessionmaker, "admin")
    rita = await make_customer(app, sessionmaker, first_name="Rita")
    paid = await make_invoice(client, admin, rita.id, line(unit_price="100.00"))
    await finalize(client, admin, paid["id"])
    assert (await pay(client, admin, paid["id"], "60.00")).status_code == 201
    unpaid = await make_invoice(client, admin, rita.id, line(unit_price="40.00"))
    await finalize(client, admin, unpaid["id"])
    await make_invoice(client, admin, rita.id, line(unit_price="999.00"))  # a draft
    product = await make_product(client, admin, price="10.00", stockQuantity=5)
    order = await place_order(client, admin, rita.id, (product["id"], 1))
    cancelled = await client.patch(
        f"/api/v1/orders/{order.json()['id']}/status", json={"status": "cancelled"}, headers=admin.headers
    )
    assert cancelled.status_code == 200, cancelled.text

    everyone = await save(client, admin, "Everyone")
    members = await client.get(f"/api/v1/segments/{everyone['id']}/customers", headers=admin.headers)
    (member,) = members.json()["items"]
    # One buyer: rank 1 of 1 scores 1 on every dimension (ties and lone values never round up).
    assert (member["totalSpend"], member["purchaseCount"], member["rfmSegment"]) == (60.0, 1, "lost")
    assert await preview(client, admin, minTotalSpend="60.00") == 1
    assert await preview(client, admin, minTotalSpend="60.01") == 0
    segmentation = (await client.get("/api/v1/customers/segmentation", headers=admin.headers)).json()
    assert (segmentation["withOrders"]["count"], segmentation["withoutOrders"]["count"]) == (0, 1)
    assert segmentation["conversionRate"] == 0
