"""The week calendar in Chromium (issue 11, item 10): FullCalendar draws a technician's week under the
pages' strict Content-Security-Policy, a job dragged to another day and hour is rescheduled in the
database, a drop on another job raises the booking conflict with "Book it anyway", and the page passes
axe on a laptop and on a phone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import axe_violations, guarded_page
from tests.support.polling import wait_until
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.web.conftest import sign_in_staff

pytestmark = pytest.mark.browser

# A week of its own on the shared test server (Monday), far from the other browser tests' days.
MONDAY = "2027-03-01"
WEDNESDAY = "2027-03-03"
WEEKDAYS = [{"weekday": day, "start": "08:00", "end": "17:00"} for day in range(1, 6)]


async def _as_admin(http: httpx.AsyncClient) -> dict[str, str]:
    login = await http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def _a_technicians_week(base_url: str) -> dict[str, Any]:
    """A new technician working weekdays 08:00–17:00 with two jobs on Monday (09:00–10:00 and 13:00–15:00)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        headers = await _as_admin(http)
        user = await http.post(
            "/api/v1/users",
            json={
                "email": f"tech-{uuid.uuid4().hex[:8]}@example.com",
                "firstName": "Carla",
                "lastName": "Week",
                "role": "technician",
            },
            headers=headers,
        )
        assert user.status_code == 201, user.text
        technician = await http.post(
            "/api/v1/technicians",
            json={"userId": user.json()["id"], "skills": ["HVAC"], "workingHours": WEEKDAYS},
            headers=headers,
        )
        assert technician.status_code == 201, technician.text
        customer = await http.post(
            "/api/v1/customers", json={"firstName": "Hugo", "lastName": "Calendar"}, headers=headers
        )
        jobs = []
        for service, start, end in (
            ("Boiler service", "09:00", "10:00"),
            ("Duct cleaning", "13:00", "15:00"),
        ):
            created = await http.post(
                "/api/v1/work-orders",
                json={
                    "customerId": customer.json()["id"],
                    "serviceType": service,
                    "scheduledDate": MONDAY,
                    "timeWindowStart": start,
                    "timeWindowEnd": end,
                    "technicianIds": [technician.json()["id"]],
                },
                headers=headers,
            )
            assert created.status_code == 201, created.text
            jobs.append(created.json())
    return {"technician": technician.json(), "boiler": jobs[0], "ducts": jobs[1]}


async def _stored(base_url: str, work_order_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        answer = await http.get(f"/api/v1/work-orders/{work_order_id}", headers=await _as_admin(http))
    return answer.json()


async def _drag(page: Any, work_order_id: str, day: str, minutes_later: int) -> None:
    """Drag the job's event by the mouse onto ``day``'s column, ``minutes_later`` minutes later in the day
    (the scale measured from the calendar's 09:00 and 10:00 rows). The event is grabbed by its middle: a
    press near its top edge lands in the snap interval before its start."""
    event = page.locator(f'#calendar [data-work-order="{work_order_id}"]').first
    await event.scroll_into_view_if_needed()
    column = page.locator(f'#calendar [data-date="{day}"]').last
    nine = await page.locator('#calendar [data-time="09:00:00"]').first.bounding_box()
    ten = await page.locator('#calendar [data-time="10:00:00"]').first.bounding_box()
    source, target_column = await event.bounding_box(), await column.bounding_box()
    assert source
    assert target_column
    assert nine
    assert ten
    pixels_per_minute = (ten["y"] - nine["y"]) / 60
    grab_x, grab_y = source["x"] + source["width"] / 2, source["y"] + source["height"] / 2
    await page.mouse.move(grab_x, grab_y)
    await page.mouse.down()
    await page.mouse.move(grab_x + 5, grab_y + 5, steps=5)
    await page.mouse.move(
        target_column["x"] + target_column["width"] / 2,
        grab_y + minutes_later * pixels_per_minute,
        steps=20,
    )
    await page.mouse.up()


async def test_a_job_is_rescheduled_by_dragging_it_on_the_week(browser, web_server):
    week = await _a_technicians_week(web_server.base_url)
    technician_id, boiler, ducts = week["technician"]["id"], week["boiler"], week["ducts"]

    async with guarded_page(browser, web_server.base_url, "laptop") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)
        await guarded.goto(f"/app/calendar?technician={technician_id}&week={MONDAY}")
        await expect(page.locator(f'#calendar [data-work-order="{boiler["id"]}"]').first).to_be_visible()
        assert await axe_violations(page) == []

        # Monday 09:00 → Wednesday 11:00: the hour-long window moves whole.
        await _drag(page, boiler["id"], WEDNESDAY, 120)
        await expect(page.locator("#calendar-alerts")).to_contain_text("Rescheduled")
        stored = await _stored(web_server.base_url, boiler["id"])
        assert (stored["scheduledDate"], stored["timeWindowStart"], stored["timeWindowEnd"]) == (
            WEDNESDAY,
            "11:00",
            "12:00",
        )

        # The duct cleaning onto the boiler's new hour: a conflict, nothing changed until booked anyway.
        await expect(page.locator(f'#calendar [data-work-order="{boiler["id"]}"]').first).to_be_visible()
        await _drag(page, ducts["id"], WEDNESDAY, -150)
        conflict = page.locator("#calendar-alerts .alert-warning")
        await expect(conflict).to_contain_text(boiler["workOrderNumber"])
        assert (await _stored(web_server.base_url, ducts["id"]))["scheduledDate"] == MONDAY
        await conflict.get_by_role("button", name="Book it anyway").click()
        await expect(page.locator("#calendar-alerts")).to_contain_text("Rescheduled")
        booked = await wait_until(
            lambda: _scheduled_on(web_server.base_url, ducts["id"], WEDNESDAY),
            message="the duct cleaning was not booked anyway",
        )
        assert booked["timeWindowStart"] == "10:30"
        # The conflict's 409 was the one answer expected to fail; nothing else did.
        move_url = f"{web_server.base_url}/app/calendar/work-orders/{ducts['id']}/move"
        assert guarded.failed_requests == [f"409 {move_url}"]
        guarded.failed_requests.clear()
        guarded.assert_clean()


async def _scheduled_on(base_url: str, work_order_id: str, day: str) -> dict[str, Any] | None:
    stored = await _stored(base_url, work_order_id)
    return stored if stored["scheduledDate"] == day else None


async def test_the_calendar_lists_the_week_on_a_phone(browser, web_server):
    week = await _a_technicians_week(web_server.base_url)
    async with guarded_page(browser, web_server.base_url, "phone") as guarded:
        page = guarded.page
        await guarded.goto("/app/login")
        await sign_in_staff(page)
        await guarded.goto(f"/app/calendar?technician={week['technician']['id']}&week={MONDAY}")
        await expect(page.locator("#calendar").get_by_text("Boiler service").first).to_be_visible()
        await expect(page.locator("[data-calendar-table]")).to_contain_text(week["ducts"]["workOrderNumber"])
        assert await axe_violations(page) == []
        guarded.assert_clean()
