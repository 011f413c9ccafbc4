"""The week calendar page (issue 11, item 10): a technician's week, its event feed, and rescheduling by
drag and drop with the booking rules of the API (a conflict is a 409 with its conflicts, nothing changed,
until the dispatcher books it anyway)."""

from __future__ import annotations

import pytest

from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]

# FIXED_NOW is Wednesday 2026-06-17: its week runs from Monday the 15th to Sunday the 21st.
THURSDAY = "2026-06-18"
FRIDAY = "2026-06-19"


@pytest.fixture
async def week(client, app, sessionmaker):
    dispatcher = await make_user(app, sessionmaker, "manager")
    nia_user, nia = await make_technician(client, app, sessionmaker, dispatcher, first_name="Nia")
    _, leo = await make_technician(client, app, sessionmaker, dispatcher, first_name="Leo")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    house = await make_location(client, dispatcher, customer.id, addressLine1="412 Oak Street")
    pumping = await make_work_order(
        client,
        dispatcher,
        customer.id,
        locationId=house["id"],
        serviceType="Septic pumping",
        scheduledDate=THURSDAY,
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[nia["id"]],
    )
    inspection = await make_work_order(
        client,
        dispatcher,
        customer.id,
        locationId=house["id"],
        serviceType="Inspection",
        scheduledDate=FRIDAY,
        timeWindowStart="13:00",
        timeWindowEnd="14:00",
        technicianIds=[nia["id"]],
    )
    leos = await make_work_order(
        client,
        dispatcher,
        customer.id,
        serviceType="Drain cleaning",
        scheduledDate=THURSDAY,
        timeWindowStart="10:00",
        timeWindowEnd="12:00",
        technicianIds=[leo["id"]],
    )
    return {
        "dispatcher": dispatcher,
        "nia": nia_user,
        "nia_profile": nia,
        "leo_profile": leo,
        "pumping": pumping,
        "inspection": inspection,
        "leos": leos,
    }


async def test_the_page_shows_a_technicians_week(client, week):
    dispatcher, nia = week["dispatcher"], week["nia_profile"]

    everyone = await client.get("/app/calendar", headers=dispatcher.headers)
    hers = await client.get(f"/app/calendar?technician={nia['id']}", headers=dispatcher.headers)
    next_week = await client.get(
        f"/app/calendar?technician={nia['id']}&week=2026-06-22", headers=dispatcher.headers
    )
    unknown = await client.get(
        "/app/calendar?technician=00000000-0000-0000-0000-000000000000", headers=dispatcher.headers
    )

    assert everyone.status_code == 200
    assert "All technicians" in everyone.text
    assert week["leos"]["workOrderNumber"] in everyone.text
    assert week["pumping"]["workOrderNumber"] in everyone.text
    assert hers.status_code == 200
    assert week["pumping"]["workOrderNumber"] in hers.text
    assert "09:00–11:00" in hers.text
    assert week["leos"]["workOrderNumber"] not in hers.text
    assert 'data-week="2026-06-15"' in hers.text
    # Her working hours shade the calendar: 08:00–12:00 and 12:30–17:00 on weekdays.
    assert "&#34;startTime&#34;: &#34;12:30&#34;" in hers.text
    assert 'href="/app/calendar"' in hers.text  # the menu entry
    assert week["pumping"]["workOrderNumber"] not in next_week.text
    assert "No jobs this week." in next_week.text
    assert unknown.status_code == 400
    assert "no such active technician" in unknown.text


async def test_a_technician_sees_only_their_own_week(client, week):
    nia = week["nia"]

    page = await client.get(f"/app/calendar?technician={week['leo_profile']['id']}", headers=nia.headers)
    feed = await client.get(
        "/app/calendar/events",
        params={"start": "2026-06-15T00:00:00Z", "end": "2026-06-22T00:00:00Z"},
        headers=nia.headers,
    )

    assert page.status_code == 200
    assert week["pumping"]["workOrderNumber"] in page.text
    assert week["leos"]["workOrderNumber"] not in page.text
    assert {event["extendedProps"]["number"] for event in feed.json()} == {
        week["pumping"]["workOrderNumber"],
        week["inspection"]["workOrderNumber"],
    }


