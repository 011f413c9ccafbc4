"""Technicians' private iCalendar feeds (issue 11, item 4): the token shown once and stored hashed, who may
issue and revoke it, rotation and revocation, and a feed that parses with ``icalendar`` and shows the
service type, the customer's first name, the address and the window: nothing else about the customer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from fixdesk.fieldservice.models import Technician
from fixdesk.platform.security import hash_secret
from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")  # today is Wednesday 2026-06-17

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, shop_timezone="America/Chicago")


def _feed_url(issued: dict) -> str:
    parts = urlsplit(issued["url"])
    return f"{parts.path}?{parts.query}"


async def test_the_feed_lists_the_technicians_jobs_with_first_name_address_and_window_only(
    app, client, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(
        app,
        sessionmaker,
        first_name="Ana",
        last_name="Silvaberg",
        phone="+15125550123",
        email="ana@example.com",
    )
    location = await make_location(client, admin, customer.id, addressLine1="42 Cedar Lane", city="Austin")
    mike_user, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    _, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    windowed = await make_work_order(
        client,
        admin,
        customer.id,
        locationId=location["id"],
        scheduledDate="2026-06-22",
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[mike["id"]],
        notes="Dog in the yard; call Ana Silvaberg on +15125550123",
    )
    all_day = await make_work_order(
        client,
        admin,
        customer.id,
        serviceType="Inspection",
        scheduledDate="2026-05-18",
        technicianIds=[mike["id"]],
    )
    # Outside the window (31 days back, a Sunday: overridden; 91 ahead), someone else's, and a cancelled
    # job: not in the feed. 2026-05-18, 30 days back, is.
    await make_work_order(
        client, admin, customer.id, scheduledDate="2026-05-17", technicianIds=[mike["id"]], override=True
    )
    await make_work_order(client, admin, customer.id, scheduledDate="2026-09-16", technicianIds=[mike["id"]])
    await make_work_order(client, admin, customer.id, scheduledDate="2026-06-23", technicianIds=[rosa["id"]])
    cancelled = await make_work_order(
        client, admin, customer.id, scheduledDate="2026-06-24", technicianIds=[mike["id"]]
    )
    await client.put(
        f"/api/v1/work-orders/{cancelled['id']}/status", json={"status": "cancelled"}, headers=admin.headers
    )

    issued = await client.post(f"/api/v1/technicians/{mike['id']}/calendar-token", headers=mike_user.headers)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert issued.json()["url"].endswith(f"/api/v1/technicians/{mike['id']}/calendar.ics?token={token}")
    async with sessionmaker() as session:
        stored = (
            await session.execute(
                select(Technician.calendar_token_hash).where(Technician.id == uuid.UUID(mike["id"]))
            )
        ).scalar_one()
    assert stored == hash_secret(token) != token

    response = await client.get(_feed_url(issued.json()))  # no credentials but the token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    text = response.text
    for secret in ("Silvaberg", "5550123", "ana@example.com", "Dog in the yard"):
        assert secret not in text
    calendar = Calendar.from_ical(response.content)
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"{windowed['id']}@fixdesk", f"{all_day['id']}@fixdesk"}

    job = events[f"{windowed['id']}@fixdesk"]
    assert str(job["summary"]) == "Pumping - Ana"
    assert str(job["location"]) == "42 Cedar Lane, Austin"
    assert job["dtstart"].dt == datetime(2026, 6, 22, 9, 0, tzinfo=CHICAGO)
    assert job["dtend"].dt == datetime(2026, 6, 22, 11, 0, tzinfo=CHICAGO)
    assert job["dtstart"].params["TZID"] == "America/Chicago"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]
    assert set(job) <= {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS"}
    assert str(job["description"]) == windowed["workOrderNumber"]

    whole_day = events[f"{all_day['id']}@fixdesk"]
    assert str(whole_day["summary"]) == "Inspection - Ana"
    assert (whole_day["dtstart"].dt, whole_day["dtend"].dt) == (date(2026, 5, 18), date(2026, 5, 19))
    assert "location" not in whole_day

    # The UID stays when the job moves, so a calendar app moves the event instead of adding one.
    moved = await client.patch(
        f"/api/v1/work-orders/{windowed['id']}",
        json={"timeWindowStart": "13:00", "timeWindowEnd": "15:00"},
        headers=admin.headers,
    )
    assert moved.status_code == 200
    again = Calendar.from_ical((await client.get(_feed_url(issued.json()))).content)
    job = next(event for event in again.walk("VEVENT") if str(event["uid"]) == f"{windowed['id']}@fixdesk")
    assert job["dtstart"].dt == datetime(2026, 6, 22, 13, 0, tzinfo=CHICAGO)


async def test_tokens_rotate_and_revoke_and_only_the_right_people_hold_them(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    mike_user, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    rosa_user, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    token_url = f"/api/v1/technicians/{mike['id']}/calendar-token"

    first = await client.post(token_url, headers=manager.headers)
    assert first.status_code == 201
    assert (await client.get(_feed_url(first.json()))).status_code == 200
    second = await client.post(token_url, headers=mike_user.headers)
    assert second.status_code == 201
    assert second.json()["token"] != first.json()["token"]
    assert (await client.get(_feed_url(first.json()))).status_code == 404  # replaced
    assert (await client.get(_feed_url(second.json()))).status_code == 200

    # Rosa cannot see Mike's profile (404); an agent may read it but not hand out his calendar (403).
    assert (await client.post(token_url, headers=rosa_user.headers)).status_code == 404
    assert (await client.delete(token_url, headers=rosa_user.headers)).status_code == 404
    assert (await client.post(token_url, headers=agent.headers)).status_code == 403
    assert (await client.get(_feed_url(second.json()))).status_code == 200

    feed = f"/api/v1/technicians/{mike['id']}/calendar.ics"
    assert (await client.get(f"{feed}?token=cal_wrong")).status_code == 404
    assert (await client.get(feed)).status_code == 400
    rosa_feed = f"/api/v1/technicians/{rosa['id']}/calendar.ics?token={second.json()['token']}"
    assert (await client.get(rosa_feed)).status_code == 404  # Mike's token opens only Mike's feed

    assert (await client.delete(token_url, headers=mike_user.headers)).status_code == 204
    assert (await client.get(_feed_url(second.json()))).status_code == 404
    assert (await client.delete(token_url, headers=admin.headers)).status_code == 204  # nothing left: fine
    third = await client.post(token_url, headers=admin.headers)
    assert (await client.get(_feed_url(third.json()))).status_code == 200

    deactivated = await client.patch(
        f"/api/v1/technicians/{mike['id']}", json={"isActive": False}, headers=admin.headers
    )
    assert deactivated.status_code == 200, deactivated.text
    assert (await client.get(_feed_url(third.json()))).status_code == 404
