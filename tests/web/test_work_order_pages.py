"""The work order pages of the staff app over HTTP (issue 11, item 10, first part): the list with its
filters, a work order's page, and the status change with the API's rules (a technician: their own only)."""

from __future__ import annotations

import pytest

from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
    pytest.mark.usefixtures("fixed_clock"),
]


@pytest.fixture
async def field(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    nia_user, nia = await make_technician(client, app, sessionmaker, manager, first_name="Nia")
    customer = await make_customer(app, sessionmaker, first_name="Rita", last_name="Nunes")
    house = await make_location(
        client, manager, customer.id, addressLine1="412 Oak Street", accessNotes="Gate 4321"
    )
    booked = await make_work_order(
        client,
        manager,
        customer.id,
        locationId=house["id"],
        serviceType="Septic pumping",
        scheduledDate="2026-06-18",
        timeWindowStart="09:00",
        timeWindowEnd="11:00",
        technicianIds=[nia["id"]],
    )
    draft = await make_work_order(
        client, manager, customer.id, locationId=house["id"], serviceType="AC check"
    )
    return {"manager": manager, "nia": nia_user, "booked": booked, "draft": draft}


async def test_the_list_shows_and_filters_the_work_orders(client, field):
    manager = field["manager"]

    everything = await client.get("/app/work-orders", headers=manager.headers)
    drafts = await client.get("/app/work-orders?status=draft", headers=manager.headers)
    bad = await client.get("/app/work-orders?from=tomorrow", headers=manager.headers)

    assert everything.status_code == 200
    assert field["booked"]["workOrderNumber"] in everything.text
    assert "Septic pumping" in everything.text
    assert "Nia" in everything.text
    assert field["draft"]["workOrderNumber"] in drafts.text
    assert field["booked"]["workOrderNumber"] not in drafts.text
    assert bad.status_code == 400
    assert 'href="/app/work-orders"' in everything.text  # the menu entries
    assert 'href="/app/dispatch"' in everything.text
    assert 'href="/app/my-day"' in everything.text


async def test_the_page_shows_the_job_and_moves_it_on(client, field):
    manager, booked = field["manager"], field["booked"]
    path = f"/app/work-orders/{booked['id']}"

    page = await client.get(path, headers=manager.headers)
    moved = await client.post(
        f"{path}/status", data={"status": "in_progress", "note": "Arrived"}, headers=manager.headers
    )
    after = await client.get(path, headers=manager.headers)
    refused = await client.post(f"{path}/status", data={"status": "draft"}, headers=manager.headers)

    assert page.status_code == 200
    assert "412 Oak Street" in page.text
    assert "Gate 4321" in page.text
    assert '<option value="in_progress">' in page.text
    assert moved.status_code == 303
    assert "In progress" in after.text
    assert "Arrived" in after.text
    assert refused.status_code == 409
    assert "status-problem" in refused.text
    stored = await client.get(f"/api/v1/work-orders/{booked['id']}", headers=manager.headers)
    assert stored.json()["status"] == "in_progress"


async def test_a_technician_sees_only_their_own(client, field):
    nia = field["nia"]

    listed = await client.get("/app/work-orders", headers=nia.headers)
    own = await client.get(f"/app/work-orders/{field['booked']['id']}", headers=nia.headers)
    other = await client.get(f"/app/work-orders/{field['draft']['id']}", headers=nia.headers)

    assert field["booked"]["workOrderNumber"] in listed.text
    assert field["draft"]["workOrderNumber"] not in listed.text
    assert 'href="/app/my-day"' in listed.text
    assert 'href="/app/dispatch"' not in listed.text  # technicians do not dispatch
    assert own.status_code == 200
    assert other.status_code == 404


async def test_the_technicians_day_page_runs_a_visit_from_on_my_way_to_finished(
    client, app, sessionmaker, field
):
    nia = field["nia"]
    booked = field["booked"]
    day = await client.get("/app/my-day?date=2026-06-18", headers=nia.headers)
    on_the_way = await client.post(f"/app/my-day/{booked['id']}/on-my-way", headers=nia.headers)
    started = await client.post(
        f"/app/work-orders/{booked['id']}/status", data={"status": "in_progress"}, headers=nia.headers
    )
    finishing = await client.get("/app/my-day?date=2026-06-18", headers=nia.headers)
    finished = await client.post(
        f"/app/my-day/{booked['id']}/complete",
        data={"notes": "Pumped", "time_on_site": "80", "sign_off_name": "Rita Nunes"},
        headers=nia.headers,
    )
    nobody = await client.get("/app/my-day", headers=field["manager"].headers)

    assert day.status_code == 200
    assert "Septic pumping" in day.text
    assert "On my way" in day.text
    # Nia's home base has no coordinates: the page says so, and nothing is sent.
    assert on_the_way.status_code == 400
    assert "home base has no coordinates" in on_the_way.text
    assert started.status_code == 303
    assert "Finish the visit" in finishing.text
    assert finished.status_code == 303
    stored = await client.get(f"/api/v1/work-orders/{booked['id']}", headers=field["manager"].headers)
    assert stored.json()["status"] == "completed"
    assert (stored.json()["signOffName"], stored.json()["timeOnSiteMinutes"]) == ("Rita Nunes", 80)
    assert "You have no technician profile" in nobody.text


async def test_the_finish_form_takes_photos_and_the_work_order_page_shows_them(client, field, settings):
    from tests.repairs.attachments import files
    from tests.repairs.attachments.conftest import stored_files

    nia, booked, manager = field["nia"], field["booked"], field["manager"]
    await client.post(
        f"/app/work-orders/{booked['id']}/status", data={"status": "in_progress"}, headers=nia.headers
    )
    form = await client.get("/app/my-day?date=2026-06-18", headers=nia.headers)

    # A refused photo (not an image) stops the whole finish: nothing stored, still in progress.
    refused = await client.post(
        f"/app/my-day/{booked['id']}/complete",
        data={"sign_off_name": "Rita Nunes"},
        files=[
            ("photos", ("a.jpg", files.jpeg(), "image/jpeg")),
            ("photos", ("x.jpg", files.TEXT, "image/jpeg")),
        ],
        headers=nia.headers,
    )
    assert refused.status_code == 400
    assert stored_files(settings) == {}
    still = await client.get(f"/api/v1/work-orders/{booked['id']}", headers=manager.headers)
    assert still.json()["status"] == "in_progress"

    finished = await client.post(
        f"/app/my-day/{booked['id']}/complete",
        data={"sign_off_name": "Rita Nunes"},
        files=[
            ("photos", ("before.jpg", files.jpeg(), "image/jpeg")),
            ("photos", ("after.png", files.png(), "image/png")),
        ],
        headers=nia.headers,
    )
    page = await client.get(f"/app/work-orders/{booked['id']}", headers=manager.headers)

    assert 'capture="environment"' in form.text
    assert 'name="photos"' in form.text
    assert " multiple" in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert finished.status_code == 303, finished.text
    stored = (await client.get(f"/api/v1/work-orders/{booked['id']}", headers=manager.headers)).json()
    assert stored["status"] == "completed"
    assert [(photo["fileName"], photo["kind"]) for photo in stored["photos"]] == [
        ("before.jpg", "after"),
        ("after.png", "after"),
    ]
    assert len(stored_files(settings)) == 2
    for photo in stored["photos"]:
        file_url = f"/app/work-orders/{booked['id']}/attachments/{photo['id']}/file"
        assert f'src="{file_url}"' in page.text  # a thumbnail
        thumbnail = await client.get(file_url, headers=manager.headers)
        assert thumbnail.status_code == 200
        assert thumbnail.headers["content-type"] == photo["contentType"]


async def test_a_photo_is_added_on_the_work_order_page_and_a_refused_one_is_explained(
    client, field, settings
):
    from tests.repairs.attachments import files
    from tests.repairs.attachments.conftest import stored_files

    manager, booked = field["manager"], field["booked"]
    path = f"/app/work-orders/{booked['id']}"

    added = await client.post(
        f"{path}/attachments",
        data={"kind": "nameplate", "description": "Pump plate"},
        files={"file": ("plate.png", files.png(), "image/png")},
        headers=manager.headers,
    )
    refused = await client.post(
        f"{path}/attachments",
        data={"kind": "before"},
        files={"file": ("scan.pdf", files.pdf(), "application/pdf")},
        headers=manager.headers,
    )
    other = await client.get(f"{path}/attachments/{booked['id']}/file", headers=field["nia"].headers)
    page = await client.get(path, headers=manager.headers)

    assert added.status_code == 303
    assert refused.status_code == 400
    assert "photos-problem" in refused.text
    assert "Equipment plate" in page.text
    assert "Pump plate" in page.text
    assert len(stored_files(settings)) == 1
    assert other.status_code == 404