async def test_the_feed_gives_shop_wall_clock_times(client, week):
    feed = await client.get(
        "/app/calendar/events",
        params={
            "start": "2026-06-15T00:00:00Z",
            "end": "2026-06-22T00:00:00Z",
            "technician": week["nia_profile"]["id"],
        },
        headers=week["dispatcher"].headers,
    )
    bad = await client.get(
        "/app/calendar/events",
        params={"start": "soon", "end": "2026-06-22"},
        headers=week["dispatcher"].headers,
    )

    assert feed.status_code == 200
    pumping = next(
        event for event in feed.json() if event["extendedProps"]["workOrderId"] == week["pumping"]["id"]
    )
    assert pumping["start"] == f"{THURSDAY}T09:00"
    assert pumping["end"] == f"{THURSDAY}T11:00"
    assert pumping["allDay"] is False
    assert pumping["editable"] is True
    assert pumping["url"] == f"/app/work-orders/{week['pumping']['id']}"
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_a_drop_moves_the_job_keeping_its_window_length(client, week):
    pumping = week["pumping"]

    moved = await client.post(
        f"/app/calendar/work-orders/{pumping['id']}/move",
        data={"date": FRIDAY, "start": "14:30"},
        headers=week["dispatcher"].headers,
    )
    stored = await client.get(f"/api/v1/work-orders/{pumping['id']}", headers=week["dispatcher"].headers)

    assert moved.status_code == 200, moved.text
    assert moved.json()["scheduledDate"] == FRIDAY
    assert stored.json()["scheduledDate"] == FRIDAY
    assert stored.json()["timeWindowStart"] == "14:30"
    assert stored.json()["timeWindowEnd"] == "16:30"


async def test_a_drop_on_a_conflict_changes_nothing_until_booked_anyway(client, week):
    pumping, dispatcher = week["pumping"], week["dispatcher"]
    # Friday 13:00–14:00 is Nia's inspection.
    refused = await client.post(
        f"/app/calendar/work-orders/{pumping['id']}/move",
        data={"date": FRIDAY, "start": "12:30"},
        headers=dispatcher.headers,
    )
    unchanged = await client.get(f"/api/v1/work-orders/{pumping['id']}", headers=dispatcher.headers)
    anyway = await client.post(
        f"/app/calendar/work-orders/{pumping['id']}/move",
        data={"date": FRIDAY, "start": "12:30", "override": "1"},
        headers=dispatcher.headers,
    )
    stored = await client.get(f"/api/v1/work-orders/{pumping['id']}", headers=dispatcher.headers)

    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    kinds = {conflict["kind"] for conflict in refused.json()["conflicts"]}
    assert kinds == {"double_booked"}
    assert refused.json()["conflicts"][0]["workOrderNumber"] == week["inspection"]["workOrderNumber"]
    assert unchanged.json()["scheduledDate"] == THURSDAY
    assert unchanged.json()["timeWindowStart"] == "09:00"
    assert anyway.status_code == 200
    assert stored.json()["scheduledDate"] == FRIDAY
    assert stored.json()["timeWindowStart"] == "12:30"


async def test_a_drop_on_the_all_day_row_keeps_only_the_day(client, week):
    pumping, dispatcher = week["pumping"], week["dispatcher"]

    moved = await client.post(
        f"/app/calendar/work-orders/{pumping['id']}/move",
        data={"date": "2026-06-16", "start": ""},
        headers=dispatcher.headers,
    )
    stored = await client.get(f"/api/v1/work-orders/{pumping['id']}", headers=dispatcher.headers)

    assert moved.status_code == 200, moved.text
    assert stored.json()["scheduledDate"] == "2026-06-16"
    assert stored.json()["timeWindowStart"] is None
    assert stored.json()["timeWindowEnd"] is None


async def test_bad_drops_are_refused_and_change_nothing(client, week):
    pumping, dispatcher, nia = week["pumping"], week["dispatcher"], week["nia"]

    late = await client.post(
        f"/app/calendar/work-orders/{pumping['id']}/move",
        data={"date": THURSDAY, "start": "23:00"},
        headers=dispatcher.headers,
    )
    no_day = await client.post(
        f"/app/calendar/work-orders/{pumping['id']}/move", data={"start": "10:00"}, headers=dispatcher.headers
    )
    not_hers = await client.post(
        f"/app/calendar/work-orders/{week['leos']['id']}/move",
        data={"date": FRIDAY, "start": "10:00"},
        headers=nia.headers,
    )
    stored = await client.get(f"/api/v1/work-orders/{pumping['id']}", headers=dispatcher.headers)
    leos = await client.get(f"/api/v1/work-orders/{week['leos']['id']}", headers=dispatcher.headers)

    assert late.status_code == 400
    assert "after midnight" in late.json()["detail"]
    assert no_day.status_code == 400
    assert no_day.json()["errors"][0]["field"] == "date"
    assert not_hers.status_code == 404
    assert stored.json()["scheduledDate"] == THURSDAY
    assert stored.json()["timeWindowStart"] == "09:00"
    assert leos.json()["scheduledDate"] == THURSDAY
