"""Technicians: profiles on staff users, validation, filters and paging, and who may see what."""

from __future__ import annotations

import pytest

from fixdesk.fieldservice.models import Technician
from tests.factories import count_rows, make_user
from tests.fieldservice.helpers import WEEKDAYS, make_technician


async def test_a_technician_profile_is_created_on_a_staff_user_and_read_back(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    user = await make_user(app, sessionmaker, "technician", first_name="Mike", last_name="Johnson")
    body = {
        "user_id": str(user.id),
        "phone": "512-555-0101",
        "skills": ["HVAC", "Plumbing", "hvac", "Septic"],
        "hourly_rate": "45.50",
        "homeAddress": "1100 Congress Ave, Austin",
        "homeLatitude": 30.2747,
        "homeLongitude": -97.7404,
        "workingHours": WEEKDAYS,
        "timeOff": [
            {"startsAt": "2026-12-24T00:00:00Z", "endsAt": "2026-12-27T00:00:00Z", "reason": "Holiday"}
        ],
    }
    response = await client.post("/api/v1/technicians", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["firstName"] == "Mike"
    assert created["lastName"] == "Johnson"
    assert created["email"] == user.email
    assert created["skills"] == ["HVAC", "Plumbing", "Septic"]
    assert created["hourlyRate"] == 45.5
    assert created["homeGeocodeStatus"] == "given"
    assert created["workingHours"][0] == {
        "weekday": 1,
        "start": "08:00",
        "end": "17:00",
        "breaks": [{"start": "12:00", "end": "12:30"}],
    }
    assert created["timeOff"][0]["startsAt"] == "2026-12-24T00:00:00Z"
    assert created["timeZone"] == "UTC"
    fetched = await client.get(f"/api/v1/technicians/{created['id']}", headers=admin.headers)
    assert fetched.json() == created

    again = await client.post("/api/v1/technicians", json={"userId": str(user.id)}, headers=admin.headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hourlyRate": "-1"}, "hourlyRate"),
        ({"homeLatitude": 91, "homeLongitude": 0}, "homeLatitude"),
        ({"workingHours": [{"weekday": 8, "start": "08:00", "end": "17:00"}]}, "workingHours.0.weekday"),
        ({"workingHours": [{"weekday": 1, "start": "18:00", "end": "17:00"}]}, "workingHours.0"),
        (
            {"timeOff": [{"startsAt": "2026-12-24T00:00:00", "endsAt": "2026-12-25T00:00:00Z"}]},
            "timeOff.0.startsAt",
        ),
        ({"userId": "not-a-uuid"}, "userId"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    app, client, sessionmaker, change, field
):
    admin = await make_user(app, sessionmaker, "admin")
    user = await make_user(app, sessionmaker, "technician")
    response = await client.post(
        "/api/v1/technicians", json={"userId": str(user.id), **change}, headers=admin.headers
    )
    assert response.status_code == 400, response.text
    assert any(error["field"].startswith(field) for error in response.json()["errors"]), response.json()
    assert await count_rows(sessionmaker, Technician) == 0


async def test_an_agent_cannot_be_a_technician_and_an_unknown_user_is_named(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    agent = await make_user(app, sessionmaker, "agent")
    response = await client.post("/api/v1/technicians", json={"userId": str(agent.id)}, headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "userId"


async def test_list_filters_by_search_active_and_skill_with_paging(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    _, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike", skills=["HVAC"])
    _, rosa = await make_technician(
        client, app, sessionmaker, admin, first_name="Rosa", skills=["Septic", "HVAC"]
    )
    _, olga = await make_technician(client, app, sessionmaker, admin, first_name="Olga", skills=["Plumbing"])
    off = await client.patch(
        f"/api/v1/technicians/{olga['id']}", json={"isActive": False}, headers=admin.headers
    )
    assert off.status_code == 200
    assert off.json()["isActive"] is False

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/v1/technicians?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["firstName"] for item in response.json()["items"]]

    assert await names("") == ["Mike", "Rosa", "Olga"]
    assert await names("skill=hvac") == ["Mike", "Rosa"]
    assert await names("activeOnly=true") == ["Mike", "Rosa"]
    assert await names("active_only=true&skill=plumbing") == []
    assert await names("search=ros") == ["Rosa"]
    page = (await client.get("/api/v1/technicians?pageSize=2&page=2", headers=admin.headers)).json()
    assert [item["firstName"] for item in page["items"]] == ["Olga"]
    assert (page["total"], page["totalPages"]) == (3, 2)
    assert mike["id"] != rosa["id"]


async def test_technicians_read_only_their_own_profile_and_cannot_manage(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    mike_user, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    _, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    listed = (await client.get("/api/v1/technicians", headers=mike_user.headers)).json()
    assert [item["id"] for item in listed["items"]] == [mike["id"]]
    assert (
        await client.get(f"/api/v1/technicians/{mike['id']}", headers=mike_user.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/technicians/{rosa['id']}", headers=mike_user.headers)
    ).status_code == 404
    change = await client.patch(
        f"/api/v1/technicians/{mike['id']}", json={"skills": []}, headers=mike_user.headers
    )
    assert change.status_code == 403
