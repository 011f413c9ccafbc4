"""``POST /ai/dispatch/query`` and ``/apply`` against the database (issue 11, item 7): a request in plain
words resolves to the shop's own technician and work order, and the proposal, sent back, changes that
work order through its own services (status, technicians, window) and nothing else."""

from __future__ import annotations

import pytest

from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")

TUESDAY = "2026-03-10"


@pytest.fixture
async def field(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    dispatcher = await make_user(app, sessionmaker, "manager")
    _john_user, john = await make_technician(client, app, sessionmaker, admin, first_name="John")
    mike_user, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    smith = await make_customer(app, sessionmaker, first_name="Laura", last_name="Smith")
    garcia = await make_customer(app, sessionmaker, first_name="Maria", last_name="Garcia")
    smith_place = await make_location(client, dispatcher, smith.id, addressLine1="412 Oak Street")
    garcia_place = await make_location(client, dispatcher, garcia.id, addressLine1="78 Elm Road")
    smith_job = await make_work_order(
        client, dispatcher, smith.id, locationId=smith_place["id"], serviceType="Septic pumping"
    )
    garcia_job = await make_work_order(
        client,
        dispatcher,
        garcia.id,
        locationId=garcia_place["id"],
        serviceType="Grease trap cleaning",
        scheduledDate="2026-03-12",
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[mike["id"]],
    )
    return {
        "dispatcher": dispatcher,
        "john": john,
        "mike": mike,
        "mike_user": mike_user,
        "smith_job": smith_job,
        "garcia_job": garcia_job,
    }


async def ask(client, actor, query: str):
    return await client.post(
        "/api/v1/ai/dispatch/query",
        json={"query": query, "context": {"current_date": TUESDAY}},
        headers=actor.headers,
    )


async def test_schedule_john_for_the_smith_job_tomorrow_morning_and_apply_it(client, field, settings):
    answer = await ask(client, field["dispatcher"], "Schedule John for the Smith job tomorrow morning")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["intent"] == "schedule"
    assert body["technician"]["id"] == field["john"]["id"]
    assert body["workOrder"]["id"] == field["smith_job"]["id"]
    assert body["date"] == "2026-03-11"
    assert body["window"]["start"].startswith("2026-03-11T08:00")
    assert body["window"]["end"].startswith("2026-03-11T12:00")
    assert body["source"] == "offline"
    assert 0 < body["confidence"] <= 1
    proposal = body["proposal"]
    assert proposal["action"] == "assign"

    applied = await client.post(
        "/api/v1/ai/dispatch/query/apply", json=proposal, headers=field["dispatcher"].headers
    )

    assert applied.status_code == 200, applied.text
    work_order = applied.json()
    assert work_order["status"] == "scheduled"
    assert work_order["scheduledDate"] == "2026-03-11"
    assert (work_order["timeWindowStart"], work_order["timeWindowEnd"]) == ("08:00", "12:00")
    assert work_order["technicians"][0]["id"] == field["john"]["id"]


async def test_unassign_mike_by_work_order_number(client, field):
    number = field["garcia_job"]["workOrderNumber"]
    answer = await ask(client, field["dispatcher"], f"unassign Mike from {number}")
    proposal = answer.json()["proposal"]

    applied = await client.post(
        "/api/v1/ai/dispatch/query/apply", json=proposal, headers=field["dispatcher"].headers
    )

    assert answer.json()["intent"] == "unassign"
    assert proposal["technicianId"] == field["mike"]["id"]
    assert applied.status_code == 200, applied.text
    assert applied.json()["technicians"] == []
    # Nothing else moved: the day and window stay as booked.
    assert applied.json()["scheduledDate"] == "2026-03-12"


async def test_a_request_that_names_no_one_known_proposes_nothing(client, field):
    answer = await ask(client, field["dispatcher"], "Schedule Bartholomew for the Zyx job tomorrow")

    body = answer.json()
    assert answer.status_code == 200
    assert body["proposal"] is None
    assert body["missing"]


async def test_a_technician_may_ask_but_not_apply(client, field):
    technician = field["mike_user"]
    answer = await ask(client, technician, f"unassign Mike from {field['garcia_job']['workOrderNumber']}")
    applied = await client.post(
        "/api/v1/ai/dispatch/query/apply",
        json={
            "action": "unassign",
            "workOrderId": field["garcia_job"]["id"],
            "technicianId": field["mike"]["id"],
        },
        headers=technician.headers,
    )
    stored = await client.get(
        f"/api/v1/work-orders/{field['garcia_job']['id']}", headers=field["dispatcher"].headers
    )

    assert answer.status_code == 200
    assert applied.status_code == 403
    assert [t["id"] for t in stored.json()["technicians"]] == [field["mike"]["id"]]


async def test_bad_input_is_a_400_and_changes_nothing(client, field):
    empty = await client.post(
        "/api/v1/ai/dispatch/query", json={"query": ""}, headers=field["dispatcher"].headers
    )
    no_technician = await client.post(
        "/api/v1/ai/dispatch/query/apply",
        json={"action": "assign", "workOrderId": field["smith_job"]["id"]},
        headers=field["dispatcher"].headers,
    )
    stored = await client.get(
        f"/api/v1/work-orders/{field['smith_job']['id']}", headers=field["dispatcher"].headers
    )

    assert empty.status_code == 400
    assert no_technician.status_code == 400
    assert no_technician.json()["errors"][0]["field"] == "technicianId"
    assert stored.json()["status"] == "draft"
    assert stored.json()["technicians"] == []
