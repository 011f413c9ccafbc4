"""The staff dashboard, the repairs board and kanban, and the repair page over HTTP (issue 10, item 3).

Pages are opened with a bearer token (the API's own authentication; the browser's cookie session is
another way to the same principal). Posts carry no CSRF token: requests with a bearer header are exempt.
SQLite only: the pages call the same services whose SQL the API tests run on both backends.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from fixdesk.db import utcnow
from tests.factories import count_rows, make_customer, make_repair, make_user, stored_repair, walk
from tests.repairs.attachments.files import png

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

HTMX = {"HX-Request": "true"}


def _with(actor, extra=None):
    return {**actor.headers, **(extra or {})}


async def _shop(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager", first_name="Mia")
    technician = await make_user(app, sessionmaker, "technician", first_name="Tess")
    customer = await make_customer(app, sessionmaker, first_name="Ana", last_name="Silva")
    return manager, technician, customer


# --- dashboard -----------------------------------------------------------------------------------------


async def test_dashboard_shows_today_due_overdue_counts_and_charts(client, app, sessionmaker):
    manager, _technician, customer = await _shop(client, app, sessionmaker)
    overdue_at = (utcnow() - timedelta(hours=1)).isoformat()
    late = await make_repair(client, manager, customer.id, estimatedCompletion=overdue_at)
    await make_repair(client, manager, customer.id, deviceModel="Pixel 8")
    await walk(client, manager, late["id"], "diagnosing")

    response = await client.get("/app", headers=manager.headers)

    assert response.status_code == 200, response.text
    page = response.text
    assert 'data-figure="intake">2<' in page
    assert 'data-figure="overdue">1<' in page
    assert 'data-figure="open">2<' in page
    assert re.search(r'data-count="diagnosing">.*?<span class="ms-auto fw-bold">1</span>', page, re.S)
    assert f'data-due="{late["id"]}"' in page
    # Managers read analytics: the charts' data comes along as JSON for the chart script.
    assert 'id="dashboard-charts"' in page
    assert "chart.umd.min.js" in page


async def test_dashboard_leaves_the_charts_out_for_who_may_not_read_analytics(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")

    response = await client.get("/app", headers=technician.headers)

    assert response.status_code == 200
    assert 'id="dashboard-charts"' not in response.text
    assert "No device taken in today yet." in response.text


async def test_dashboard_summary_part_follows_a_new_repair(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    before = await client.get("/app/dashboard/summary", headers=manager.headers)
    await make_repair(client, manager, customer.id)

    after = await client.get("/app/dashboard/summary", headers=manager.headers)

    assert 'data-figure="intake">0<' in before.text
    assert 'data-figure="intake">1<' in after.text
    assert "<html" not in after.text


async def test_pages_need_a_signed_in_user_and_the_permission(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    anonymous = await client.get("/app/repairs?status=open")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/app/login?next=%2Fapp%2Frepairs%3Fstatus%3Dopen"
    assert (await client.get("/app")).headers["location"].startswith("/app/login")
    refused = await client.get("/app/repairs", headers=customer.headers)
    assert refused.status_code == 403
    assert "Not allowed" in refused.text


# --- board ---------------------------------------------------------------------------------------------


async def test_board_filters_searches_and_pages(client, app, sessionmaker):
    manager, technician, customer = await _shop(client, app, sessionmaker)
    other = await make_customer(app, sessionmaker, first_name="Bruno", last_name="Costa")
    mine = await make_repair(client, manager, customer.id, technicianId=str(technician.id))
    theirs = await make_repair(client, manager, other.id, deviceBrand="Samsung", deviceModel="Galaxy S22")
    await walk(client, manager, theirs["id"], "diagnosing")

    everything = await client.get("/app/repairs", headers=manager.headers)
    by_status = await client.get("/app/repairs?status=diagnosing", headers=manager.headers)
    by_technician = await client.get(f"/app/repairs?technician={technician.id}", headers=manager.headers)
    unassigned = await client.get("/app/repairs?technician=none", headers=manager.headers)
    searched = await client.get("/app/repairs?q=bruno", headers=manager.headers)
    searched_in_portuguese = await client.get(
        "/app/repairs?q=bruno", headers=_with(manager, {"Accept-Language": "pt-PT"})
    )
    everything_in_portuguese = await client.get(
        "/app/repairs", headers=_with(manager, {"Accept-Language": "pt-PT"})
    )

    assert everything.status_code == 200
    assert "2 repairs · page 1 of 1" in everything.text
    assert "2 reparações · página 1 de 1" in everything_in_portuguese.text
    assert "1 repair · page 1 of 1" in searched.text
    assert "1 reparação · página 1 de 1" in searched_in_portuguese.text
    assert mine["repairNumber"] in everything.text
    assert theirs["repairNumber"] in everything.text
    assert 'class="badge bg-azure-lt status-badge" data-status="diagnosing">Diagnosing<' in everything.text
    assert theirs["repairNumber"] in by_status.text
    assert mine["repairNumber"] not in by_status.text
    assert mine["repairNumber"] in by_technician.text
    assert theirs["repairNumber"] not in by_technician.text
    assert theirs["repairNumber"] in unassigned.text
    assert mine["repairNumber"] not in unassigned.text
    assert theirs["repairNumber"] in searched.text
    assert mine["repairNumber"] not in searched.text


async def test_board_pages_by_25(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    numbers = [(await make_repair(client, manager, customer.id))["repairNumber"] for _ in range(26)]

    first = await client.get("/app/repairs", headers=manager.headers)
    second = await client.get("/app/repairs?page=2", headers=manager.headers)

    assert "26 repairs · page 1 of 2" in first.text
    assert numbers[0] not in first.text
    assert numbers[-1] in first.text
    assert numbers[0] in second.text
    assert numbers[-1] not in second.text


async def test_board_date_range_and_empty_states(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    empty = await client.get("/app/repairs", headers=manager.headers)
    await make_repair(client, manager, customer.id)

    none_then = await client.get("/app/repairs?from=2001-01-01&to=2001-01-31", headers=manager.headers)
    malformed = await client.get("/app/repairs?from=yesterday", headers=manager.headers)

    assert "No repairs yet" in empty.text
    assert "No repair matches these filters" in none_then.text
    assert malformed.status_code == 400
    assert "must be a date" in malformed.text


async def test_kanban_offers_drops_only_on_allowed_columns(client, app, sessionmaker):
    manager, technician, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    colleagues = await make_repair(client, manager, customer.id, technicianId=str(manager.id))

    as_manager = await client.get("/app/repairs?view=kanban", headers=manager.headers)
    as_technician = await client.get("/app/repairs?view=kanban", headers=technician.headers)

    assert as_manager.status_code == 200
    card = re.search(rf'<li class="kanban-card[^>]*data-repair="{repair["id"]}"', as_manager.text, re.S)
    assert card is not None
    assert 'data-allowed="diagnosing cancelled"' in card.group(0)
    assert 'data-column="received"' in as_manager.text
    assert 'data-column="completed"' in as_manager.text
    assert "kanban.js" in as_manager.text
    # A technician may not move a repair that is not theirs: the card is not draggable for them.
    theirs = re.search(
        rf'<li class="kanban-card[^>]*data-repair="{colleagues["id"]}"', as_technician.text, re.S
    )
    assert theirs is not None
    assert "draggable" not in theirs.group(0)


async def test_a_drop_on_a_column_the_lifecycle_refuses_is_a_409_and_changes_nothing(
    client, app, sessionmaker
):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    refused = await client.post(
        f"/app/repairs/{repair['id']}/status", data={"status": "completed"}, headers=_with(manager, HTMX)
    )
    moved = await client.post(
        f"/app/repairs/{repair['id']}/status", data={"status": "diagnosing"}, headers=_with(manager, HTMX)
    )

    assert refused.status_code == 409
    assert "Illegal status transition" in refused.text
    assert 'role="alert"' in refused.text
    assert "<html" not in refused.text
    assert moved.status_code == 204
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored.repair.status == "diagnosing"
    assert [change.to_status for change in stored.history] == ["received", "diagnosing"]


# --- repair page ---------------------------------------------------------------------------------------


async def test_repair_page_shows_the_repair_its_timeline_and_only_allowed_next_states(
    client, app, sessionmaker
):
    manager, technician, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    await walk(client, manager, repair["id"], "diagnosing")

    response = await client.get(f"/app/repairs/{repair['id']}", headers=manager.headers)

    assert response.status_code == 200
    page = response.text
    assert repair["repairNumber"] in page
    assert "Apple iPhone 13" in page
    assert "Ana Silva" in page
    assert 'data-history="received"' in page
    assert 'data-history="diagnosing"' in page
    options = re.search(r'<select id="status-next".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([a-z_]+)"', options) == ["quoted", "cancelled"]
    assert repair["trackingUrl"] in page
    assert f'href="/app/repairs/{repair["id"]}/receipt"' in page
    assert f'<option value="{technician.id}"' in page


async def test_status_change_with_a_customer_note_records_it_for_the_customer(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    response = await client.post(
        f"/app/repairs/{repair['id']}/status",
        data={"status": "diagnosing", "note": "We are looking at it", "note_for": "customer"},
        headers=manager.headers,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/app/repairs/{repair['id']}#status"
    last = (await stored_repair(sessionmaker, repair["id"])).history[-1]
    assert (last.to_status, last.customer_note, last.notes, last.customer_notified) == (
        "diagnosing",
        "We are looking at it",
        None,
        False,
    )
    page = (await client.get(f"/app/repairs/{repair['id']}", headers=manager.headers)).text
    assert "To the customer:</span> We are looking at it" in page


async def test_refused_status_change_shows_the_problem_on_the_page(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    illegal = await client.post(
        f"/app/repairs/{repair['id']}/status", data={"status": "delivered"}, headers=manager.headers
    )
    unknown = await client.post(
        f"/app/repairs/{repair['id']}/status", data={"status": "lost"}, headers=manager.headers
    )

    assert illegal.status_code == 409
    assert 'id="status-problem"' in illegal.text
    assert "Illegal status transition" in illegal.text
    assert unknown.status_code == 400
    assert 'id="status-next-error"' in unknown.text
    assert "unknown status" in unknown.text
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "received"


async def test_a_technician_cannot_change_someone_elses_repair(client, app, sessionmaker):
    manager, technician, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id, technicianId=str(manager.id))

    page = await client.get(f"/app/repairs/{repair['id']}", headers=technician.headers)
    status = await client.post(
        f"/app/repairs/{repair['id']}/status", data={"status": "diagnosing"}, headers=technician.headers
    )
    line = await client.post(
        f"/app/repairs/{repair['id']}/items",
        data={"description": "Screen", "unit_price": "99.00"},
        headers=technician.headers,
    )
    assign = await client.post(
        f"/app/repairs/{repair['id']}/assign",
        data={"technician_id": str(technician.id)},
        headers=technician.headers,
    )

    assert page.status_code == 200
    assert 'id="status-next"' not in page.text
    assert "Only the technician it is assigned to" in page.text
    assert status.status_code == 403
    assert "Not allowed" in status.text
    assert line.status_code == 403
    assert assign.status_code == 403
    stored = await stored_repair(sessionmaker, repair["id"])
    assert (stored.repair.status, stored.repair.technician_id, stored.repair.subtotal) == (
        "received",
        manager.id,
        Decimal("0.00"),
    )


async def test_manager_assigns_and_unassigns_a_technician(client, app, sessionmaker):
    manager, technician, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    assigned = await client.post(
        f"/app/repairs/{repair['id']}/assign",
        data={"technician_id": str(technician.id)},
        headers=manager.headers,
    )
    stored_assigned = (await stored_repair(sessionmaker, repair["id"])).repair.technician_id
    unassigned = await client.post(
        f"/app/repairs/{repair['id']}/assign", data={"technician_id": ""}, headers=manager.headers
    )
    unknown = await client.post(
        f"/app/repairs/{repair['id']}/assign",
        data={"technician_id": str(uuid.uuid4())},
        headers=manager.headers,
    )

    assert assigned.status_code == 303
    assert stored_assigned == technician.id
    assert unassigned.status_code == 303
    assert unknown.status_code == 400
    assert "no active technician" in unknown.text
    assert (await stored_repair(sessionmaker, repair["id"])).repair.technician_id is None


async def test_lines_add_and_remove_rerender_the_totals(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    url = f"/app/repairs/{repair['id']}"

    item = await client.post(
        f"{url}/items",
        data={"description": "Screen", "quantity": "2", "unit_price": "50.00"},
        headers=_with(manager, HTMX),
    )
    labour = await client.post(
        f"{url}/labour",
        data={"labour_description": "Fitting", "hours": "1.5", "rate": "40.00"},
        headers=_with(manager, HTMX),
    )
    invalid = await client.post(
        f"{url}/items", data={"description": "Glue", "unit_price": "-3"}, headers=_with(manager, HTMX)
    )

    assert item.status_code == 200
    assert "<html" not in item.text
    assert 'data-total="total">$100.00<' in item.text
    assert 'data-total="total">$160.00<' in labour.text
    assert invalid.status_code == 400
    assert 'id="item-unit-price-error"' in invalid.text
    assert (await stored_repair(sessionmaker, repair["id"])).repair.total_cost == Decimal("160.00")

    item_id = re.search(rf"{url}/items/([0-9a-f-]+)/delete", labour.text).group(1)
    removed = await client.post(f"{url}/items/{item_id}/delete", headers=_with(manager, HTMX))
    assert 'data-total="total">$60.00<' in removed.text
    assert 'hx-confirm="Remove this line?"' in removed.text
    assert (await stored_repair(sessionmaker, repair["id"])).repair.total_cost == Decimal("60.00")


async def test_quote_built_from_the_lines_and_sent(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    await walk(client, manager, repair["id"], "diagnosing")
    url = f"/app/repairs/{repair['id']}"
    await client.post(
        f"{url}/items", data={"description": "Screen", "unit_price": "120.00"}, headers=manager.headers
    )

    draft = await client.post(f"{url}/quotes", data={"notes": "Original part"}, headers=manager.headers)
    page = (await client.get(url, headers=manager.headers)).text
    quote_id = re.search(r'data-quote="([0-9a-f-]+)"', page).group(1)
    sent = await client.post(f"{url}/quotes/{quote_id}/send", headers=manager.headers)
    after = (await client.get(url, headers=manager.headers)).text

    assert draft.status_code == 303
    assert 'data-quote-status="draft"' in page
    assert "$120.00" in page
    assert sent.status_code == 303
    assert 'data-quote-status="sent"' in after
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "quoted"


async def test_quote_without_lines_shows_the_apis_problem(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    response = await client.post(f"/app/repairs/{repair['id']}/quotes", data={}, headers=manager.headers)

    assert response.status_code == 400
    assert 'id="quotes-problem"' in response.text
    assert "a quote needs at least one item or labour line" in response.text


async def test_photo_upload_gallery_public_toggle_and_delete(client, app, sessionmaker):
    from fixdesk.repairs.models import RepairAttachment

    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    url = f"/app/repairs/{repair['id']}"

    uploaded = await client.post(
        f"{url}/attachments",
        data={"kind": "before", "description": "Cracked corner"},
        files={"file": ("front.png", png(), "image/png")},
        headers=manager.headers,
    )
    page = (await client.get(url, headers=manager.headers)).text
    attachment_id = re.search(r'data-attachment="([0-9a-f-]+)"', page).group(1)
    # The gallery shows the photo from the staff app's own path (the API takes bearer tokens only).
    image_path = f"{url}/attachments/{attachment_id}/file"
    image = await client.get(image_path, headers=manager.headers)
    published = await client.post(
        f"{url}/attachments/{attachment_id}/visibility", data={"public": "on"}, headers=manager.headers
    )
    shown = (await client.get(url, headers=manager.headers)).text
    not_an_image = await client.post(
        f"{url}/attachments",
        data={"kind": "after"},
        files={"file": ("a.png", b"hello", "image/png")},
        headers=manager.headers,
    )
    deleted = await client.post(f"{url}/attachments/{attachment_id}/delete", headers=manager.headers)

    assert uploaded.status_code == 303
    assert 'alt="Cracked corner"' in page
    assert f'src="{image_path}"' in page
    assert image.status_code == 200
    assert image.content == png()
    assert image.headers["content-type"] == "image/png"
    assert "Staff only" in page
    assert published.status_code == 303
    assert "Shown to the customer" in shown
    assert not_an_image.status_code == 400
    assert 'id="photos-problem"' in not_an_image.text
    assert deleted.status_code == 303
    assert await count_rows(sessionmaker, RepairAttachment) == 0


async def test_receipt_is_a_printable_page_of_the_intake(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    response = await client.get(f"/app/repairs/{repair['id']}/receipt", headers=manager.headers)

    assert response.status_code == 200
    assert f"data-receipt-number>{repair['repairNumber']}<" in response.text
    assert "Cracked screen after a drop" in response.text
    assert "$20.00" in response.text
    assert repair["trackingUrl"] in response.text
    assert "navbar-vertical" not in response.text


async def test_unknown_repair_is_a_404_page(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")

    response = await client.get(f"/app/repairs/{uuid.uuid4()}", headers=manager.headers)

    assert response.status_code == 404
    assert "Page not found" in response.text or "Not found" in response.text


async def test_pages_speak_portuguese(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)

    response = await client.get(
        f"/app/repairs/{repair['id']}", headers=_with(manager, {"Accept-Language": "pt-PT"})
    )

    assert '<html lang="pt">' in response.text
    assert ">Recebida<" in response.text


async def test_warranty_shows_coverage_and_takes_a_claim(client, app, sessionmaker):
    from tests.repairs.warranty.conftest import make_bench

    bench = await make_bench(client, app, sessionmaker)
    repair, warranty = await bench.completed_repair()
    url = f"/app/repairs/{repair['id']}"

    page = await client.get(url, headers=bench.admin.headers)
    claimed = await client.post(
        f"{url}/warranty/claims",
        data={"warranty_id": str(warranty.id), "issue_description": "Touch stops working"},
        headers=bench.admin.headers,
    )
    blank = await client.post(
        f"{url}/warranty/claims", data={"warranty_id": str(warranty.id)}, headers=bench.admin.headers
    )

    assert f'data-warranty="{warranty.id}"' in page.text
    assert "Covered until" in page.text
    assert claimed.status_code == 303
    job_id = claimed.headers["location"].rsplit("/", 1)[-1]
    job = await stored_repair(sessionmaker, job_id)
    assert job.repair.warranty_claim_of_id == uuid.UUID(repair["id"])
    assert blank.status_code == 400
    assert 'id="warranty-problem"' in blank.text


async def test_the_customers_answer_to_a_quote_shows_on_the_page(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    await walk(client, manager, repair["id"], "diagnosing")
    url = f"/app/repairs/{repair['id']}"
    await client.post(
        f"{url}/quotes",
        data={"description": "Screen", "unit_price": "150.00", "send": "on"},
        headers=manager.headers,
    )
    page = (await client.get(url, headers=manager.headers)).text
    quote_id = re.search(r'data-quote="([0-9a-f-]+)"', page).group(1)

    declined = await client.post(
        f"/api/v1/customer/repairs/{repair['id']}/quotes/{quote_id}/decline",
        json={"reason": "Too expensive for an old phone"},
        headers=customer.headers,
    )
    after = (await client.get(url, headers=manager.headers)).text

    assert declined.status_code == 200, declined.text
    assert 'data-quote-status="declined"' in after
    assert "<q>Too expensive for an old phone</q>" in after


async def test_the_front_door_shows_no_figure_to_who_is_not_a_signed_in_staff_user(client, app, sessionmaker):
    manager, _, customer = await _shop(client, app, sessionmaker)
    await make_repair(client, manager, customer.id)

    anonymous = await client.get("/app")
    portal_customer = await client.get("/app", headers=customer.headers)
    staff = await client.get("/app", headers=manager.headers)

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/app/login?next=%2Fapp"
    assert portal_customer.status_code == 403
    assert "data-figure" not in portal_customer.text
    assert "data-figure" in staff.text
    # The signed-in dashboard listens to the API's live events and refreshes its summary from them.
    assert 'data-live-endpoint="/api/v1/ws"' in staff.text
    assert 'hx-get="/app/dashboard/summary"' in staff.text
    assert "fixdesk/dashboard." in staff.text


async def test_a_device_whose_model_names_its_brand_is_shown_with_the_brand_once(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id, deviceBrand="Nokia", deviceModel="Nokia 7.2")

    board = await client.get("/app/repairs", headers=staff.headers)
    page = await client.get(f"/app/repairs/{repair['id']}", headers=staff.headers)

    for answer in (board, page):
        assert "Nokia 7.2" in answer.text
        assert "Nokia Nokia" not in answer.text
