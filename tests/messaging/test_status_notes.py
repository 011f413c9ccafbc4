"""A status change's internal note stays with the staff (issue 9, item 12): ``notes`` is internal,
``customerNote`` (or seed-style ``customer_note``) is what the customer reads in the email, the SMS and the
portal's timeline. Staff see both; an internal note such as "-> completed" never reaches the customer."""

from __future__ import annotations

from tests.factories import event_payloads, make_customer, make_repair, make_user, walk

PHONE = "+351912345678"
INTERNAL = "-> completed, customer was rude on the phone"
FOR_CUSTOMER = "Your phone is ready; come by after 3 pm."


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_text(message) -> str:
    return message.get_body(("html",)).get_content()


async def put_status(client, staff, repair_id: str, **body):
    response = await client.put(f"/api/v1/repairs/{repair_id}/status", json=body, headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_customer_reads_only_the_customer_note(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, phone=PHONE)
    repair = await make_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], "diagnosing", "quoted", "approved", "repairing", "testing")

    detail = await put_status(
        client,
        staff,
        repair["id"],
        status="completed",
        notes=INTERNAL,
        customerNote=FOR_CUSTOMER,
        notifyCustomer=True,
    )
    await courier.drain()

    # The email and the SMS carry the customer note, never the internal one.
    *_, ready = courier.emails()
    assert ready["Subject"].startswith("Your Apple iPhone 13 is ready for pickup")
    assert f"Note from the shop: {FOR_CUSTOMER}" in plain_text(ready)
    assert FOR_CUSTOMER in html_text(ready)
    for message in courier.emails():
        assert INTERNAL not in plain_text(message) + html_text(message)
    assert all(INTERNAL not in text["body"] for text in courier.texts())
    # Staff see both notes on the history row.
    last = detail["statusHistory"][-1]
    assert (last["toStatus"], last["notes"], last["customerNote"]) == ("completed", INTERNAL, FOR_CUSTOMER)
    # The portal's timeline shows the customer note only.
    portal = await client.get(f"/api/v1/customer/repairs/{repair['id']}", headers=customer.headers)
    assert portal.status_code == 200, portal.text
    timeline = portal.json()["statusHistory"]
    assert [change["notes"] for change in timeline] == [None] * len(timeline)
    assert timeline[-1]["customerNote"] == FOR_CUSTOMER
    assert INTERNAL not in portal.text
    # Webhook subscribers (staff systems) get both in the event.
    [event] = [
        e for e in await event_payloads(sessionmaker, "repair.status_changed") if e["toStatus"] == "completed"
    ]
    assert (event["notes"], event["customerNote"]) == (INTERNAL, FOR_CUSTOMER)


async def test_an_internal_note_alone_sends_no_note_at_all(app, client, sessionmaker, courier):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)

    await put_status(client, staff, repair["id"], status="diagnosing", notes=INTERNAL, notifyCustomer=True)
    await courier.drain()

    *_, update = courier.emails()
    assert "Note from the shop" not in plain_text(update)
    assert INTERNAL not in plain_text(update) + html_text(update)


async def test_the_seed_spelling_customer_note_is_accepted(app, client, sessionmaker):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)

    detail = await put_status(
        client, staff, repair["id"], status="diagnosing", customer_note=FOR_CUSTOMER, notify_customer=False
    )

    assert detail["statusHistory"][-1]["customerNote"] == FOR_CUSTOMER
    assert detail["statusHistory"][-1]["notes"] is None
    too_long = await client.put(
        f"/api/v1/repairs/{repair['id']}/status",
        json={"status": "quoted", "customerNote": "x" * 2001},
        headers=staff.headers,
    )
    assert too_long.status_code == 400
    assert [error["field"] for error in too_long.json()["errors"]] == ["customerNote"]
