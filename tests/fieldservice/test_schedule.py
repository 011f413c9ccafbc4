"""The schedule (issue 11, item 4): seed 001's events in the shop's time zone with their colours, a
technician's own only; and the booking conflicts (another job, outside working hours, a break, time off)
answered 409 naming each, unless overridden, which the event records."""

from __future__ import annotations

from typing import Any

import pytest

from fixdesk.fieldservice.models import WorkOrder
from tests.conftest import make_settings
from tests.factories import count_rows, event_payloads, make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")

# 2026-06-22 is a Monday; the shop is in Chicago (UTC−5 in June). Helpers' technicians work Monday to
# Friday 08:00–17:00 with a break 12:00–12:30.
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = (
    "2026-06-22",
    "2026-06-23",
    "2026-06-24",
    "2026-06-25",
    "2026-06-26",
    "2026-06-27",
)


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, shop_timezone="America/Chicago")


async def _schedule(client, actor, query: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/schedule?{query}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()["events"]


async def test_the_schedule_shows_the_range_in_seed_shape_with_status_colours(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    ana = await make_customer(app, sessionmaker)
    location = await make_location(client, admin, ana.id)
    mike_user, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    _, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    morning = await make_work_order(
        client,
        admin,
        ana.id,
        locationId=location["id"],
        scheduledDate=MONDAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[mike["id"]],
    )
    all_day = await make_work_order(client, admin, ana.id, scheduledDate=TUESDAY, technicianIds=[rosa["id"]])
    together = await make_work_order(
        client,
        admin,
        ana.id,
        serviceType="Inspection",
        scheduledDate=WEDNESDAY,
        timeWindowStart="13:00",
        timeWindowEnd="15:00",
        technicianIds=[mike["id"], rosa["id"]],
    )
    started = await client.put(
        f"/api/v1/work-orders/{together['id']}/status", json={"status": "in_progress"}, headers=admin.headers
    )
    assert started.status_code == 200
    unassigned = await make_work_order(
        client, admin, ana.id, scheduledDate=THURSDAY, timeWindowStart="08:00", estimatedDurationMinutes=90
    )
    cancelled = await make_work_order(client, admin, ana.id, scheduledDate=MONDAY, timeWindowStart="14:00")
    await client.put(
        f"/api/v1/work-orders/{cancelled['id']}/status", json={"status": "cancelled"}, headers=admin.headers
    )
    await make_work_order(client, admin, ana.id)  # a draft without a date
    await make_work_order(client, admin, ana.id, scheduledDate="2026-06-29", technicianIds=[mike["id"]])

    events = await _schedule(client, admin, f"start={MONDAY}&end={FRIDAY}")
    assert [(event["workOrderId"], event["technicianId"]) for event in events] == [
        (morning["id"], mike["id"]),
        (all_day["id"], rosa["id"]),
        (together["id"], mike["id"]),
        (together["id"], rosa["id"]),
        (unassigned["id"], None),
    ]
    first = events[0]
    assert first == {
        "id": f"{morning['id']}:{mike['id']}",
        "title": "Pumping - Ana Silva",
        "start": "2026-06-22T09:00:00-05:00",
        "end": "2026-06-22T11:00:00-05:00",
        "allDay": False,
        "color": "#3B82F6",
        "workOrderId": morning["id"],
        "workOrderNumber": morning["workOrderNumber"],
        "technicianId": mike["id"],
        "technicianName": "Mike Johnson",
        "status": "scheduled",
        "priority": "normal",
        "serviceType": "Pumping",
        "scheduledDate": MONDAY,
        "customerId": str(ana.id),
        "customer": "Ana Silva",
        "address": "123 Main St, Austin",
    }
    assert (events[1]["allDay"], events[1]["start"], events[1]["end"]) == (
        True,
        "2026-06-23T00:00:00-05:00",
        "2026-06-24T00:00:00-05:00",
    )
    assert [event["color"] for event in events] == ["#3B82F6", "#3B82F6", "#F59E0B", "#F59E0B", "#3B82F6"]
    assert (events[4]["start"], events[4]["end"], events[4]["id"]) == (
        "2026-06-25T08:00:00-05:00",
        "2026-06-25T09:30:00-05:00",
        unassigned["id"],
    )

    by_technician = await _schedule(client, admin, f"start={MONDAY}&end={FRIDAY}&colorBy=technician")
    # Mike's profile was created first (rank 0: blue), Rosa's second (red); unassigned is grey.
    assert [event["color"] for event in by_technician] == [
        "#3B82F6",
        "#EF4444",
        "#3B82F6",
        "#EF4444",
        "#9CA3AF",
    ]

    rosas = await _schedule(
        client, admin, f"start_date={MONDAY}&end_date={FRIDAY}&technician_id={rosa['id']}"
    )
    assert [event["id"] for event in rosas] == [
        f"{all_day['id']}:{rosa['id']}",
        f"{together['id']}:{rosa['id']}",
    ]
    one_day = await _schedule(client, admin, f"start={WEDNESDAY}")
    assert {event["workOrderId"] for event in one_day} == {together["id"]}

    # A technician sees only their own events, not a co-worker's copy of a shared job.
    own = await _schedule(client, mike_user, f"start={MONDAY}&end={FRIDAY}")
    assert [event["id"] for event in own] == [
        f"{morning['id']}:{mike['id']}",
        f"{together['id']}:{mike['id']}",
    ]
    assert await _schedule(client, mike_user, f"start={MONDAY}&end={FRIDAY}&technicianId={rosa['id']}") == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        f"start={FRIDAY}&end={MONDAY}",
        "start=2026-01-01&end=2026-12-31",
        f"start={MONDAY}&colorBy=rainbow",
    ],
)
async def test_a_bad_range_is_a_400(app, client, sessionmaker, query):
    agent = await make_user(app, sessionmaker, "agent")
    response = await client.get(f"/api/v1/schedule?{query}", headers=agent.headers)
    assert response.status_code == 400, response.text


