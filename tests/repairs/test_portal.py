"""The customer portal's repairs and dashboard (issue 2, item 8): a customer sees only their own repairs,
the dashboard numbers add up, and customer tokens do not open staff endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.customfields.helpers import define
from tests.factories import backdate_repair, make_customer, make_repair, make_user, walk

TO_TESTING = ["diagnosing", "quoted", "approved", "repairing", "testing"]


async def complete_after(client, sessionmaker, staff, repair: dict, days: int, *extra: str) -> dict:
    """Walk ``repair`` to completed as if it had been taken in ``days`` days ago."""
    await backdate_repair(sessionmaker, repair["id"], datetime.now(UTC) - timedelta(days=days))
    return await walk(client, staff, repair["id"], *TO_TESTING, "completed", *extra)


async def make_portal_scene(client, app, sessionmaker) -> dict:
    """Customer A with five repairs in every group and known totals and turnarounds; customer B with two.

    A: completed after 2 days (100.00), delivered after 5 days (50.50), repairing (80.00, not spent yet),
    cancelled (30.00, not spent), received (no price yet).
    """
    staff = await make_user(app, sessionmaker, "manager")
    alice = await make_customer(app, sessionmaker, first_name="Alice", last_name="Ng")
    bob = await make_customer(app, sessionmaker, first_name="Bob", last_name="Ortiz")

    completed = await make_repair(client, staff, alice.id, totalCost="100.00", deviceModel="iPhone 12")
    await complete_after(client, sessionmaker, staff, completed, 2)
    delivered = await make_repair(client, staff, alice.id, totalCost="50.50", deviceModel="Pixel 7")
    await complete_after(client, sessionmaker, staff, delivered, 5, "delivered")
    repairing = await make_repair(client, staff, alice.id, totalCost="80.00", deviceModel="Galaxy S22")
    await walk(client, staff, repairing["id"], "diagnosing", "quoted", "approved", "repairing")
    cancelled = await make_repair(client, staff, alice.id, totalCost="30.00", deviceModel="iPad mini")
    await walk(client, staff, cancelled["id"], "cancelled")
    received = await make_repair(client, staff, alice.id, deviceModel="Switch")

    bobs_completed = await make_repair(client, staff, bob.id, totalCost="999.00")
    await complete_after(client, sessionmaker, staff, bobs_completed, 10)
    bobs_open = await make_repair(client, staff, bob.id)
    return {
        "staff": staff,
        "alice": alice,
        "bob": bob,
        "alice_repairs": {
            "completed": completed["id"],
            "delivered": delivered["id"],
            "repairing": repairing["id"],
            "cancelled": cancelled["id"],
            "received": received["id"],
        },
        "bob_repairs": [bobs_completed["id"], bobs_open["id"]],
    }


async def test_customer_lists_only_their_own_repairs_by_status_group(client, app, sessionmaker):
    scene = await make_portal_scene(client, app, sessionmaker)
    alice, mine = scene["alice"], scene["alice_repairs"]
    expectations = {
        "": set(mine.values()),
        "?status=all": set(mine.values()),
        "?status=active": {mine["repairing"], mine["received"]},
        "?status=completed": {mine["completed"], mine["delivered"]},
        "?status=cancelled": {mine["cancelled"]},
    }
    for query, expected in expectations.items():
        response = await client.get(f"/api/v1/customer/repairs{query}", headers=alice.headers)
        assert response.status_code == 200, (query, response.text)
        page = response.json()
        assert {item["id"] for item in page["items"]} == expected, query
        assert page["total"] == len(expected), query
        assert all(item["customerId"] == str(alice.id) for item in page["items"])

    response = await client.get("/api/v1/customer/repairs?status=finished", headers=alice.headers)
    assert response.status_code == 400

    bobs = (await client.get("/api/v1/customer/repairs", headers=scene["bob"].headers)).json()
    assert {item["id"] for item in bobs["items"]} == set(scene["bob_repairs"])


async def test_customer_list_pages_newest_first(client, app, sessionmaker):
    scene = await make_portal_scene(client, app, sessionmaker)
    headers = scene["alice"].headers
    seen = []
    for page_number in (1, 2, 3):
        response = await client.get(
            f"/api/v1/customer/repairs?pageSize=2&page={page_number}", headers=headers
        )
        assert response.status_code == 200
        page = response.json()
        assert (page["total"], page["page"], page["pageSize"], page["totalPages"]) == (5, page_number, 2, 3)
        seen += page["items"]
    assert len({item["id"] for item in seen}) == 5
    created = [item["createdAt"] for item in seen]
    assert created == sorted(created, reverse=True)
    oldest_first = (
        await client.get("/api/v1/customer/repairs?sortOrder=asc&pageSize=100", headers=headers)
    ).json()
    assert [item["id"] for item in oldest_first["items"]] == [item["id"] for item in reversed(seen)]


async def test_customer_reads_own_repair_but_not_anothers(client, app, sessionmaker):
    scene = await make_portal_scene(client, app, sessionmaker)
    alice = scene["alice"]
    response = await client.get(
        f"/api/v1/customer/repairs/{scene['alice_repairs']['delivered']}", headers=alice.headers
    )
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["status"] == "delivered"
    assert detail["deviceModel"] == "Pixel 7"
    assert [h["toStatus"] for h in detail["statusHistory"]] == [
        "received",
        *TO_TESTING,
        "completed",
        "delivered",
    ]

    for other in (*scene["bob_repairs"], str(uuid.uuid4())):
        response = await client.get(f"/api/v1/customer/repairs/{other}", headers=alice.headers)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "NOT_FOUND"


async def test_dashboard_stats_add_up(client, app, sessionmaker):
    scene = await make_portal_scene(client, app, sessionmaker)
    response = await client.get("/api/v1/customer/dashboard/stats", headers=scene["alice"].headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    # By hand over Alice's five repairs: two done (completed, delivered) out of five; spent is what the
    # done ones cost (100.00 + 50.50); turnaround is the mean of their 2 and 5 days.
    assert stats == {
        "totalRepairs": 5,
        "activeRepairs": 2,
        "completedRepairs": 2,
        "successRate": pytest.approx(0.4),
        "totalSpent": 150.5,
        "averageCompletionTime": pytest.approx(3.5, abs=0.01),
    }

    bobs = (await client.get("/api/v1/customer/dashboard/stats", headers=scene["bob"].headers)).json()
    assert bobs["totalRepairs"] == 2
    assert bobs["completedRepairs"] == 1
    assert bobs["successRate"] == pytest.approx(0.5)
    assert bobs["totalSpent"] == 999.0
    assert bobs["averageCompletionTime"] == pytest.approx(10.0, abs=0.01)


async def test_dashboard_of_a_customer_without_repairs_is_all_zero(client, app, sessionmaker):
    newcomer = await make_customer(app, sessionmaker)
    response = await client.get("/api/v1/customer/dashboard/stats", headers=newcomer.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "totalRepairs": 0,
        "activeRepairs": 0,
        "completedRepairs": 0,
        "successRate": 0.0,
        "totalSpent": 0.0,
        "averageCompletionTime": 0.0,
    }
    empty = (await client.get("/api/v1/customer/repairs", headers=newcomer.headers)).json()
    assert (empty["items"], empty["total"], empty["totalPages"]) == ([], 0, 0)


async def test_customer_logs_in_at_the_staff_login_and_follows_a_repair(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, portal_password="portal-secret-1")
    repair = await make_repair(client, staff, customer.id)

    login = await client.post(
        "/api/v1/auth/login", json={"email": customer.email, "password": "portal-secret-1"}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    response = await client.get(f"/api/v1/customer/repairs/{repair['id']}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["repairNumber"] == repair["repairNumber"]


async def test_customer_tokens_do_not_open_staff_endpoints(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    repair_url = f"/api/v1/repairs/{repair['id']}"
    calls = [
        ("GET", "/api/v1/repairs", None),
        ("POST", "/api/v1/repairs", {"customerId": str(customer.id)}),
        ("GET", repair_url, None),
        ("PATCH", repair_url, {"deviceModel": "Hacked"}),
        ("PUT", f"{repair_url}/status", {"status": "cancelled"}),
        ("POST", f"{repair_url}/assign", {"technicianId": None}),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=customer.headers)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["code"] == "FORBIDDEN"
    # Nothing changed on the way.
    detail = (await client.get(repair_url, headers=staff.headers)).json()
    assert (detail["status"], detail["deviceModel"]) == ("received", "iPhone 13")

    # And staff tokens are not portal tokens.
    for url in (
        "/api/v1/customer/repairs",
        f"/api/v1/customer/repairs/{repair['id']}",
        "/api/v1/customer/dashboard/stats",
    ):
        response = await client.get(url, headers=staff.headers)
        assert response.status_code == 403, url
        assert (await client.get(url)).status_code == 401, url


async def test_the_portal_detail_hides_what_parts_cost_the_shop_and_its_custom_fields(
    client, app, sessionmaker
):
    staff = await make_user(app, sessionmaker, "manager")
    admin = await make_user(app, sessionmaker, "admin")
    await define(client, admin, "repair", "bench_note", "text")
    customer = await make_customer(app, sessionmaker)
    items = [{"description": "Screen assembly", "unitPrice": "129.00", "unitCost": "61.40"}]
    repair = await make_repair(
        client, staff, customer.id, items=items, customFields={"bench_note": "Frame slightly bent"}
    )

    staff_view = (await client.get(f"/api/v1/repairs/{repair['id']}", headers=staff.headers)).json()
    portal = await client.get(f"/api/v1/customer/repairs/{repair['id']}", headers=customer.headers)

    assert staff_view["items"][0]["unitCost"] == 61.4
    assert staff_view["customFields"] == {"bench_note": "Frame slightly bent"}
    assert portal.status_code == 200
    [line] = portal.json()["items"]
    assert line["unitCost"] is None
    assert (line["description"], line["unitPrice"], line["lineTotal"]) == ("Screen assembly", 129.0, 129.0)
    assert portal.json()["totalCost"] == staff_view["totalCost"]
    assert portal.json()["customFields"] == {}
