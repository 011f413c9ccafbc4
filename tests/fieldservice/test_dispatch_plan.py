"""The day's dispatch plan (issue 11 item 6): ``POST /dispatch/plan`` over a small real day (three
technicians with different skills and home bases, eight work orders with windows and priorities), applying
it through the work orders' services with their events, and seed 001's suggestions with accept and
dismiss. The solver is the real one (VROOM), cut off after a second."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import make_settings
from tests.factories import event_payloads, make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")

DAY = "2026-06-18"  # the Thursday after FIXED_NOW
ZONE = "America/Chicago"


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, shop_timezone=ZONE, dispatch_time_limit_seconds=1)


@pytest.fixture
async def day(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    dispatcher = await make_user(app, sessionmaker, "manager")
    technicians = {}
    for name, skills, (lat, lon) in (
        ("Mike", ["Septic"], (30.2672, -97.7431)),  # downtown Austin
        ("Ana", ["HVAC"], (30.4000, -97.7200)),  # north
        ("Raj", ["Plumbing", "HVAC"], (30.1800, -97.8000)),  # south
    ):
        user, profile = await make_technician(
            client,
            app,
            sessionmaker,
            admin,
            first_name=name,
            skills=skills,
            homeLatitude=lat,
            homeLongitude=lon,
        )
        technicians[name] = {**profile, "user": user}
    customer = await make_customer(app, sessionmaker, first_name="Laura", last_name="Smith")
    spots = [
        (30.2850, -97.7335),
        (30.3100, -97.7500),
        (30.2500, -97.7600),
        (30.3900, -97.7300),
        (30.2000, -97.7900),
        (30.3500, -97.7000),
        (30.2700, -97.7000),
    ]
    locations = [
        await make_location(
            client, dispatcher, customer.id, addressLine1=f"{n} Oak Street", latitude=lat, longitude=lon
        )
        for n, (lat, lon) in enumerate(spots, start=1)
    ]
    nowhere = await make_location(
        client, dispatcher, customer.id, addressLine1="1 Unknown Road", latitude=None, longitude=None
    )
    dated = {"scheduledDate": DAY}
    specs = [
        ("pumping", locations[0], ["Septic"], "high", ("08:00", "10:00"), 90, dated),
        ("inspection", locations[1], ["Septic"], "normal", ("13:00", "15:00"), 60, dated),
        ("furnace", locations[2], ["HVAC"], "urgent", ("09:00", "11:00"), 60, dated),
        ("ac", locations[3], ["HVAC"], "normal", ("14:00", "16:00"), 90, dated),
        ("leak", locations[4], ["Plumbing"], "emergency", ("08:00", "10:00"), 45, dated),
        ("heater", locations[5], ["Plumbing"], "low", (None, None), 60, {}),  # an undated draft
        ("wiring", locations[6], ["Electrical"], "normal", ("10:00", "12:00"), 60, dated),
        ("lost", nowhere, [], "normal", ("10:00", "12:00"), 30, dated),
    ]
    orders = {}
    for key, place, skills, priority, (start, end), minutes, extra in specs:
        window = {"timeWindowStart": start, "timeWindowEnd": end} if start else {}
        orders[key] = await make_work_order(
            client,
            dispatcher,
            customer.id,
            locationId=place["id"],
            requiredSkills=skills,
            priority=priority,
            estimatedDurationMinutes=minutes,
            serviceType=key.title(),
            **window,
            **extra,
        )
    return {"admin": admin, "dispatcher": dispatcher, "technicians": technicians, "orders": orders}


async def plan(client, actor, **body):
    return await client.post("/api/v1/dispatch/plan", json={"date": DAY, **body}, headers=actor.headers)


def clock(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%H:%M")


async def test_the_day_is_planned_within_windows_hours_breaks_and_skills(client, day):
    response = await plan(client, day["dispatcher"])

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "proposed"
    assert body["date"] == DAY
    orders = {order["id"]: (key, order) for key, order in day["orders"].items()}
    skills = {t["id"]: set(t["skills"]) for t in day["technicians"].values()}
    placed = set()
    for route in body["routes"]:
        for rest in route["breaks"]:
            assert (clock(rest["start"]), clock(rest["end"])) == ("12:00", "12:30")
        for stop in route["stops"]:
            key, order = orders[stop["workOrderId"]]
            placed.add(key)
            # aware times in the shop's zone (Chicago is UTC−5 in June)
            assert stop["arrival"].endswith("-05:00")
            assert set(order["requiredSkills"]) <= skills[route["technicianId"]]
            assert clock(stop["arrival"]) >= "08:00"
            assert clock(stop["departure"]) <= "17:00"
            assert clock(stop["departure"]) <= "12:00" or clock(stop["serviceStart"]) >= "12:30"
            if order["timeWindowStart"]:
                assert order["timeWindowStart"] <= clock(stop["serviceStart"]) <= order["timeWindowEnd"]
            assert stop["distanceKm"] >= 0
            assert stop["travelMinutes"] >= 0
        assert route["totals"]["stops"] == len(route["stops"])
    assert placed == {"pumping", "inspection", "furnace", "ac", "leak", "heater"}
    unplaced = {orders[u["workOrderId"]][0]: u for u in body["unplaced"]}
    assert unplaced["wiring"]["reason"] == "missing_skills"
    assert "Electrical" in unplaced["wiring"]["message"] or "electrical" in unplaced["wiring"]["message"]
    assert unplaced["lost"]["reason"] == "no_coordinates"
    assert body["totals"]["placed"] == 6
    assert body["totals"]["unplaced"] == 2
    assert body["totals"]["distanceKm"] > 0


async def test_applying_writes_technicians_dates_windows_and_events_once(client, day):
    body = (await plan(client, day["dispatcher"])).json()

    applied = await client.post(
        f"/api/v1/dispatch/plans/{body['id']}/apply", headers=day["dispatcher"].headers
    )

    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied"
    stops = [(route["technicianId"], stop) for route in body["routes"] for stop in route["stops"]]
    for technician_id, stop in stops:
        order = (
            await client.get(f"/api/v1/work-orders/{stop['workOrderId']}", headers=day["dispatcher"].headers)
        ).json()
        assert order["assignedTechnician"] == technician_id
        assert order["scheduledDate"] == DAY
        assert order["status"] == "scheduled"
    heater = (
        await client.get(
            f"/api/v1/work-orders/{day['orders']['heater']['id']}", headers=day["dispatcher"].headers
        )
    ).json()
    [heater_stop] = [stop for _, stop in stops if stop["workOrderId"] == heater["id"]]
    # no window before: the planned visit widened to quarter hours
    assert heater["timeWindowStart"] <= clock(heater_stop["serviceStart"])
    assert heater["timeWindowStart"][3:] in ("00", "15", "30", "45")
    assert heater["timeWindowEnd"] >= clock(heater_stop["departure"])
    furnace = (
        await client.get(
            f"/api/v1/work-orders/{day['orders']['furnace']['id']}", headers=day["dispatcher"].headers
        )
    ).json()
    assert (furnace["timeWindowStart"], furnace["timeWindowEnd"]) == ("09:00", "11:00")  # the customer's

    again = await client.post(f"/api/v1/dispatch/plans/{body['id']}/apply", headers=day["dispatcher"].headers)
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


async def test_applying_publishes_the_work_orders_events(client, day, sessionmaker):
    body = (await plan(client, day["dispatcher"])).json()
    before = len(await event_payloads(sessionmaker, "work_order.assigned"))

    applied = await client.post(
        f"/api/v1/dispatch/plans/{body['id']}/apply", headers=day["dispatcher"].headers
    )

    assert applied.status_code == 200, applied.text
    assigned = (await event_payloads(sessionmaker, "work_order.assigned"))[before:]
    assert {payload["workOrderId"] for payload in assigned} == {
        stop["workOrderId"] for route in body["routes"] for stop in route["stops"]
    }
    scheduled = await event_payloads(sessionmaker, "work_order.scheduled")
    assert day["orders"]["heater"]["id"] in {payload["workOrderId"] for payload in scheduled}


async def test_suggestions_are_listed_accepted_and_dismissed(client, day):
    headers = day["dispatcher"].headers
    listed = await client.get(
        "/api/v1/ai/dispatch/suggestions", params={"date": DAY, "limit": 20}, headers=headers
    )

    assert listed.status_code == 200, listed.text
    suggestions = listed.json()["suggestions"]
    assert len(suggestions) == 6  # every placed work order, none assigned yet
    first = suggestions[0]
    assert first["type"] == "assign"
    assert first["title"].startswith("Assign ")
    assert "km away" in first["description"]
    assert 0 < first["confidence"] <= 0.99
    assert [action["id"] for action in first["actions"]] == ["accept", "dismiss"]
    assert {"workOrderId", "technicianId", "reasoning"} <= set(first)
    assert [s["confidence"] for s in suggestions] == sorted(
        (s["confidence"] for s in suggestions), reverse=True
    )

    dismissed = await client.post(
        f"/api/v1/ai/dispatch/suggestions/{suggestions[1]['id']}/dismiss", headers=headers
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "dismissed"
    accepted = await client.post(f"/api/v1/ai/dispatch/suggestions/{first['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    work_order = accepted.json()
    assert work_order["id"] == first["workOrderId"]
    assert work_order["assignedTechnician"] == first["technicianId"]
    assert work_order["status"] == "scheduled"

    again = await client.get(
        "/api/v1/ai/dispatch/suggestions", params={"date": DAY, "limit": 20}, headers=headers
    )
    left = {s["id"] for s in again.json()["suggestions"]}
    assert left == {s["id"] for s in suggestions[2:]}  # the same plan, without the two decided
    redo = await client.post(
        f"/api/v1/ai/dispatch/suggestions/{suggestions[1]['id']}/accept", headers=headers
    )
    assert redo.status_code == 409
    limited = await client.get(
        "/api/v1/ai/dispatch/suggestions", params={"date": DAY, "limit": 1}, headers=headers
    )
    assert len(limited.json()["suggestions"]) == 1


async def test_a_named_work_order_that_is_not_open_is_a_400(client, day):
    response = await plan(client, day["dispatcher"], workOrderIds=["0190a7e4-0000-7000-8000-000000000000"])

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "workOrderIds.0"


async def test_a_technician_may_not_plan_or_see_suggestions(client, day):
    technician = day["technicians"]["Mike"]["user"]

    assert (await plan(client, technician)).status_code == 403
    listed = await client.get(
        "/api/v1/ai/dispatch/suggestions", params={"date": DAY}, headers=technician.headers
    )
    assert listed.status_code == 403
