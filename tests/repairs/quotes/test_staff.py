"""Quotes for staff (issue 5, item 5): drafts priced and totalled by the server, numbering, validity,
listing, and sending (the repair moves to quoted, an earlier sent quote is superseded)."""

from __future__ import annotations

from datetime import timedelta

from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import Quote, QuoteItem, RepairItem
from tests.factories import (
    count_rows,
    event_payloads,
    make_customer,
    make_repair,
    make_user,
    stored_repair,
    walk,
)
from tests.repairs.items.bench import exact, make_bench
from tests.repairs.quotes.desk import (
    SUBTOTAL,
    TAX,
    TOTAL,
    create_quote,
    diagnosing_repair,
    quote_body,
    send_quote,
    set_valid_until,
    stored_quote,
)


async def test_a_draft_is_priced_from_the_catalog_and_totalled_by_the_server(
    client, app, sessionmaker, settings
):
    bench = await make_bench(sessionmaker)
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, manager, customer.id, bench)
    events_before = await count_rows(sessionmaker, DomainEvent)

    response = await client.post(
        f"/api/v1/repairs/{repair['id']}/quotes", json=quote_body(bench), headers=manager.headers
    )

    assert response.status_code == 201, response.text
    quote = exact(response)
    assert (quote["number"], quote["version"], quote["status"], quote["expired"]) == ("Q1", 1, "draft", False)
    assert quote["validUntil"] == (settings.shop_today() + timedelta(days=14)).isoformat()
    assert quote["notes"] == "Screen and battery; the frame is fine."
    screen, battery = quote["items"]
    assert (screen["description"], screen["priceSource"], str(screen["unitPrice"])) == (
        "Screen replacement (OLED screen)",
        "catalog",
        "199.0",
    )
    assert (str(screen["unitCost"]), screen["pricingId"]) == ("80.0", str(bench.screen_price.id))
    assert (battery["priceSource"], str(battery["unitPrice"]), str(battery["lineTotal"])) == (
        "estimate",
        "89.0",
        "80.0",
    )
    assert str(battery["estimateConfidence"]) == "0.7"
    assert [str(line["lineTotal"]) for line in quote["labour"]] == ["45.0"]
    assert (str(quote["subtotal"]), str(quote["taxRate"]), str(quote["taxAmount"]), str(quote["total"])) == (
        "324.0",
        "8.875",
        TAX,
        TOTAL,
    )
    assert quote["currency"] == "USD"
    assert (quote["sentAt"], quote["decidedAt"], quote["createdById"]) == (None, None, str(manager.id))

    stored, items, labour = await stored_quote(sessionmaker, quote["id"])
    assert (str(stored.subtotal), str(stored.tax_amount), str(stored.total)) == (SUBTOTAL, TAX, TOTAL)
    assert [(i.price_source, str(i.line_total)) for i in items] == [
        ("catalog", "199.00"),
        ("estimate", "80.00"),
    ]
    assert [str(line.line_total) for line in labour] == ["45.00"]
    # A draft changes nothing else: the repair keeps its status and has no lines, no event is published.
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "diagnosing"
    assert await count_rows(sessionmaker, RepairItem) == 0
    assert await count_rows(sessionmaker, DomainEvent) == events_before

    second = await create_quote(
        client, manager, repair["id"], quote_body(bench, validUntil=settings.shop_today().isoformat())
    )
    assert (second["number"], second["version"]) == ("Q2", 2)


async def test_bad_quotes_answer_400_and_write_nothing(client, app, sessionmaker, settings):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    free_text = await make_repair(client, admin, customer.id)
    url = f"/api/v1/repairs/{repair['id']}/quotes"
    yesterday = (settings.shop_today() - timedelta(days=1)).isoformat()

    past = await client.post(url, json=quote_body(bench, validUntil=yesterday), headers=admin.headers)
    empty = await client.post(url, json={"items": [], "labour": []}, headers=admin.headers)
    unpriceable = await client.post(
        url, json=quote_body(bench, items=[{"repairTypeId": str(bench.water.id)}]), headers=admin.headers
    )
    no_device = await client.post(
        f"/api/v1/repairs/{free_text['id']}/quotes", json=quote_body(bench), headers=admin.headers
    )
    with_total = await client.post(url, json=quote_body(bench, total="1.00"), headers=admin.headers)

    assert past.status_code == 400, past.text
    assert [e["field"] for e in past.json()["errors"]] == ["validUntil"]
    assert empty.status_code == 400
    assert unpriceable.status_code == 400
    assert [e["field"] for e in unpriceable.json()["errors"]] == ["items.0.unitPrice"]
    assert no_device.status_code == 400
    assert "deviceModelId" in no_device.json()["errors"][0]["message"]
    assert with_total.status_code == 400
    assert await count_rows(sessionmaker, Quote) == 0
    assert await count_rows(sessionmaker, QuoteItem) == 0


