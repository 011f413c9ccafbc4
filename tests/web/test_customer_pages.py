"""The customers pages over HTTP (SQLite): list, search and paging, the empty state, a customer's page with
their repairs, spending, messages and activity, the create and edit forms with the API's problems next to
the fields (and nothing stored), and the portal links."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from fixdesk.customers.models import Customer
from tests.factories import TO_COMPLETED, make_customer, make_repair, make_user, walk

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def count_customers(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(Customer))).scalar_one()


async def test_an_empty_list_invites_to_add_the_first_customer(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")

    response = await client.get("/app/customers", headers=agent.headers)

    assert response.status_code == 200
    assert "No customers yet" in response.text
    assert 'href="/app/customers/new"' in response.text


async def test_the_list_searches_and_pages(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    await make_customer(app, sessionmaker, first_name="Beatriz", last_name="Moura")
    for number in range(26):
        await make_customer(app, sessionmaker, first_name="Carl", last_name=f"Number{number:02}")

    first = await client.get("/app/customers", headers=agent.headers)
    second = await client.get("/app/customers?page=2", headers=agent.headers)
    found = await client.get("/app/customers?search=moura", headers={**agent.headers, "HX-Request": "true"})
    found_in_portuguese = await client.get(
        "/app/customers?search=moura",
        headers={**agent.headers, "HX-Request": "true", "Accept-Language": "pt-PT"},
    )

    assert first.status_code == 200
    assert "27 customers" in first.text
    assert "Page 1 of 2" in first.text
    assert first.text.count("/app/customers/") - first.text.count("/app/customers/new") >= 25
    assert "Page 2 of 2" in second.text
    assert "Beatriz Moura" in found.text
    assert "1 customer<" in found.text
    assert "1 cliente<" in found_in_portuguese.text
    assert "Carl" not in found.text
    assert "<html" not in found.text  # htmx gets the results table only


async def test_creating_a_customer_stores_it_and_opens_their_page(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")

    response = await client.post(
        "/app/customers/new",
        data={
            "firstName": "Inês",
            "lastName": "Costa",
            "email": "ines@example.com",
            "phone": "(512) 555-0147",
            "language": "pt",
            "tags": "vip, corporate",
            "notifyEmail": "on",
        },
        headers=agent.headers,
    )

    assert response.status_code == 303
    async with sessionmaker() as session:
        customer = (
            await session.execute(select(Customer).where(Customer.email == "ines@example.com"))
        ).scalar_one()
    assert response.headers["location"] == f"/app/customers/{customer.id}"
    assert (customer.phone, customer.language, customer.notify_email, customer.notify_sms) == (
        "+15125550147",
        "pt",
        True,
        False,
    )
    page = await client.get(response.headers["location"], headers=agent.headers)
    assert page.status_code == 200
    assert "Inês Costa" in page.text
    assert "vip" in page.text


async def test_a_refused_form_shows_the_problems_by_field_and_stores_nothing(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    taken = await make_customer(app, sessionmaker)

    invalid = await client.post(
        "/app/customers/new",
        data={"firstName": "", "lastName": "Costa", "email": "not-an-email", "phone": "12"},
        headers=agent.headers,
    )
    duplicate = await client.post(
        "/app/customers/new",
        data={"firstName": "Rui", "lastName": "Lopes", "email": taken.email},
        headers=agent.headers,
    )

    assert invalid.status_code == 400
    assert 'id="firstName-error"' in invalid.text
    assert 'id="email-error"' in invalid.text
    assert 'value="Costa"' in invalid.text  # what was typed is kept
    assert duplicate.status_code == 409
    assert "already" in duplicate.text.lower()
    assert await count_customers(sessionmaker) == 1


async def test_editing_a_customer_changes_the_row_and_refusals_change_nothing(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Ana")

    form = await client.get(f"/app/customers/{customer.id}/edit", headers=agent.headers)
    refused = await client.post(
        f"/app/customers/{customer.id}/edit",
        data={"firstName": "Ana", "lastName": "", "country": "Portugal"},
        headers=agent.headers,
    )
    saved = await client.post(
        f"/app/customers/{customer.id}/edit",
        data={"firstName": "Ana Maria", "lastName": "Silva", "email": customer.email, "city": "Porto"},
        headers=agent.headers,
    )

    assert form.status_code == 200
    assert 'value="Ana"' in form.text
    assert refused.status_code == 400
    assert 'id="lastName-error"' in refused.text
    assert 'id="country-error"' in refused.text
    assert saved.status_code == 303
    async with sessionmaker() as session:
        row = await session.get(Customer, customer.id)
    assert (row.first_name, row.last_name, row.city) == ("Ana Maria", "Silva", "Porto")


async def test_a_customers_page_shows_repairs_spending_messages_and_activity(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    done = await make_repair(client, admin, customer.id, deviceModel="Pixel 7")
    await make_repair(client, admin, customer.id, deviceModel="Galaxy S22")
    await client.post(
        f"/api/v1/repairs/{done['id']}/items",
        json={"description": "Screen", "quantity": 1, "unitPrice": "120.00"},
        headers=admin.headers,
    )
    await walk(client, admin, done["id"], *TO_COMPLETED)

    invited = await client.post(f"/app/customers/{customer.id}/portal-invitation", headers=admin.headers)
    page = await client.get(invited.headers["location"], headers=admin.headers)

    assert invited.status_code == 303
    assert page.status_code == 200
    assert "Pixel 7" in page.text
    assert "Galaxy S22" in page.text
    assert '<div class="h2 mb-0" data-total="repairs">2</div>' in page.text
    assert '<div class="h2 mb-0" data-total="open">1</div>' in page.text
    assert "A portal invitation is on its way" in page.text
    assert "Messages sent" in page.text
    assert "portal" in page.text.lower()


async def test_a_technician_reads_customers_but_cannot_change_them(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)

    page = await client.get(f"/app/customers/{customer.id}", headers=technician.headers)
    form = await client.get("/app/customers/new", headers=technician.headers)
    post = await client.post(
        "/app/customers/new", data={"firstName": "X", "lastName": "Y"}, headers=technician.headers
    )

    assert page.status_code == 200
    assert f"/app/customers/{customer.id}/edit" not in page.text
    assert "Messages sent" not in page.text  # technicians do not read notifications
    assert (form.status_code, post.status_code) == (403, 403)
    assert await count_customers(sessionmaker) == 1


async def test_an_unknown_customer_is_a_404_page(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")

    response = await client.get(f"/app/customers/{uuid.uuid4()}", headers=agent.headers)

    assert response.status_code == 404
    assert "<html" in response.text
