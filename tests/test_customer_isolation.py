"""A customer can neither read nor change another customer's anything (issue 4, item 8 b).

Customers A and B each have repairs, sent notifications and (B) a login session. A's token then goes to
every self-service route of the app (``/api/v1/customer/*`` and the routes open to any signed-in principal,
read from the route table so a new one is covered without editing this file) with B's ids in the path and
in the query, and with bodies naming B; and to every staff route with B's ids. A gets 404 for B's things,
403 on staff routes, never a trace of B in an answer, and B's rows in the database (customer, repairs and
their history, notifications, sessions and refresh tokens, deletion requests) are exactly as before.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.credentials.models import AuthSession, RefreshToken
from fixdesk.customers.models import Customer
from fixdesk.identity.models import AccountDeletion
from fixdesk.messaging.models import Notification
from fixdesk.platform.jobs.worker import Worker
from fixdesk.platform.permissions import CUSTOMER_PORTAL_PERMISSION
from fixdesk.repairs.models import (
    Quote,
    Repair,
    RepairAttachment,
    RepairItem,
    RepairReview,
    RepairStatusHistory,
)
from fixdesk.services import build_services
from tests.billing.helpers import finalize, make_invoice
from tests.conftest import Database
from tests.factories import Actor, make_customer, make_repair, make_user, walk
from tests.repairs.attachments.files import png
from tests.test_authorization_matrix import BODY_METHODS, PATH_PARAMETER, Endpoint, read_route_table

B_PASSWORD = "b-portal-passphrase"


async def send_queued_messages(settings: Settings, database: Database) -> None:
    """Run the job worker until idle, so repair events become notifications that were sent (the portal
    inbox lists only messages that went out)."""
    services = build_services(settings)
    worker = Worker(
        database.sessionmaker,
        read_sessionmaker=database.read_sessionmaker,
        settings=settings,
        services=services,
        concurrency=1,
        run_periodic=False,
    )
    try:
        await worker.drain()
    finally:
        await services.aclose()


def row_values(row: Any) -> dict[str, Any]:
    return {attribute.key: getattr(row, attribute.key) for attribute in inspect(row).mapper.column_attrs}


async def rows(session: AsyncSession, model: Any, *conditions: Any) -> list[dict[str, Any]]:
    result = await session.execute(select(model).where(*conditions).order_by(model.id))
    return [row_values(row) for row in result.scalars()]


async def snapshot(sessionmaker: async_sessionmaker[AsyncSession], customer_id: uuid.UUID) -> dict:
    """Every row that belongs to the customer, as committed."""
    async with sessionmaker() as session:
        repair_ids = select(Repair.id).where(Repair.customer_id == customer_id)
        session_ids = select(AuthSession.id).where(AuthSession.customer_id == customer_id)
        return {
            "customer": await rows(session, Customer, Customer.id == customer_id),
            "repairs": await rows(session, Repair, Repair.customer_id == customer_id),
            "history": await rows(
                session, RepairStatusHistory, RepairStatusHistory.repair_id.in_(repair_ids)
            ),
            "notifications": await rows(session, Notification, Notification.customer_id == customer_id),
            "sessions": await rows(session, AuthSession, AuthSession.customer_id == customer_id),
            "refresh_tokens": await rows(session, RefreshToken, RefreshToken.session_id.in_(session_ids)),
            "deletions": await rows(session, AccountDeletion, AccountDeletion.customer_id == customer_id),
            "quotes": await rows(session, Quote, Quote.repair_id.in_(repair_ids)),
            "items": await rows(session, RepairItem, RepairItem.repair_id.in_(repair_ids)),
            "attachments": await rows(session, RepairAttachment, RepairAttachment.repair_id.in_(repair_ids)),
            "reviews": await rows(session, RepairReview, RepairReview.customer_id == customer_id),
        }


async def notification_ids(sessionmaker: async_sessionmaker[AsyncSession], customer_id: uuid.UUID) -> list:
    async with sessionmaker() as session:
        statement = select(Notification.id).where(
            Notification.customer_id == customer_id, Notification.status == "sent"
        )
        return list((await session.execute(statement)).scalars())


async def two_customers(app, client, sessionmaker, settings, database) -> dict[str, Any]:
    """Customers A and B with repairs, sent notifications and (B) a login session; ids by path parameter."""
    manager = await make_user(app, sessionmaker, "manager")
    alice = await make_customer(app, sessionmaker, first_name="Alice")
    bob = await make_customer(
        app, sessionmaker, first_name="Bob", last_name="Ortiz-Bobson", portal_password=B_PASSWORD
    )
    alices_repair = await make_repair(client, manager, alice.id)
    bobs_repairs = [await make_repair(client, manager, bob.id) for _ in range(2)]
    await walk(client, manager, bobs_repairs[1]["id"], "diagnosing")
    # B's first repair has a quote waiting for his approval and a public photo.
    await walk(client, manager, bobs_repairs[0]["id"], "diagnosing")
    quote = await client.post(
        f"/api/v1/repairs/{bobs_repairs[0]['id']}/quotes",
        json={"items": [{"description": "Screen", "unitPrice": "99.00"}], "send": True},
        headers=manager.headers,
    )
    assert quote.status_code == 201, quote.text
    photo = await client.post(
        f"/api/v1/repairs/{bobs_repairs[0]['id']}/attachments",
        data={"kind": "before", "isPublic": "true"},
        files={"file": ("front.png", png(), "image/png")},
        headers=manager.headers,
    )
    assert photo.status_code == 201, photo.text
    # B owes an issued invoice (the portal's invoices, their PDF and Checkout).
    invoice = await finalize(client, manager, (await make_invoice(client, manager, bob.id))["id"])
    await send_queued_messages(settings, database)
    login = await client.post("/api/v1/auth/login", json={"email": bob.email, "password": B_PASSWORD})
    assert login.status_code == 200, login.text
    bobs_notifications = await notification_ids(sessionmaker, bob.id)
    alices_notifications = await notification_ids(sessionmaker, alice.id)
    assert bobs_notifications
    assert alices_notifications
    async with sessionmaker() as session:
        bobs_session = (
            await session.execute(select(AuthSession.id).where(AuthSession.customer_id == bob.id))
        ).scalar_one()
    return {
        "manager": manager,
        "alice": alice,
        "bob": bob,
        "alices_repair": alices_repair["id"],
        "alices_notification": str(alices_notifications[0]),
        # B's ids, by the name of the path parameter they fill.
        "bobs_ids": {
            "customer_id": str(bob.id),
            "repair_id": bobs_repairs[0]["id"],
            "notification_id": str(bobs_notifications[0]),
            "session_id": str(bobs_session),
            "quote_id": quote.json()["id"],
            "attachment_id": photo.json()["id"],
            "invoice_id": invoice["id"],
        },
        "bobs_traces": {
            str(bob.id),
            bob.email,
            "Ortiz-Bobson",
            *(r["id"] for r in bobs_repairs),
            *(r["repairNumber"] for r in bobs_repairs),
            *(str(n) for n in bobs_notifications),
            str(bobs_session),
            quote.json()["id"],
            photo.json()["id"],
            invoice["id"],
            invoice["invoiceNumber"],
        },
    }


def with_bobs_ids(endpoint: Endpoint, bobs_ids: dict[str, str], *, every_parameter: bool = True) -> str:
    """The endpoint's path with B's ids; other parameters (staff routes only) get random ids."""

    def fill(match: Any) -> str:
        name = match.group(0).strip("{}").split(":")[0]
        if name not in bobs_ids:
            # A new self-service route must be tried with B's real id, not a random one.
            assert not every_parameter, f"{endpoint.label}: give B's id for {{{name}}} in two_customers()"
            return str(uuid.uuid4())
        return bobs_ids[name]

    return PATH_PARAMETER.sub(fill, endpoint.path)


def is_self_service(endpoint: Endpoint) -> bool:
    return endpoint.rule.kind == "authenticated" or endpoint.rule.permissions == {CUSTOMER_PORTAL_PERMISSION}


async def test_a_customer_cannot_read_or_change_another_customers_anything(
    app, client, sessionmaker, settings, database
):
    scene = await two_customers(app, client, sessionmaker, settings, database)
    alice: Actor = scene["alice"]
    bob: Actor = scene["bob"]
    bobs_ids: dict[str, str] = scene["bobs_ids"]
    # The controls: A reaches her own repair and notification through the routes that refuse B's.
    own_repair = await client.get(f"/api/v1/customer/repairs/{scene['alices_repair']}", headers=alice.headers)
    assert own_repair.status_code == 200, own_repair.text
    own_read = await client.post(
        f"/api/v1/customer/notifications/{scene['alices_notification']}/read", headers=alice.headers
    )
    assert own_read.status_code == 200, own_read.text
    before = await snapshot(sessionmaker, bob.id)
    # Fields naming B, for every body A sends; the known self-service writes get a body that would be
    # valid apart from them, so it is the naming of B that is ignored or refused.
    naming_b = {"id": str(bob.id), "customerId": str(bob.id), "customer_id": str(bob.id), "email": bob.email}
    bodies = {
        ("PUT", "/api/v1/customer/profile"): {**naming_b, "firstName": "Mallory"},
        ("PATCH", "/api/v1/users/me"): {**naming_b, "firstName": "Mallory"},
        ("DELETE", "/api/v1/users/me"): {"confirmEmail": bob.email},
        ("POST", "/api/v1/customer/repairs/{repair_id}/review"): {"rating": 1, "comment": "Mallory was here"},
        ("POST", "/api/v1/customer/repairs/{repair_id}/quotes/{quote_id}/decline"): {"reason": "Mallory"},
    }
    query = {"customerId": str(bob.id), "customer_id": str(bob.id), "id": str(bob.id)}

    table = read_route_table(app)
    self_service = [e for e in table.endpoints if is_self_service(e)]
    staff_only = [e for e in table.endpoints if e.rule.kind == "permission" and not is_self_service(e)]
    assert {e.label for e in self_service} >= {
        "GET /api/v1/customer/repairs/{repair_id}",
        "POST /api/v1/customer/notifications/{notification_id}/read",
        "PUT /api/v1/customer/profile",
        "DELETE /api/v1/users/me/sessions/{session_id}",
    }
    broken: list[str] = []
    for endpoint in self_service:
        body = bodies.get((endpoint.method, endpoint.path), naming_b)
        response = await client.request(
            endpoint.method,
            with_bobs_ids(endpoint, bobs_ids),
            params=query,
            headers=alice.headers,
            json=body if endpoint.method in BODY_METHODS or endpoint.method == "DELETE" else None,
        )
        status = response.status_code
        if PATH_PARAMETER.search(endpoint.path):
            if status != 404:
                broken.append(f"{endpoint.label} with B's id: {status}, not 404 {response.text[:200]}")
        elif status >= 500 or status in (401, 403):
            broken.append(f"{endpoint.label}: {status} {response.text[:200]}")
        # An id A sent may come back in the 404's message; anything else of B's may not.
        sent = str(response.request.url) + response.request.content.decode()
        leaked = sorted(t for t in scene["bobs_traces"] if t in response.text and t not in sent)
        if leaked:
            broken.append(f"{endpoint.label} shows A B's {leaked}")
    for endpoint in staff_only:
        response = await client.request(
            endpoint.method,
            with_bobs_ids(endpoint, bobs_ids, every_parameter=False),
            headers=alice.headers,
            json={} if endpoint.method in BODY_METHODS else None,
        )
        if response.status_code != 403:
            broken.append(f"{endpoint.label} (staff) with B's ids: {response.status_code}, not 403")

    assert broken == []
    assert await snapshot(sessionmaker, bob.id) == before
    bobs_repair = await client.get(f"/api/v1/customer/repairs/{bobs_ids['repair_id']}", headers=bob.headers)
    assert bobs_repair.status_code == 200, bobs_repair.text


async def test_a_profile_update_changes_the_caller_only(app, client, sessionmaker, settings, database):
    scene = await two_customers(app, client, sessionmaker, settings, database)
    alice: Actor = scene["alice"]
    bob: Actor = scene["bob"]
    before = await snapshot(sessionmaker, bob.id)

    naming_b = await client.put(
        "/api/v1/customer/profile",
        json={"id": str(bob.id), "firstName": "Mallory"},
        headers=alice.headers,
    )
    targeted = await client.put(
        "/api/v1/customer/profile",
        params={"customerId": str(bob.id), "id": str(bob.id)},
        json={"firstName": "Alicia", "city": "Porto"},
        headers=alice.headers,
    )

    # A field naming someone else is not part of the profile: refused, nothing applied.
    assert naming_b.status_code == 400, naming_b.text
    # Query parameters do not choose whose profile changes: the token does.
    assert targeted.status_code == 200, targeted.text
    assert (targeted.json()["id"], targeted.json()["firstName"]) == (str(alice.id), "Alicia")
    async with sessionmaker() as session:
        stored = await session.get(Customer, alice.id)
        assert stored is not None
        assert (stored.first_name, stored.city) == ("Alicia", "Porto")
    assert await snapshot(sessionmaker, bob.id) == before
    assert before["customer"][0]["first_name"] == "Bob"
