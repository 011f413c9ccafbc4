"""Quotes in the customer portal (issue 5, item 5; seed 000's portal): the customer sees the quotes sent to
them (never drafts), approves one (the repair is approved and the quote's lines become its items) or
declines it with a reason; expired, decided and other customers' quotes are refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import Quote, RepairItem, RepairStatusHistory
from tests.factories import count_rows, event_payloads, make_customer, make_user, stored_repair, walk
from tests.repairs.items.bench import exact, make_bench, stored_lines, stored_totals
from tests.repairs.quotes.desk import (
    SUBTOTAL,
    TAX,
    TOTAL,
    create_quote,
    diagnosing_repair,
    quote_body,
    sent_quote,
    set_valid_until,
    stored_quote,
)


def portal(repair_id: str, quote_id: str | None = None, action: str | None = None) -> str:
    url = f"/api/v1/customer/repairs/{repair_id}/quotes"
    if quote_id:
        url += f"/{quote_id}"
    if action:
        url += f"/{action}"
    return url


async def test_the_customer_sees_sent_quotes_but_never_drafts_or_the_shops_costs(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, first = await sent_quote(client, admin, customer.id, bench)
    second = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))
    draft = await create_quote(client, admin, repair["id"], quote_body(bench))

    response = await client.get(portal(repair["id"]), headers=customer.headers)

    assert response.status_code == 200, response.text
    page = response.json()
    assert [(q["id"], q["number"], q["status"]) for q in page["items"]] == [
        (second["id"], "Q2", "sent"),
        (first["id"], "Q1", "superseded"),
    ]
    assert page["total"] == 2
    assert draft["id"] not in response.text
    item = page["items"][0]["items"][0]
    assert item["unitPrice"] == 199.0
    for secret in ("unitCost", "pricingId", "priceSource", "estimateConfidence", "createdById"):
        assert secret not in item
        assert secret not in page["items"][0]
    assert page["items"][0]["total"] == float(TOTAL)
    # A draft cannot be acted on either: to the customer it does not exist.
    approve_draft = await client.post(portal(repair["id"], draft["id"], "approve"), headers=customer.headers)
    assert approve_draft.status_code == 404
    assert (await stored_quote(sessionmaker, draft["id"]))[0].status == "draft"


async def test_another_customer_gets_404_and_changes_nothing(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    owner = await make_customer(app, sessionmaker)
    stranger = await make_customer(app, sessionmaker)
    repair, quote = await sent_quote(client, admin, owner.id, bench)
    events_before = await count_rows(sessionmaker, DomainEvent)

    listing = await client.get(portal(repair["id"]), headers=stranger.headers)
    approve = await client.post(portal(repair["id"], quote["id"], "approve"), headers=stranger.headers)
    decline = await client.post(
        portal(repair["id"], quote["id"], "decline"), json={}, headers=stranger.headers
    )
    staff = await client.post(portal(repair["id"], quote["id"], "approve"), headers=admin.headers)

    assert [listing.status_code, approve.status_code, decline.status_code] == [404, 404, 404]
    assert staff.status_code == 403
    assert (await stored_quote(sessionmaker, quote["id"]))[0].status == "sent"
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "quoted"
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_approving_moves_the_repair_on_and_makes_the_quote_lines_its_items(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    # The repair had a line before the quote (a diagnosis fee); the approved quote replaces it.
    repair = await diagnosing_repair(
        client, admin, customer.id, bench, items=[{"description": "Diagnosis", "unitPrice": "15.00"}]
    )
    quote = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))

    response = await client.post(portal(repair["id"], quote["id"], "approve"), headers=customer.headers)

    assert response.status_code == 200, response.text
    approved = exact(response)
    assert (approved["status"], approved["number"]) == ("approved", "Q1")
    assert approved["decidedAt"] is not None
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored.repair.status == "approved"
    last = stored.history[-1]
    assert (last.from_status, last.to_status, last.changed_by_id, last.notes) == (
        "quoted",
        "approved",
        None,
        "Quote Q1 approved by the customer",
    )
    items, labour = await stored_lines(sessionmaker, repair["id"])
    assert [
        (i.description, i.price_source, str(i.unit_price), str(i.discount), str(i.line_total)) for i in items
    ] == [
        ("Screen replacement (OLED screen)", "quote", "199.00", "0.00", "199.00"),
        ("Battery replacement (Battery cell)", "quote", "89.00", "9.00", "80.00"),
    ]
    assert (items[0].repair_type_id, items[0].part_type_id, items[0].pricing_id) == (
        bench.screen.id,
        bench.oled.id,
        bench.screen_price.id,
    )
    assert str(items[0].unit_cost) == "80.00"
    assert [(line.description, str(line.line_total)) for line in labour] == [("Fitting", "45.00")]
    assert await stored_totals(sessionmaker, repair["id"]) == (SUBTOTAL, TAX, TOTAL)

    [event] = await event_payloads(sessionmaker, "quote.approved")
    assert (event["id"], event["status"], event["total"], event["customerId"]) == (
        quote["id"],
        "approved",
        float(TOTAL),
        str(customer.id),
    )
    [change] = [
        e for e in await event_payloads(sessionmaker, "repair.status_changed") if e["toStatus"] == "approved"
    ]
    assert change["changedById"] is None
    updated = await event_payloads(sessionmaker, "repair.updated")
    assert updated[-1]["changedFields"] == ["items", "labour", "totalCost"]
    # The customer's own view of the repair shows the new lines and totals.
    mine = exact(await client.get(f"/api/v1/customer/repairs/{repair['id']}", headers=customer.headers))
    assert [line["priceSource"] for line in mine["items"]] == ["quote", "quote"]
    assert str(mine["totalCost"]) == TOTAL


async def test_a_decided_or_superseded_quote_cannot_be_decided_again(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, first = await sent_quote(client, admin, customer.id, bench)
    second = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))
    assert (
        await client.post(portal(repair["id"], second["id"], "approve"), headers=customer.headers)
    ).is_success
    history_before = await count_rows(sessionmaker, RepairStatusHistory)
    events_before = await count_rows(sessionmaker, DomainEvent)

    again = await client.post(portal(repair["id"], second["id"], "approve"), headers=customer.headers)
    decline = await client.post(portal(repair["id"], second["id"], "decline"), headers=customer.headers)
    superseded = await client.post(portal(repair["id"], first["id"], "approve"), headers=customer.headers)

    assert again.status_code == 409, again.text
    assert again.json()["status"] == "approved"
    assert "Q2 is approved" in again.json()["detail"]
    assert decline.status_code == 409
    assert superseded.status_code == 409
    assert superseded.json()["status"] == "superseded"
    assert (await stored_quote(sessionmaker, second["id"]))[0].decline_reason is None
    assert await count_rows(sessionmaker, RepairStatusHistory) == history_before
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_declining_records_the_reason_and_the_repair_stays_quoted(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, quote = await sent_quote(client, admin, customer.id, bench)
    other_repair, other_quote = await sent_quote(client, admin, customer.id, bench)
    history_before = await count_rows(sessionmaker, RepairStatusHistory)

    response = await client.post(
        portal(repair["id"], quote["id"], "decline"),
        json={"reason": "Too expensive; I will buy a new phone."},
        headers=customer.headers,
    )
    without_reason = await client.post(
        portal(other_repair["id"], other_quote["id"], "decline"), headers=customer.headers
    )

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["declineReason"]) == (
        "declined",
        "Too expensive; I will buy a new phone.",
    )
    assert without_reason.status_code == 200, without_reason.text
    assert without_reason.json()["declineReason"] is None
    stored, _, _ = await stored_quote(sessionmaker, quote["id"])
    assert (stored.status, stored.decline_reason) == ("declined", "Too expensive; I will buy a new phone.")
    assert stored.decided_at is not None
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "quoted"
    assert await count_rows(sessionmaker, RepairStatusHistory) == history_before
    assert await count_rows(sessionmaker, RepairItem) == 0
    events = await event_payloads(sessionmaker, "quote.declined")
    assert [(e["id"], e["declineReason"]) for e in events] == [
        (quote["id"], "Too expensive; I will buy a new phone."),
        (other_quote["id"], None),
    ]
    # The shop can go back to diagnosing and quote again.
    await walk(client, admin, repair["id"], "diagnosing")


async def test_an_expired_quote_cannot_be_approved_or_declined(client, app, sessionmaker, settings):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, quote = await sent_quote(client, admin, customer.id, bench)
    yesterday = settings.shop_today() - timedelta(days=1)
    await set_valid_until(sessionmaker, quote["id"], yesterday)
    events_before = await count_rows(sessionmaker, DomainEvent)

    listing = await client.get(portal(repair["id"]), headers=customer.headers)
    approve = await client.post(portal(repair["id"], quote["id"], "approve"), headers=customer.headers)
    decline = await client.post(
        portal(repair["id"], quote["id"], "decline"), json={"reason": "No"}, headers=customer.headers
    )

    assert listing.json()["items"][0]["expired"] is True
    for response in (approve, decline):
        assert response.status_code == 409, response.text
        assert f"expired on {yesterday.isoformat()}" in response.json()["detail"]
        assert response.json()["validUntil"] == yesterday.isoformat()
    stored, _, _ = await stored_quote(sessionmaker, quote["id"])
    assert (stored.status, stored.decided_at, stored.decline_reason) == ("sent", None, None)
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "quoted"
    assert await count_rows(sessionmaker, RepairItem) == 0
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_a_quote_is_valid_through_its_last_day(client, app, sessionmaker, settings):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, quote = await sent_quote(
        client, admin, customer.id, bench, validUntil=settings.shop_today().isoformat()
    )

    response = await client.post(portal(repair["id"], quote["id"], "approve"), headers=customer.headers)

    assert response.status_code == 200, response.text
    assert response.json()["expired"] is False


async def test_a_quote_cannot_be_approved_while_the_shop_is_re_quoting(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, quote = await sent_quote(client, admin, customer.id, bench)
    await walk(client, admin, repair["id"], "diagnosing")

    response = await client.post(portal(repair["id"], quote["id"], "approve"), headers=customer.headers)

    assert response.status_code == 409, response.text
    assert "is diagnosing" in response.json()["detail"]
    assert (await stored_quote(sessionmaker, quote["id"]))[0].status == "sent"
    assert (await stored_repair(sessionmaker, repair["id"])).repair.status == "diagnosing"


@pytest.mark.commits  # concurrent requests, each on its own connection
async def test_two_decisions_at_once_do_not_both_win(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair, quote = await sent_quote(client, admin, customer.id, bench)
    other_repair, other_quote = await sent_quote(client, admin, customer.id, bench)

    approvals = await asyncio.gather(
        *(
            client.post(portal(repair["id"], quote["id"], "approve"), headers=customer.headers)
            for _ in range(3)
        )
    )
    mixed = await asyncio.gather(
        client.post(portal(other_repair["id"], other_quote["id"], "approve"), headers=customer.headers),
        client.post(
            portal(other_repair["id"], other_quote["id"], "decline"), json={}, headers=customer.headers
        ),
    )

    assert sorted(r.status_code for r in approvals) == [200, 409, 409], [r.text for r in approvals]
    assert sorted(r.status_code for r in mixed) == [200, 409], [r.text for r in mixed]
    stored = await stored_repair(sessionmaker, repair["id"])
    assert [row.to_status for row in stored.history].count("approved") == 1
    items, labour = await stored_lines(sessionmaker, repair["id"])
    assert (len(items), len(labour)) == (2, 1)
    assert len(await event_payloads(sessionmaker, "quote.approved")) == 1 + (mixed[0].status_code == 200)
    winner = (await stored_quote(sessionmaker, other_quote["id"]))[0].status
    assert winner == ("approved" if mixed[0].status_code == 200 else "declined")
    assert await count_rows(sessionmaker, Quote) == 2