# --- booking conflicts --------------------------------------------------------------------------------------


async def _team(app, client, sessionmaker) -> dict[str, Any]:
    """Mike (off all Friday, shop time) with a job Monday 09:00–11:00, Rosa free, and a customer."""
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    time_off = [{"startsAt": "2026-06-26T05:00:00Z", "endsAt": "2026-06-27T05:00:00Z", "reason": "Holiday"}]
    _, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike", timeOff=time_off)
    _, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    booked = await make_work_order(
        client,
        admin,
        customer.id,
        scheduledDate=MONDAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[mike["id"]],
    )
    return {"admin": admin, "customer": customer, "mike": mike, "rosa": rosa, "booked": booked}


@pytest.mark.parametrize(
    ("booking", "kind"),
    [
        ({"scheduledDate": MONDAY, "timeWindowStart": "10:00", "timeWindowEnd": "12:00"}, "double_booked"),
        ({"scheduledDate": MONDAY}, "double_booked"),  # no window: the whole working day
        (
            {"scheduledDate": MONDAY, "timeWindowStart": "08:00", "estimatedDurationMinutes": 90},
            "double_booked",
        ),
        (
            {"scheduledDate": TUESDAY, "timeWindowStart": "17:00", "timeWindowEnd": "18:00"},
            "outside_working_hours",
        ),
        (
            {"scheduledDate": SATURDAY, "timeWindowStart": "09:00", "timeWindowEnd": "10:00"},
            "outside_working_hours",
        ),
        ({"scheduledDate": TUESDAY, "timeWindowStart": "11:30", "timeWindowEnd": "12:15"}, "during_break"),
        ({"scheduledDate": FRIDAY, "timeWindowStart": "09:00", "timeWindowEnd": "10:00"}, "time_off"),
    ],
)
async def test_each_conflict_is_a_409_naming_it_unless_overridden(app, client, sessionmaker, booking, kind):
    team = await _team(app, client, sessionmaker)
    admin, mike = team["admin"], team["mike"]
    body = {"customerId": str(team["customer"].id), "serviceType": "Pumping", "technicianIds": [mike["id"]]}
    response = await client.post("/api/v1/work-orders", json={**body, **booking}, headers=admin.headers)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["title"] == "Booking conflict"
    [conflict] = problem["conflicts"]
    assert conflict["kind"] == kind
    assert (conflict["technicianId"], conflict["technicianName"]) == (mike["id"], "Mike Johnson")
    if kind == "double_booked":
        assert conflict["workOrderNumber"] == team["booked"]["workOrderNumber"]
        assert team["booked"]["workOrderNumber"] in problem["detail"]
    if kind == "time_off":
        assert (conflict["timeOffStartsAt"], conflict["timeOffEndsAt"]) == (
            "2026-06-26T05:00:00Z",
            "2026-06-27T05:00:00Z",
        )
    assert await count_rows(sessionmaker, WorkOrder) == 1
    assert len(await event_payloads(sessionmaker, "work_order.created")) == 1

    forced = await client.post(
        "/api/v1/work-orders", json={**body, **booking, "override": True}, headers=admin.headers
    )
    assert forced.status_code == 201, forced.text
    created = await event_payloads(sessionmaker, "work_order.created")
    assert created[0]["overriddenConflicts"] is None
    assert [c["kind"] for c in created[1]["overriddenConflicts"]] == [kind]
    assert created[1]["workOrderId"] == forced.json()["id"]


async def test_what_does_not_conflict_is_booked(app, client, sessionmaker):
    team = await _team(app, client, sessionmaker)
    admin, mike, rosa = team["admin"], team["mike"], team["rosa"]
    customer_id = team["customer"].id
    # Back to back (windows are half-open), before the break, and Rosa at the same time as Mike.
    await make_work_order(
        client,
        admin,
        customer_id,
        scheduledDate=MONDAY,
        timeWindowStart="11:00",
        timeWindowEnd="12:00",
        technicianIds=[mike["id"]],
    )
    await make_work_order(
        client,
        admin,
        customer_id,
        scheduledDate=MONDAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[rosa["id"]],
    )
    # A whole-day job fits around the break; a cancelled job holds no time.
    await make_work_order(client, admin, customer_id, scheduledDate=TUESDAY, technicianIds=[mike["id"]])
    await client.put(
        f"/api/v1/work-orders/{team['booked']['id']}/status",
        json={"status": "cancelled"},
        headers=admin.headers,
    )
    await make_work_order(
        client,
        admin,
        customer_id,
        scheduledDate=MONDAY,
        timeWindowStart="09:30",
        timeWindowEnd="10:30",
        technicianIds=[mike["id"]],
    )
    assert await count_rows(sessionmaker, WorkOrder) == 5


