"""The technician's day (issue 11, item 8): their visits of a day for the phone, and "on my way", which
tells the customer when to expect them (a text message, rendered from the shop's template)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixdesk.messaging.models import Notification
from tests.factories import make_customer, make_user, settle
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")

DAY = "2026-06-18"
# The technician's home base and the customer's house, 6.1 km apart as the crow flies (Austin).
HOME = {"homeLatitude": 30.2672, "homeLongitude": -97.7431}
HOUSE = {"latitude": 30.3072, "longitude": -97.6931}


@pytest.fixture
async def day(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    nia_user, nia = await make_technician(client, app, sessionmaker, admin, first_name="Nia", **HOME)
    _, other = await make_technician(client, app, sessionmaker, admin, first_name="Olu")
    rita = await make_customer(
        app, sessionmaker, first_name="Rita", last_name="Nunes", phone="+15125550123", notify_sms=True
    )
    house = await make_location(
        client, admin, rita.id, addressLine1="412 Oak Street", accessNotes="Gate code 4321", **HOUSE
    )
    later = await make_work_order(
        client,
        admin,
        rita.id,
        locationId=house["id"],
        serviceType="AC repair",
        scheduledDate=DAY,
        timeWindowStart="13:00",
        timeWindowEnd="15:00",
        technicianIds=[nia["id"]],
    )
    first = await make_work_order(
        client,
        admin,
        rita.id,
        locationId=house["id"],
        serviceType="Septic pumping",
        scheduledDate=DAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[nia["id"]],
    )
    await make_work_order(
        client, admin, rita.id, locationId=house["id"], technicianIds=[nia["id"]]
    )  # a draft
    await make_work_order(
        client, admin, rita.id, locationId=house["id"], scheduledDate=DAY, technicianIds=[other["id"]]
    )
    return {"admin": admin, "nia": nia_user, "first": first, "later": later, "rita": rita}


async def test_the_days_visits_in_window_order_with_what_the_technician_needs(client, day):
    response = await client.get(f"/api/v1/technicians/me/schedule?date={DAY}", headers=day["nia"].headers)

    assert response.status_code == 200, response.text
    visits = response.json()["visits"]
    assert [v["workOrderId"] for v in visits] == [day["first"]["id"], day["later"]["id"]]
    first = visits[0]
    assert (first["serviceType"], first["customerFirstName"], first["customerPhone"]) == (
        "Septic pumping",
        "Rita",
        "+15125550123",
    )
    assert first["accessNotes"] == "Gate code 4321"
    assert "412 Oak Street" in first["address"]
    assert first["windowStart"].startswith(f"{DAY}T09:00")


async def test_staff_without_a_technician_profile_have_no_day(client, day):
    response = await client.get(f"/api/v1/technicians/me/schedule?date={DAY}", headers=day["admin"].headers)
    assert response.status_code == 404


async def test_on_my_way_tells_the_customer_by_text_when_to_expect_the_technician(
    client, app, sessionmaker, day
):
    response = await client.post(
        f"/api/v1/work-orders/{day['first']['id']}/on-my-way", json={}, headers=day["nia"].headers
    )

    assert response.status_code == 200, response.text
    eta = response.json()["etaMinutes"]
    # 6.1 km × 1.3 road factor at 40 km/h: about 12 minutes.
    assert 10 <= eta <= 14
    await settle(app)
    async with sessionmaker() as session:
        sent = (
            (await session.execute(select(Notification).where(Notification.customer_id == day["rita"].id)))
            .scalars()
            .all()
        )
    texts = [n for n in sent if n.channel == "sms"]
    assert len(texts) == 1
    assert texts[0].event == "technician_on_the_way"
    assert f"about {eta} min" in texts[0].body_preview


async def test_on_my_way_only_for_a_scheduled_visit_of_ones_own(client, app, sessionmaker, day):
    admin = day["admin"]
    draft = await make_work_order(client, admin, day["rita"].id, technicianIds=[])
    not_mine = await client.post(
        f"/api/v1/work-orders/{draft['id']}/on-my-way", json={}, headers=day["nia"].headers
    )

    assert not_mine.status_code == 404


async def test_finishing_a_visit_records_the_report_and_the_parts(client, day):
    nia, first = day["nia"], day["first"]
    started = await client.put(
        f"/api/v1/work-orders/{first['id']}/status", json={"status": "in_progress"}, headers=nia.headers
    )
    assert started.status_code == 200, started.text

    done = await client.post(
        f"/api/v1/work-orders/{first['id']}/complete",
        json={
            "notes": "Pumped and checked the baffles",
            "timeOnSiteMinutes": 95,
            "signOffName": "Rita Nunes",
            "parts": [{"description": "Filter", "quantity": 2, "unitPrice": "12.50"}],
        },
        headers=nia.headers,
    )

    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert (body["timeOnSiteMinutes"], body["signOffName"]) == (95, "Rita Nunes")
    assert body["completionNotes"] == "Pumped and checked the baffles"
    assert [(item["description"], item["quantity"]) for item in body["items"]] == [("Filter", 2)]
    assert body["subtotal"] == 25.0


async def test_a_visit_not_under_way_cannot_be_finished_and_nothing_changes(client, day):
    refused = await client.post(
        f"/api/v1/work-orders/{day['first']['id']}/complete",
        json={"signOffName": "Rita", "parts": [{"description": "Filter", "unitPrice": "12.50"}]},
        headers=day["nia"].headers,
    )
    stored = await client.get(f"/api/v1/work-orders/{day['first']['id']}", headers=day["admin"].headers)

    assert refused.status_code == 409
    assert stored.json()["status"] == "scheduled"
    assert stored.json()["items"] == []
    assert stored.json()["signOffName"] is None