async def test_closed_repairs_take_no_quotes(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    await walk(client, admin, repair["id"], "cancelled")

    response = await client.post(
        f"/api/v1/repairs/{repair['id']}/quotes", json=quote_body(bench), headers=admin.headers
    )

    assert response.status_code == 409, response.text
    assert await count_rows(sessionmaker, Quote) == 0


async def test_sending_moves_the_repair_to_quoted_and_publishes_quote_sent(
    client, app, sessionmaker, settings
):
    bench = await make_bench(sessionmaker)
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, manager, customer.id, bench)
    draft = await create_quote(client, manager, repair["id"], quote_body(bench))

    sent = await send_quote(client, manager, repair["id"], draft["id"])

    assert sent["status"] == "sent"
    assert sent["sentAt"] is not None
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored.repair.status == "quoted"
    last = stored.history[-1]
    assert (last.from_status, last.to_status, last.changed_by_id, last.notes) == (
        "diagnosing",
        "quoted",
        manager.id,
        "Quote Q1 sent",
    )
    # quote_ready tells the customer; the status change itself does not send a second, generic message.
    assert last.customer_notified is False
    [event] = await event_payloads(sessionmaker, "quote.sent")
    assert event == {
        "id": draft["id"],
        "number": "Q1",
        "version": 1,
        "status": "sent",
        "repairId": repair["id"],
        "repairNumber": repair["repairNumber"],
        "customerId": str(customer.id),
        "total": 352.76,
        "currency": "USD",
        "validUntil": draft["validUntil"],
        "sentAt": event["sentAt"],
        "decidedAt": None,
        "declineReason": None,
    }
    assert event["sentAt"] is not None


async def test_a_newer_sent_quote_supersedes_the_earlier_one_and_the_repair_stays_quoted(
    client, app, sessionmaker
):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    first = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))
    draft = await create_quote(client, admin, repair["id"], quote_body(bench))
    history_before = len((await stored_repair(sessionmaker, repair["id"])).history)

    second = await send_quote(client, admin, repair["id"], draft["id"])

    assert (first["status"], second["status"]) == ("sent", "sent")
    listing = await client.get(f"/api/v1/repairs/{repair['id']}/quotes", headers=admin.headers)
    assert listing.status_code == 200, listing.text
    assert [(q["number"], q["status"]) for q in listing.json()["items"]] == [
        ("Q2", "sent"),
        ("Q1", "superseded"),
    ]
    assert listing.json()["total"] == 2
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored.repair.status == "quoted"
    assert len(stored.history) == history_before
    assert len(await event_payloads(sessionmaker, "quote.sent")) == 2


async def test_sending_is_refused_for_the_wrong_quote_or_repair_status(client, app, sessionmaker, settings):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    received = await make_repair(client, admin, customer.id, deviceModelId=str(bench.device.id))
    early = await create_quote(client, admin, received["id"], quote_body(bench))
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    sent = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))
    stale = await create_quote(client, admin, repair["id"], quote_body(bench))
    await set_valid_until(sessionmaker, stale["id"], settings.shop_today() - timedelta(days=1))
    events_before = await count_rows(sessionmaker, DomainEvent)

    wrong_status = await client.post(
        f"/api/v1/repairs/{received['id']}/quotes/{early['id']}/send", headers=admin.headers
    )
    again = await client.post(
        f"/api/v1/repairs/{repair['id']}/quotes/{sent['id']}/send", headers=admin.headers
    )
    expired = await client.post(
        f"/api/v1/repairs/{repair['id']}/quotes/{stale['id']}/send", headers=admin.headers
    )
    elsewhere = await client.post(
        f"/api/v1/repairs/{received['id']}/quotes/{stale['id']}/send", headers=admin.headers
    )

    assert wrong_status.status_code == 409, wrong_status.text
    assert "diagnosing or quoted" in wrong_status.json()["detail"]
    assert "is received" in wrong_status.json()["detail"]
    assert again.status_code == 409
    assert "Q1 is sent" in again.json()["detail"]
    assert expired.status_code == 409
    assert "expired on" in expired.json()["detail"]
    assert elsewhere.status_code == 404
    assert (await stored_repair(sessionmaker, received["id"])).repair.status == "received"
    assert (await stored_quote(sessionmaker, early["id"]))[0].status == "draft"
    assert (await stored_quote(sessionmaker, sent["id"]))[0].status == "sent"
    assert (await stored_quote(sessionmaker, stale["id"]))[0].status == "draft"
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_staff_read_quotes_with_drafts_and_costs(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, admin, customer.id, bench)
    other = await diagnosing_repair(client, admin, customer.id, bench)
    quote = await create_quote(client, admin, repair["id"], quote_body(bench))

    one = await client.get(f"/api/v1/repairs/{repair['id']}/quotes/{quote['id']}", headers=technician.headers)
    wrong_repair = await client.get(
        f"/api/v1/repairs/{other['id']}/quotes/{quote['id']}", headers=admin.headers
    )
    page = await client.get(f"/api/v1/repairs/{repair['id']}/quotes?pageSize=1", headers=admin.headers)
    missing = await client.get(
        "/api/v1/repairs/018f0000-0000-7000-8000-000000000000/quotes", headers=admin.headers
    )

    assert one.status_code == 200, one.text
    assert one.json()["status"] == "draft"
    assert one.json()["items"][0]["unitCost"] == 80.0
    assert wrong_repair.status_code == 404
    assert page.json()["pageSize"] == 1
    assert [q["id"] for q in page.json()["items"]] == [quote["id"]]
    assert missing.status_code == 404


async def test_technicians_quote_and_send_only_their_own_repairs(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    mine = await make_user(app, sessionmaker, "technician")
    other = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(client, admin, customer.id, bench, technicianId=str(mine.id))
    url = f"/api/v1/repairs/{repair['id']}/quotes"

    refused = await client.post(url, json=quote_body(bench), headers=other.headers)
    draft = await create_quote(client, mine, repair["id"], quote_body(bench))
    refused_send = await client.post(f"{url}/{draft['id']}/send", headers=other.headers)
    customer_try = await client.post(url, json=quote_body(bench), headers=customer.headers)

    assert (refused.status_code, refused_send.status_code, customer_try.status_code) == (403, 403, 403)
    assert await count_rows(sessionmaker, Quote) == 1
    assert (await stored_quote(sessionmaker, draft["id"]))[0].status == "draft"
    await send_quote(client, mine, repair["id"], draft["id"])
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "quoted"
