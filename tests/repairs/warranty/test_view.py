"""The warranty view (issue 5, item 7): ``GET /repairs/{id}/warranty`` for staff and
``GET /customer/repairs/{id}/warranty`` in the portal, active or expired on the shop's date."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.conftest import make_settings
from tests.factories import make_customer, make_repair, make_user
from tests.repairs.warranty.conftest import make_bench, set_warranty_dates


async def test_staff_see_each_warranty_with_its_standing_cost_and_serials(
    client, app, sessionmaker, settings
):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair(unit_cost="61.15", quantity=2)
    today = settings.shop_today()

    response = await client.get(f"/api/v1/repairs/{completed['id']}/warranty", headers=bench.admin.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["repairId"] == completed["id"]
    assert body["repairNumber"] == completed["repairNumber"]
    assert body["repairStatus"] == "completed"
    assert body["shopDate"] == today.isoformat()
    assert body["currency"] == "USD"
    assert body["claimedUnder"] is None
    [shown] = body["warranties"]
    assert shown == {
        "id": str(warranty.id),
        "repairItemId": str(warranty.repair_item_id),
        "partTypeId": str(bench.part_type.id),
        "description": "Screen replacement",
        "partQuality": "original",
        "removedSerial": "F-OLD-1",
        "installedSerial": "F-NEW-1",
        "warrantyMonths": 6,
        "startsOn": warranty.starts_on.isoformat(),
        "endsOn": warranty.ends_on.isoformat(),
        "status": "active",
        "daysRemaining": (warranty.ends_on - today).days,
        "claims": [],
        "partCost": 122.3,
    }


async def test_a_warranty_is_active_through_its_last_day_and_expired_after(
    client, app, sessionmaker, settings
):
    bench = await make_bench(client, app, sessionmaker)
    today = settings.shop_today()
    last_day, _ = await bench.completed_repair()
    ended, _ = await bench.completed_repair()
    [last_day_warranty] = await bench_warranties(client, bench, last_day["id"])
    [ended_warranty] = await bench_warranties(client, bench, ended["id"])
    await set_warranty_dates(
        sessionmaker, last_day_warranty["id"], starts_on=today - timedelta(days=180), ends_on=today
    )
    await set_warranty_dates(
        sessionmaker,
        ended_warranty["id"],
        starts_on=today - timedelta(days=181),
        ends_on=today - timedelta(days=1),
    )

    [active] = await bench_warranties(client, bench, last_day["id"])
    [expired] = await bench_warranties(client, bench, ended["id"])

    assert (active["status"], active["daysRemaining"]) == ("active", 0)
    assert (expired["status"], expired["daysRemaining"]) == ("expired", 0)
    assert expired["endsOn"] == (today - timedelta(days=1)).isoformat()


async def bench_warranties(client, bench, repair_id) -> list[dict]:
    response = await client.get(f"/api/v1/repairs/{repair_id}/warranty", headers=bench.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["warranties"]


async def test_standing_is_computed_on_the_shops_calendar_day(database, sessionmaker, database_url, tmp_path):
    # Pago Pago (UTC−11) and Kiribati (UTC+14) are always on different calendar days, Kiribati ahead: a
    # warranty ending "today" in Pago Pago has already ended in Kiribati.
    pago_pago = make_settings(database_url, tmp_path, shop_timezone="Pacific/Pago_Pago")
    kiribati = make_settings(database_url, tmp_path, shop_timezone="Pacific/Kiritimati")
    western, eastern = database.app(pago_pago), database.app(kiribati)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=western), base_url="http://w") as west,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=eastern), base_url="http://e") as east,
    ):
        bench = await make_bench(west, western, sessionmaker)
        completed, warranty = await bench.completed_repair()
        today_west = pago_pago.shop_today()
        await set_warranty_dates(
            sessionmaker, warranty.id, starts_on=today_west - timedelta(days=30), ends_on=today_west
        )
        url = f"/api/v1/repairs/{completed['id']}/warranty"
        seen_west = (await west.get(url, headers=bench.admin.headers)).json()
        seen_east = (await east.get(url, headers=bench.admin.headers)).json()

    assert seen_west["shopDate"] == today_west.isoformat()
    assert seen_west["warranties"][0]["status"] == "active"
    assert seen_east["shopDate"] == kiribati.shop_today().isoformat()
    assert seen_east["warranties"][0]["status"] == "expired"


async def test_a_repair_without_warranties_answers_an_empty_list(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    response = await client.get(f"/api/v1/repairs/{repair['id']}/warranty", headers=bench.admin.headers)
    assert response.status_code == 200
    assert response.json()["warranties"] == []


async def test_an_unknown_repair_answers_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.get(
        "/api/v1/repairs/00000000-0000-7000-8000-000000000000/warranty", headers=admin.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_every_staff_role_reads_warranties(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, _ = await bench.completed_repair()
    for role in ("technician", "agent", "manager"):
        staff = await make_user(app, sessionmaker, role)
        response = await client.get(f"/api/v1/repairs/{completed['id']}/warranty", headers=staff.headers)
        assert response.status_code == 200, role
        assert len(response.json()["warranties"]) == 1


# --- the portal -----------------------------------------------------------------------------------------


async def test_the_customer_sees_their_warranty_without_the_cost(client, app, sessionmaker, settings):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()

    response = await client.get(
        f"/api/v1/customer/repairs/{completed['id']}/warranty", headers=bench.customer.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert "currency" not in body
    [shown] = body["warranties"]
    assert "partCost" not in shown
    assert "42.5" not in response.text
    assert shown["id"] == str(warranty.id)
    assert shown["installedSerial"] == "F-NEW-1"
    assert shown["status"] == "active"
    assert shown["endsOn"] == warranty.ends_on.isoformat()


async def test_a_customer_cannot_see_another_customers_warranty(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, _ = await bench.completed_repair()
    stranger = await make_customer(app, sessionmaker, first_name="Other")

    portal = await client.get(
        f"/api/v1/customer/repairs/{completed['id']}/warranty", headers=stranger.headers
    )
    staff_route = await client.get(f"/api/v1/repairs/{completed['id']}/warranty", headers=stranger.headers)
    own_customer_on_staff_route = await client.get(
        f"/api/v1/repairs/{completed['id']}/warranty", headers=bench.customer.headers
    )

    assert portal.status_code == 404
    assert "F-NEW-1" not in portal.text
    assert staff_route.status_code == 403
    assert own_customer_on_staff_route.status_code == 403


async def test_staff_cannot_use_the_portal_route(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, _ = await bench.completed_repair()
    response = await client.get(
        f"/api/v1/customer/repairs/{completed['id']}/warranty", headers=bench.admin.headers
    )
    assert response.status_code == 403
