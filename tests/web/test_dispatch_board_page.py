"""The dispatch board page (issue 11, item 10): plan a day, see the routes and what was left out, accept or
dismiss a suggestion, apply the plan; dispatchers only."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]

DAY = "2026-06-18"


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, shop_timezone="America/Chicago", dispatch_time_limit_seconds=1
    )


@pytest.fixture
async def board(client, app, sessionmaker):
    dispatcher = await make_user(app, sessionmaker, "manager")
    nia_user, nia = await make_technician(
        client,
        app,
        sessionmaker,
        dispatcher,
        first_name="Nia",
        skills=["Septic"],
        homeLatitude=30.2672,
        homeLongitude=-97.7431,
    )
    customer = await make_customer(app, sessionmaker, first_name="Laura", last_name="Smith")
    house = await make_location(
        client, dispatcher, customer.id, addressLine1="12 Oak Street", latitude=30.285, longitude=-97.7335
    )
    placed = await make_work_order(
        client,
        dispatcher,
        customer.id,
        locationId=house["id"],
        serviceType="Pumping",
        requiredSkills=["Septic"],
        scheduledDate=DAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
    )
    left_out = await make_work_order(
        client,
        dispatcher,
        customer.id,
        locationId=house["id"],
        serviceType="Wiring",
        requiredSkills=["Electrical"],
        scheduledDate=DAY,
        timeWindowStart="13:00",
        timeWindowEnd="15:00",
    )
    return {
        "dispatcher": dispatcher,
        "nia": nia_user,
        "nia_profile": nia,
        "placed": placed,
        "left_out": left_out,
    }


async def test_plan_the_day_see_it_and_apply_it(client, board):
    dispatcher = board["dispatcher"]

    empty = await client.get(f"/app/dispatch?date={DAY}", headers=dispatcher.headers)
    planned = await client.post("/app/dispatch/plan", data={"date": DAY}, headers=dispatcher.headers)
    page = await client.get(f"/app/dispatch?date={DAY}", headers=dispatcher.headers)

    assert "This day is not planned yet" in empty.text
    assert planned.status_code == 303
    assert board["placed"]["workOrderNumber"] in page.text
    assert "Nia" in page.text
    assert board["left_out"]["workOrderNumber"] in page.text  # under "Left out", with its reason
    assert "required skills (electrical)" in page.text
    assert 'data-plan-status="proposed"' in page.text
    plan_id = re.search(r"/app/dispatch/plans/([0-9a-f-]{36})/apply", page.text).group(1)

    applied = await client.post(f"/app/dispatch/plans/{plan_id}/apply", headers=dispatcher.headers)
    after = await client.get(f"/app/dispatch?date={DAY}", headers=dispatcher.headers)
    stored = await client.get(f"/api/v1/work-orders/{board['placed']['id']}", headers=dispatcher.headers)

    assert applied.status_code == 303
    assert 'data-plan-status="applied"' in after.text
    assert stored.json()["technicians"][0]["id"] == board["nia_profile"]["id"]
    again = await client.post(f"/app/dispatch/plans/{plan_id}/apply", headers=dispatcher.headers)
    assert again.status_code == 409


async def test_a_suggestion_is_accepted_from_the_board(client, board):
    dispatcher = board["dispatcher"]
    await client.post("/app/dispatch/plan", data={"date": DAY}, headers=dispatcher.headers)
    page = await client.get(f"/app/dispatch?date={DAY}", headers=dispatcher.headers)
    suggestion_id = re.search(r'data-suggestion="([0-9a-f-]{36})"', page.text).group(1)

    accepted = await client.post(
        f"/app/dispatch/suggestions/{suggestion_id}/accept?date={DAY}", headers=dispatcher.headers
    )
    after = await client.get(f"/app/dispatch?date={DAY}", headers=dispatcher.headers)
    stored = await client.get(f"/api/v1/work-orders/{board['placed']['id']}", headers=dispatcher.headers)

    assert accepted.status_code == 303
    assert f'data-suggestion="{suggestion_id}"' not in after.text
    assert stored.json()["technicians"][0]["id"] == board["nia_profile"]["id"]


async def test_only_dispatchers_see_the_board(client, board):
    technician = board["nia"]
    assert (await client.get("/app/dispatch", headers=technician.headers)).status_code == 403
    assert (
        await client.post("/app/dispatch/plan", data={"date": DAY}, headers=technician.headers)
    ).status_code == 403
