"""The signed-in account: ``GET/PATCH /users/me`` for staff and customers, and account deletion (scheduled
by the holder, carried out by the periodic purge job when due, repairs kept with an anonymous customer)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from fixdesk.audit.service import Action
from fixdesk.credentials.models import AuthSession
from fixdesk.customers.models import Customer
from fixdesk.db import transaction, utcnow
from fixdesk.identity.jobs import PURGE_JOB
from fixdesk.identity.models import AccountDeletion, User
from fixdesk.messaging.models import Notification
from fixdesk.platform.jobs import enqueue, registry
from fixdesk.repairs.models import Repair
from tests.conftest import unique_email
from tests.factories import make_customer, make_repair, make_user
from tests.identity.conftest import Mailroom, assert_problem, audit_entries, bearer_header

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"


async def log_in(client, email: str) -> dict:
    response = await client.post(LOGIN, json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


async def delete_me(client, headers: dict[str, str], **body: Any):
    return await client.request("DELETE", ME, json=body, headers=headers)


async def load(sessionmaker, model: Any, id_: uuid.UUID) -> Any:
    async with sessionmaker() as session:
        if model is Customer:
            statement = select(Customer).options(selectinload(Customer.tags)).where(Customer.id == id_)
            return (await session.execute(statement)).scalar_one()
        return await session.get(model, id_)


async def run_purge(mailroom: Mailroom, sessionmaker) -> None:
    """Run the periodic purge job now, as the scheduler would enqueue it."""
    async with transaction(sessionmaker) as session:
        await enqueue(session, PURGE_JOB, {})
    await mailroom.drain()


async def make_due(sessionmaker) -> None:
    async with transaction(sessionmaker) as session:
        await session.execute(update(AccountDeletion).values(scheduled_for=utcnow() - timedelta(minutes=1)))


# --- reading and changing the profile ----------------------------------------------------------------


async def test_me_for_staff_includes_locale_time_zone_and_no_pending_deletion(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent", first_name="Rita", last_name="Lopes")

    response = await client.get(ME, headers=agent.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["principalType"] == "user"
    assert (body["firstName"], body["lastName"], body["role"]) == ("Rita", "Lopes", "agent")
    assert body["timezone"] is None
    assert body["locale"] is None
    assert body["deletionScheduledFor"] is None
    assert body["extraPermissions"] == []


async def test_me_for_a_customer_shows_the_account(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, first_name="Lia", phone="+44 20 7946 0958")

    body = (await client.get(ME, headers=customer.headers)).json()

    assert body["id"] == str(customer.id)
    assert body["principalType"] == "customer"
    assert body["phone"] == "+442079460958"
    assert body["verified"] is False
    assert body["language"] == "en"
    assert body["permissions"] == ["portal:self"]


async def test_staff_change_their_profile(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician")

    response = await client.patch(
        ME,
        json={
            "firstName": "Rui",
            "phoneNumber": "+351 912 345 678",
            "timezone": "Europe/Lisbon",
            "locale": "pt-pt",
        },
        headers=tech.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["firstName"], body["lastName"]) == ("Rui", "Technician")
    assert (body["phone"], body["timezone"], body["locale"]) == ("+351912345678", "Europe/Lisbon", "pt-PT")
    stored = await load(sessionmaker, User, tech.id)
    assert (stored.first_name, stored.phone, stored.timezone, stored.locale) == (
        "Rui",
        "+351912345678",
        "Europe/Lisbon",
        "pt-PT",
    )
    [entry] = await audit_entries(sessionmaker, Action.profile_updated)
    assert entry.details == {"fields": ["firstName", "locale", "phone", "timezone"]}
    assert (entry.actor_id, entry.target_id) == (tech.id, tech.id)


async def test_customers_change_their_profile_and_the_locale_sets_their_language(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    response = await client.patch(
        ME,
        json={"lastName": "Costa", "phone": "912 345 678", "timezone": "America/New_York", "locale": "pt-BR"},
        headers=customer.headers,
    )

    assert response.status_code == 400  # a national number is read in the shop's region (US): not valid
    response = await client.patch(
        ME,
        json={
            "lastName": "Costa",
            "phone": "+1 512 555 0100",
            "timezone": "America/New_York",
            "locale": "pt-BR",
        },
        headers=customer.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["lastName"], body["phone"], body["locale"], body["language"]) == (
        "Costa",
        "+15125550100",
        "pt-BR",
        "pt",
    )
    stored = await load(sessionmaker, Customer, customer.id)
    assert (stored.last_name, stored.phone, stored.timezone, stored.locale, stored.language) == (
        "Costa",
        "+15125550100",
        "America/New_York",
        "pt-BR",
        "pt",
    )
    assert "costa" in stored.search_text
    [entry] = await audit_entries(sessionmaker, Action.profile_updated)
    assert entry.customer_id == customer.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="unknown-time-zone"),
        pytest.param({"locale": "english"}, "locale", id="not-a-locale"),
        pytest.param({"locale": "en_US"}, "locale", id="underscore-locale"),
        pytest.param({"locale": "xx-XX"}, "locale", id="unsupported-language"),
        pytest.param({"phone": "12"}, "phone", id="not-a-phone"),
        pytest.param({"firstName": None}, "firstName", id="null-name"),
        pytest.param({"firstName": ""}, "firstName", id="empty-name"),
        pytest.param({"role": "admin"}, "role", id="role"),
        pytest.param({"permissions": ["users:manage"]}, "permissions", id="permissions"),
        pytest.param({"email": "someone@example.com"}, "email", id="email"),
        pytest.param({"isActive": False}, "isActive", id="is-active"),
        pytest.param({"firstName": "Ok", "locale": "nope"}, "locale", id="one-good-one-bad"),
    ],
)
async def test_profile_changes_are_validated_and_nothing_changes_on_error(
    client, app, sessionmaker, body, field
):
    tech = await make_user(app, sessionmaker, "technician", first_name="Sam")
    before = await load(sessionmaker, User, tech.id)

    response = await client.patch(ME, json=body, headers=tech.headers)

    problem = assert_problem(response, 400, "VALIDATION_ERROR")
    assert field in {error["field"] for error in problem["errors"]}
    after = await load(sessionmaker, User, tech.id)
    assert (after.first_name, after.role, after.permissions, after.locale, after.timezone, after.email) == (
        before.first_name,
        before.role,
        before.permissions,
        before.locale,
        before.timezone,
        before.email,
    )
    assert await audit_entries(sessionmaker, Action.profile_updated) == []


# --- deletion ----------------------------------------------------------------------------------------


async def test_deletion_needs_the_accounts_own_email(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    wrong = await delete_me(client, customer.headers, confirmEmail=unique_email("other"))
    missing = await delete_me(client, customer.headers)

    assert assert_problem(wrong, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "confirmEmail"
    assert_problem(missing, 400, "VALIDATION_ERROR")
    async with sessionmaker() as session:
        assert (await session.execute(select(AccountDeletion))).first() is None
    assert (await client.get(ME, headers=customer.headers)).status_code == 200


async def test_a_customer_deletes_their_account_and_the_purge_anonymises_it_when_due(
    client, app, sessionmaker, mailroom
):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(
        app,
        sessionmaker,
        portal_password=PASSWORD,
        phone="+1 512 555 0199",
        company_name="Reis Lda",
        city="Lisbon",
        notes="Prefers calls after 6pm",
        tags=["vip"],
    )
    repair = await make_repair(client, staff, customer.id)
    laptop = await log_in(client, customer.email)
    phone = await log_in(client, customer.email)

    response = await delete_me(
        client,
        bearer_header(laptop["accessToken"]),
        confirmEmail=customer.email.upper(),
        reason="Moving away",
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["success"], answer["message"]) == (True, "Account scheduled for deletion")
    async with sessionmaker() as session:
        [deletion] = (await session.execute(select(AccountDeletion))).scalars()
    assert deletion.customer_id == customer.id
    assert deletion.reason == "Moving away"
    assert answer["deletionDate"].startswith(deletion.scheduled_for.isoformat()[:19])
    assert timedelta(days=29, hours=23) < deletion.scheduled_for - utcnow() <= timedelta(days=30)
    for tokens in (laptop, phone):
        assert_problem(
            await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]}), 401, "UNAUTHORIZED"
        )
        assert_problem(
            await client.get(ME, headers=bearer_header(tokens["accessToken"])), 401, "UNAUTHORIZED"
        )
    [scheduled] = await audit_entries(sessionmaker, Action.deletion_scheduled)
    assert (scheduled.actor_id, scheduled.customer_id) == (customer.id, customer.id)
    assert scheduled.details["revokedSessions"] == 2

    # Not due yet: the purge leaves the customer alone.
    await run_purge(mailroom, sessionmaker)
    assert (await load(sessionmaker, Customer, customer.id)).email == customer.email

    async with transaction(sessionmaker) as session:
        session.add(
            Notification(
                customer_id=customer.id,
                channel="email",
                event="repair_created",
                recipient=customer.email,
                subject="Your repair at Reis Lda",
                body_preview="Hello Ana, we received your phone",
                variables={"firstName": "Ana", "email": customer.email},
                status="sent",
            )
        )
    await make_due(sessionmaker)
    await run_purge(mailroom, sessionmaker)

    async with sessionmaker() as session:
        messages = (
            (await session.execute(select(Notification).where(Notification.customer_id == customer.id)))
            .scalars()
            .all()
        )
    assert messages, "the customer had notifications to erase"
    for message in messages:
        assert (message.recipient, message.subject, message.body_preview, message.variables) == (
            "",
            None,
            "",
            {},
        )
        assert message.status in ("sent", "queued", "failed")  # the delivery record itself stays
    anonymous = await load(sessionmaker, Customer, customer.id)
    assert (anonymous.first_name, anonymous.last_name) == ("Deleted", "customer")
    assert (anonymous.email, anonymous.phone, anonymous.company_name, anonymous.city, anonymous.notes) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert anonymous.tags == []
    assert anonymous.portal_password_hash is None
    assert anonymous.status == "archived"
    assert customer.email not in anonymous.search_text
    assert "reis" not in anonymous.search_text
    async with sessionmaker() as session:
        kept = await session.get(Repair, uuid.UUID(repair["id"]))
        leftover_sessions = (
            await session.execute(select(AuthSession).where(AuthSession.customer_id == customer.id))
        ).all()
    assert kept is not None
    assert kept.customer_id == customer.id
    assert leftover_sessions == []
    seen_by_staff = (await client.get(f"/api/v1/repairs/{repair['id']}", headers=staff.headers)).json()
    assert (seen_by_staff["customer"]["firstName"], seen_by_staff["customer"]["email"]) == ("Deleted", None)
    [entry] = await audit_entries(sessionmaker, Action.deleted)
    assert (entry.actor_type, entry.target_id, entry.customer_id) == ("system", customer.id, customer.id)
    assert (await load(sessionmaker, AccountDeletion, deletion.id)).completed_at is not None
    # Running again changes nothing.
    await run_purge(mailroom, sessionmaker)
    assert len(await audit_entries(sessionmaker, Action.deleted)) == 1


async def test_asking_twice_keeps_the_first_date(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    first = (await delete_me(client, customer.headers, confirmEmail=customer.email)).json()
    second = (await delete_me(client, customer.headers, confirmEmail=customer.email)).json()

    assert first["deletionDate"] == second["deletionDate"]
    me = (await client.get(ME, headers=customer.headers)).json()
    assert me["deletionScheduledFor"] == first["deletionDate"]


async def test_a_staff_user_deletes_their_account_and_is_anonymised_when_due(
    client, app, sessionmaker, mailroom
):
    await make_user(app, sessionmaker, "admin")  # the shop keeps an admin
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    tokens = await log_in(client, tech.email)
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    assigned = await client.post(
        f"/api/v1/repairs/{repair['id']}/assign", json={"technicianId": str(tech.id)}, headers=staff.headers
    )
    assert assigned.status_code == 200, assigned.text

    response = await delete_me(client, bearer_header(tokens["accessToken"]), confirmEmail=tech.email)

    assert response.status_code == 200, response.text
    assert_problem(await client.get(ME, headers=bearer_header(tokens["accessToken"])), 401, "UNAUTHORIZED")
    await make_due(sessionmaker)
    await run_purge(mailroom, sessionmaker)
    user = await load(sessionmaker, User, tech.id)
    assert (user.first_name, user.last_name, user.is_active, user.password_hash) == (
        "Deleted",
        "user",
        False,
        None,
    )
    assert user.email.endswith(".invalid")
    assert user.email != tech.email
    assert_problem(await client.get(ME, headers=tech.headers), 401, "UNAUTHORIZED")
    async with sessionmaker() as session:
        kept = await session.get(Repair, uuid.UUID(repair["id"]))
    assert kept is not None
    assert kept.technician_id == tech.id


async def test_the_only_admin_cannot_delete_their_account(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    response = await delete_me(client, admin.headers, confirmEmail=admin.email)

    assert_problem(response, 409, "CONFLICT")
    async with sessionmaker() as session:
        assert (await session.execute(select(AccountDeletion))).first() is None


def test_the_purge_runs_every_hour():
    [schedule] = [p for p in registry.periodics.values() if p.kind == PURGE_JOB]

    assert schedule.cron.split()[1:] == ["*", "*", "*", "*"]