async def test_moving_and_assigning_are_checked_and_overrides_recorded(app, client, sessionmaker):
    team = await _team(app, client, sessionmaker)
    admin, mike, rosa = team["admin"], team["mike"], team["rosa"]
    rosas = await make_work_order(
        client,
        admin,
        team["customer"].id,
        scheduledDate=MONDAY,
        timeWindowStart="10:00",
        timeWindowEnd="12:00",
        technicianIds=[rosa["id"]],
    )
    url = f"/api/v1/work-orders/{rosas['id']}"

    assign = await client.put(
        f"{url}/technicians", json={"technicianIds": [rosa["id"], mike["id"]]}, headers=admin.headers
    )
    assert assign.status_code == 409
    assert [(c["kind"], c["technicianId"], c["workOrderNumber"]) for c in assign.json()["conflicts"]] == [
        ("double_booked", mike["id"], team["booked"]["workOrderNumber"])
    ]
    assert (await client.get(url, headers=admin.headers)).json()["technicianIds"] == [rosa["id"]]
    forced = await client.put(
        f"{url}/technicians",
        json={"technicianIds": [rosa["id"], mike["id"]], "override": True},
        headers=admin.headers,
    )
    assert forced.status_code == 200
    [assigned] = await event_payloads(sessionmaker, "work_order.assigned")
    assert [c["kind"] for c in assigned["overriddenConflicts"]] == ["double_booked"]

    # Moving the job into the break is checked for every technician on it; notes alone are not.
    move = await client.patch(
        url, json={"timeWindowStart": "12:00", "timeWindowEnd": "13:00"}, headers=admin.headers
    )
    assert move.status_code == 409
    assert [(c["kind"], c["technicianName"]) for c in move.json()["conflicts"]] == [
        ("during_break", "Rosa Johnson"),
        ("during_break", "Mike Johnson"),
    ]
    assert (await client.get(url, headers=admin.headers)).json()["timeWindowStart"] == "10:00"
    notes = await client.patch(url, json={"notes": "Gate code 1234"}, headers=admin.headers)
    assert notes.status_code == 200
    to_friday = await client.patch(url, json={"scheduledDate": FRIDAY}, headers=admin.headers)
    assert [c["kind"] for c in to_friday.json()["conflicts"]] == ["time_off"]
    forced_move = await client.patch(
        url,
        json={
            "scheduledDate": THURSDAY,
            "timeWindowStart": "11:30",
            "timeWindowEnd": "12:30",
            "override": True,
        },
        headers=admin.headers,
    )
    assert forced_move.status_code == 200, forced_move.text
    assert forced_move.json()["scheduledDate"] == THURSDAY
    updates = await event_payloads(sessionmaker, "work_order.updated")
    assert updates[0]["overriddenConflicts"] is None
    assert updates[1]["changedFields"] == ["scheduledDate", "timeWindowEnd", "timeWindowStart"]
    assert [c["kind"] for c in updates[1]["overriddenConflicts"]] == ["during_break", "during_break"]


async def test_scheduling_a_draft_again_books_it_again(app, client, sessionmaker):
    team = await _team(app, client, sessionmaker)
    admin, mike = team["admin"], team["mike"]
    later = await make_work_order(
        client,
        admin,
        team["customer"].id,
        scheduledDate=MONDAY,
        timeWindowStart="13:00",
        timeWindowEnd="14:00",
        technicianIds=[mike["id"]],
    )
    status_url = f"/api/v1/work-orders/{later['id']}/status"
    assert (await client.put(status_url, json={"status": "draft"}, headers=admin.headers)).status_code == 200
    # A draft holds no time: Mike is booked over it meanwhile.
    taken = await make_work_order(
        client,
        admin,
        team["customer"].id,
        scheduledDate=MONDAY,
        timeWindowStart="13:30",
        timeWindowEnd="14:30",
        technicianIds=[mike["id"]],
    )
    again = await client.put(status_url, json={"status": "scheduled"}, headers=admin.headers)
    assert again.status_code == 409
    assert [(c["kind"], c["workOrderNumber"]) for c in again.json()["conflicts"]] == [
        ("double_booked", taken["workOrderNumber"])
    ]
    assert (await client.get(f"/api/v1/work-orders/{later['id']}", headers=admin.headers)).json()[
        "status"
    ] == "draft"
    forced = await client.put(
        status_url, json={"status": "scheduled", "override": True}, headers=admin.headers
    )
    assert forced.status_code == 200
    changes = await event_payloads(sessionmaker, "work_order.status_changed")
    assert [c["kind"] for c in changes[-1]["overriddenConflicts"]] == ["double_booked"]
    assert changes[0]["overriddenConflicts"] is None
