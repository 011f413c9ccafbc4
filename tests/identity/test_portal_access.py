"""Account takeover from the front desk (issue 9, item 5): staff never set or see a customer's password.
They send a portal invitation or a password-reset link to the customer's own email on file; the customer
chooses the password with the emailed single-use token. Every change of a customer's credentials (a
password set or reset, a new email) ends all their sessions and is audited.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from fixdesk.audit.service import Action
from fixdesk.credentials.models import AuthSession, LoginCode
from fixdesk.customers.models import Customer
from fixdesk.db import transaction, utcnow
from fixdesk.platform.security import hash_secret, verify_password
from tests.factories import make_customer, make_user
from tests.identity.conftest import Mailroom, assert_problem, audit_entries, bearer_header, body_of
from tests.identity.test_passwordless import every_stored_value

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
RESET = "/api/v1/auth/reset-password"
FORGOT = "/api/v1/auth/forgot-password"
VERIFY = "/api/v1/auth/verify-email"
PROFILE = "/api/v1/customer/profile"
OLD_PASSWORD = "the customer's first choice"
NEW_PASSWORD = "chosen by the customer alone"
TOKEN = re.compile(r"token=(pwl_[A-Za-z0-9_.\-]+)")


def invitation_url(customer_id: Any) -> str:
    return f"/api/v1/customers/{customer_id}/portal-invitation"


def reset_url(customer_id: Any) -> str:
    return f"/api/v1/customers/{customer_id}/password-reset"


async def link_token(mailroom: Mailroom, address: str) -> str:
    """Send what is queued and return the token of the newest link emailed to ``address``."""
    await mailroom.drain()
    messages = mailroom.emails(address)
    assert messages, f"no email was sent to {address}"
    found = TOKEN.search(body_of(messages[-1]))
    assert found is not None, body_of(messages[-1])
    return found.group(1)


async def load(sessionmaker: Any, customer_id: Any) -> Customer:
    async with sessionmaker() as session:
        customer = await session.get(Customer, uuid.UUID(str(customer_id)))
    assert customer is not None
    return customer


async def live_sessions(sessionmaker: Any, customer_id: Any) -> list[AuthSession]:
    async with sessionmaker() as session:
        statement = select(AuthSession).where(
            AuthSession.customer_id == uuid.UUID(str(customer_id)), AuthSession.revoked_at.is_(None)
        )
        return list((await session.execute(statement)).scalars())


async def log_in(client: Any, email: str, password: str) -> dict[str, Any]:
    response = await client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


# --- the invitation ---------------------------------------------------------------------------------------


async def test_an_invited_customer_chooses_their_password_with_the_emailed_link(
    client, app, sessionmaker, mailroom
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Marta")

    response = await client.post(invitation_url(customer.id), headers=agent.headers)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["success"] is True
    assert set(answer) == {"success", "message", "expiresAt"}  # no token, no password
    [sent] = await audit_entries(sessionmaker, Action.portal_invitation_sent)
    assert (sent.actor_type, sent.actor_id, sent.target_id) == ("user", agent.id, customer.id)
    assert sent.details["expiresAt"].startswith(answer["expiresAt"][:16])
    # Nothing is sent inside the request: the email waits in the outbox queue for the commit and the job.
    assert mailroom.emails(customer.email) == []
    token = await link_token(mailroom, customer.email)
    [email] = mailroom.emails(customer.email)
    assert email["Subject"].endswith("customer portal account")
    assert "Hi Marta" in body_of(email)
    # Only the token's hash is stored; the token is in no table, job payloads included.
    async with sessionmaker() as session:
        [link] = (await session.execute(select(LoginCode))).scalars()
    assert (link.purpose, link.code_hash) == ("portal_invitation", hash_secret(token))
    assert not any(token in value for value in await every_stored_value(sessionmaker))
    assert_problem(
        await client.post(LOGIN, json={"email": customer.email, "password": NEW_PASSWORD}),
        401,
        "UNAUTHORIZED",
    )

    chosen = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})

    assert chosen.status_code == 200, chosen.text
    tokens = await log_in(client, customer.email, NEW_PASSWORD)
    assert tokens["user"]["principalType"] == "customer"
    stored = await load(sessionmaker, customer.id)
    assert verify_password(NEW_PASSWORD, stored.portal_password_hash)
    assert stored.email_verified_at is not None  # the link reached the address
    [set_entry] = await audit_entries(sessionmaker, Action.password_set)
    assert (set_entry.actor_type, set_entry.actor_id) == ("customer", customer.id)
    assert set_entry.details["method"] == "portal_invitation"
    # Single use.
    again = await client.post(RESET, json={"token": token, "password": "another password"})
    assert assert_problem(again, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "token"
    staff_view = await client.get(f"/api/v1/customers/{customer.id}", headers=agent.headers)
    assert staff_view.json()["hasPortalAccess"] is True
    assert "password" not in staff_view.text.lower().replace("hasportalaccess", "")


@pytest.mark.parametrize(
    ("setup", "url", "status"),
    [
        pytest.param({"portal_password": OLD_PASSWORD}, invitation_url, 409, id="invite-has-password"),
        pytest.param({}, reset_url, 409, id="reset-without-password"),
        pytest.param({"email": None}, invitation_url, 409, id="no-email"),
        pytest.param({"status": "inactive"}, invitation_url, 409, id="inactive"),
    ],
)
async def test_links_that_cannot_serve_are_refused_and_send_nothing(
    client, app, sessionmaker, mailroom, setup, url, status
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, **setup)

    response = await client.post(url(customer.id), headers=agent.headers)

    assert_problem(response, status, "CONFLICT")
    await mailroom.drain()
    assert mailroom.emails() == []
    assert await audit_entries(sessionmaker, Action.portal_invitation_sent) == []


async def test_only_staff_who_may_change_customers_send_links(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)

    assert_problem(
        await client.post(invitation_url(customer.id), headers=technician.headers), 403, "FORBIDDEN"
    )
    assert_problem(await client.post(reset_url(customer.id), headers=customer.headers), 403, "FORBIDDEN")
    assert_problem(
        await client.post(
            invitation_url(uuid.uuid4()), headers=(await make_user(app, sessionmaker, "agent")).headers
        ),
        404,
        "NOT_FOUND",
    )


# --- a reset ends every session ---------------------------------------------------------------------------


async def test_a_password_reset_ends_every_session_and_refresh_family(client, app, sessionmaker, mailroom):
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, portal_password=OLD_PASSWORD, language="pt")
    phone = await log_in(client, customer.email, OLD_PASSWORD)
    laptop = await log_in(client, customer.email, OLD_PASSWORD)
    assert (await client.get(PROFILE, headers=bearer_header(phone["accessToken"]))).status_code == 200

    sent = await client.post(reset_url(customer.id), headers=manager.headers)
    assert sent.status_code == 202, sent.text
    # Sending a link changes nothing yet: the sessions live until the password actually changes.
    assert len(await live_sessions(sessionmaker, customer.id)) == 2
    token = await link_token(mailroom, customer.email)
    [email] = mailroom.emails(customer.email)
    assert "Redefinir a palavra-passe" in email["Subject"]

    reset = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})

    assert reset.status_code == 200, reset.text
    assert await live_sessions(sessionmaker, customer.id) == []
    for old in (phone, laptop):
        assert_problem(
            await client.get(PROFILE, headers=bearer_header(old["accessToken"])), 401, "UNAUTHORIZED"
        )
        assert_problem(
            await client.post(REFRESH, json={"refreshToken": old["refreshToken"]}), 401, "UNAUTHORIZED"
        )
    assert_problem(
        await client.post(LOGIN, json={"email": customer.email, "password": OLD_PASSWORD}),
        401,
        "UNAUTHORIZED",
    )
    await log_in(client, customer.email, NEW_PASSWORD)
    [entry] = await audit_entries(sessionmaker, Action.password_set)
    assert entry.details["revokedSessions"] == 2
    assert entry.details["method"] == "password_reset"
    [requested] = await audit_entries(sessionmaker, Action.password_reset_sent)
    assert requested.actor_id == manager.id


async def test_an_expired_or_superseded_link_sets_nothing(client, app, sessionmaker, mailroom):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, portal_password=OLD_PASSWORD)
    await client.post(reset_url(customer.id), headers=agent.headers)
    first = await link_token(mailroom, customer.email)
    await client.post(reset_url(customer.id), headers=agent.headers)
    second = await link_token(mailroom, customer.email)

    superseded = await client.post(RESET, json={"token": first, "password": NEW_PASSWORD})

    assert_problem(superseded, 400, "VALIDATION_ERROR")
    async with transaction(sessionmaker) as session:
        await session.execute(update(LoginCode).values(created_at=utcnow() - timedelta(hours=24, seconds=1)))
    expired = await client.post(RESET, json={"token": second, "password": NEW_PASSWORD})
    assert_problem(expired, 400, "VALIDATION_ERROR")
    forged = await client.post(RESET, json={"token": second[:-4] + "AAAA", "password": NEW_PASSWORD})
    assert_problem(forged, 400, "VALIDATION_ERROR")
    assert verify_password(OLD_PASSWORD, (await load(sessionmaker, customer.id)).portal_password_hash)
    assert await audit_entries(sessionmaker, Action.password_set) == []


async def test_links_and_login_codes_do_not_void_each_other(client, app, sessionmaker, mailroom):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    await client.post(invitation_url(customer.id), headers=agent.headers)
    token = await link_token(mailroom, customer.email)
    await client.post(LOGIN, json={"email": customer.email})  # a login code, asked for afterwards
    code = await mailroom.code_for(customer.email)

    assert (await client.post(VERIFY, json={"email": customer.email, "code": code})).status_code == 200
    assert (await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})).status_code == 200


# --- the customer asks themselves -----------------------------------------------------------------------


async def test_forgot_password_answers_the_same_for_anyone_and_emails_only_the_customer(
    client, app, sessionmaker, mailroom
):
    customer = await make_customer(app, sessionmaker, portal_password=OLD_PASSWORD)
    staff = await make_user(app, sessionmaker, "admin")
    unknown = "nobody-here@example.com"

    answers = [
        await client.post(FORGOT, json={"email": address})
        for address in (customer.email, staff.email, unknown)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.json()["message"].split(" belongs")[1] for answer in answers} == {
        " to a customer account, a link to reset its password has been sent to it."
    }
    token = await link_token(mailroom, customer.email)
    assert mailroom.emails(staff.email) == []
    assert mailroom.emails(unknown) == []
    assert (await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})).status_code == 200
    [entry] = await audit_entries(sessionmaker, Action.password_reset_sent)
    assert (entry.actor_type, entry.details["selfService"]) == ("anonymous", True)


# --- a new email is a change of credentials -------------------------------------------------------------


async def test_changing_the_email_ends_every_session_voids_codes_and_tells_the_old_address(
    client, app, sessionmaker, mailroom
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, portal_password=OLD_PASSWORD, first_name="Rui")
    tokens = await log_in(client, customer.email, OLD_PASSWORD)
    await client.post(LOGIN, json={"email": customer.email})  # a code now on its way to the old address
    code = await mailroom.code_for(customer.email)
    new_address = f"rui-{uuid.uuid4().hex[:8]}@example.net"

    changed = await client.patch(
        f"/api/v1/customers/{customer.id}", json={"email": new_address}, headers=agent.headers
    )

    assert changed.status_code == 200, changed.text
    assert_problem(
        await client.get(PROFILE, headers=bearer_header(tokens["accessToken"])), 401, "UNAUTHORIZED"
    )
    assert_problem(
        await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]}), 401, "UNAUTHORIZED"
    )
    assert_problem(await client.post(VERIFY, json={"email": new_address, "code": code}), 401, "UNAUTHORIZED")
    assert (await load(sessionmaker, customer.id)).email_verified_at is None
    [entry] = await audit_entries(sessionmaker, Action.email_changed)
    assert (entry.actor_type, entry.actor_id, entry.customer_id) == ("user", agent.id, customer.id)
    assert entry.details == {"from": customer.email, "to": new_address, "revokedSessions": 1}
    await mailroom.drain()
    notice = mailroom.emails(customer.email)[-1]
    assert notice["Subject"].startswith("The email address of your")
    assert new_address in body_of(notice)
    # The password still opens the account at the new address.
    await log_in(client, new_address, OLD_PASSWORD)


async def test_other_changes_leave_the_sessions_alone(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, portal_password=OLD_PASSWORD)
    tokens = await log_in(client, customer.email, OLD_PASSWORD)

    changed = await client.patch(
        f"/api/v1/customers/{customer.id}",
        json={"firstName": "Renamed", "email": customer.email.upper()},
        headers=agent.headers,
    )

    assert changed.status_code == 200, changed.text
    assert (await client.get(PROFILE, headers=bearer_header(tokens["accessToken"]))).status_code == 200
    assert await audit_entries(sessionmaker, Action.email_changed) == []
