"""Staff management: the staff list, invitations (email with a one-time token → set password → log in),
and an admin's changes to role, extra permissions and active flag."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from fixdesk.audit.service import Action
from fixdesk.credentials.models import AuthSession
from fixdesk.identity.models import User, UserInvitation
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.security import hash_secret
from tests.conftest import unique_email
from tests.factories import make_customer, make_user
from tests.identity.conftest import assert_problem, audit_entries, bearer_header
from tests.identity.test_passwordless import every_stored_value

PASSWORD = "correct horse battery"
USERS = "/api/v1/users"
ACCEPT = "/api/v1/auth/accept-invite"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"


def invitation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": unique_email("new-tech"),
        "firstName": "Nuno",
        "lastName": "Alves",
        "role": "technician",
    }
    body.update(overrides)
    return body


async def count_users(sessionmaker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User))


async def test_invite_accept_and_log_in(client, app, sessionmaker, mailroom):
    admin = await make_user(app, sessionmaker, "admin")
    body = invitation(permissions=["customers:write"], phone="+1 512 555 0142")

    response = await client.post(USERS, json=body, headers=admin.headers)

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["email"], created["role"], created["isActive"]) == (body["email"], "technician", True)
    assert created["extraPermissions"] == ["customers:write"]
    assert created["permissions"] == sorted(permissions_for("technician") | {"customers:write"})
    assert created["phone"] == "+15125550142"
    assert created["invitationExpiresAt"]
    async with sessionmaker() as session:
        user = await session.get(User, uuid.UUID(created["id"]))
    assert user is not None
    assert user.password_hash is None
    token = await mailroom.invitation_token_for(body["email"])
    # Stored only as a hash: the token itself is in no table, job payloads included.
    async with sessionmaker() as session:
        [stored] = (await session.execute(select(UserInvitation))).scalars()
    assert stored.token_hash == hash_secret(token)
    assert not any(token in value for value in await every_stored_value(sessionmaker))
    # No password yet: logging in fails.
    assert_problem(
        await client.post(LOGIN, json={"email": body["email"], "password": PASSWORD}), 401, "UNAUTHORIZED"
    )

    accepted = await client.post(ACCEPT, json={"token": token, "password": PASSWORD})

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["success"] is True
    login = await client.post(LOGIN, json={"email": body["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "technician"
    again = await client.post(ACCEPT, json={"token": token, "password": "another password"})
    assert assert_problem(again, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "token"
    [entry] = await audit_entries(sessionmaker, Action.user_invited)
    assert (entry.actor_id, entry.target_id) == (admin.id, user.id)
    [accepted_entry] = await audit_entries(sessionmaker, Action.invitation_accepted)
    assert accepted_entry.actor_id == user.id


@pytest.mark.parametrize("token", ["inv_never-issued", ""], ids=["unknown", "empty"])
async def test_accepting_an_unknown_invitation_fails(client, token):
    response = await client.post(ACCEPT, json={"token": token, "password": PASSWORD})

    assert_problem(response, 400, "VALIDATION_ERROR")


async def test_an_invitation_needs_an_8_character_password(client, app, sessionmaker, mailroom):
    admin = await make_user(app, sessionmaker, "admin")
    body = invitation()
    await client.post(USERS, json=body, headers=admin.headers)
    token = await mailroom.invitation_token_for(body["email"])

    response = await client.post(ACCEPT, json={"token": token, "password": "short"})

    assert assert_problem(response, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "password"
    assert (await client.post(ACCEPT, json={"token": token, "password": PASSWORD})).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        pytest.param(
            {"permissions": ["repairs:read", "superpowers:all"]}, 400, "permissions", id="unknown-permission"
        ),
        pytest.param({"role": "owner"}, 400, "role", id="unknown-role"),
        pytest.param({"email": "not-an-email"}, 400, "email", id="bad-email"),
        pytest.param({"phone": "12"}, 400, "phone", id="bad-phone"),
        pytest.param({"password": "smuggled-in"}, 400, "password", id="unknown-field"),
    ],
)
async def test_invitations_are_validated(client, app, sessionmaker, mailroom, overrides, status, field):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.post(USERS, json=invitation(**overrides), headers=admin.headers)

    body = assert_problem(response, status, "VALIDATION_ERROR")
    assert field in {error["field"] for error in body["errors"]}
    assert await count_users(sessionmaker) == 1
    await mailroom.drain()
    assert mailroom.emails() == []


async def test_inviting_a_taken_email_is_a_conflict(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.post(USERS, json=invitation(email=admin.email.upper()), headers=admin.headers)

    assert_problem(response, 409, "CONFLICT")
    assert await count_users(sessionmaker) == 1


@pytest.mark.parametrize("role", ["manager", "technician", "agent"])
async def test_only_admins_invite_and_change_users(client, app, sessionmaker, role):
    caller = await make_user(app, sessionmaker, role)
    target = await make_user(app, sessionmaker, "technician")

    invited = await client.post(USERS, json=invitation(), headers=caller.headers)
    changed = await client.patch(f"{USERS}/{target.id}", json={"role": "admin"}, headers=caller.headers)

    assert_problem(invited, 403, "FORBIDDEN")
    assert_problem(changed, 403, "FORBIDDEN")
    async with sessionmaker() as session:
        assert (await session.get(User, target.id)).role == "technician"


async def test_staff_list_filters_and_pages(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin", last_name="Almeida")
    techs = [await make_user(app, sessionmaker, "technician", last_name=f"Tech{n}") for n in range(3)]
    await client.patch(f"{USERS}/{techs[0].id}", json={"isActive": False}, headers=admin.headers)

    everyone = (await client.get(USERS, headers=techs[1].headers)).json()
    technicians = (await client.get(USERS, params={"role": "technician"}, headers=admin.headers)).json()
    active_technicians = (
        await client.get(USERS, params={"role": "technician", "isActive": "true"}, headers=admin.headers)
    ).json()
    second_page = (await client.get(USERS, params={"pageSize": 2, "page": 2}, headers=admin.headers)).json()

    assert everyone["total"] == 4
    assert [u["lastName"] for u in everyone["items"]] == ["Almeida", "Tech0", "Tech1", "Tech2"]
    assert technicians["total"] == 3
    assert {u["id"] for u in active_technicians["items"]} == {str(techs[1].id), str(techs[2].id)}
    assert (second_page["total"], second_page["totalPages"], len(second_page["items"])) == (4, 2, 2)
    one = await client.get(f"{USERS}/{techs[2].id}", headers=techs[1].headers)
    assert one.json()["lastName"] == "Tech2"
    assert_problem(await client.get(f"{USERS}/{uuid.uuid4()}", headers=admin.headers), 404, "NOT_FOUND")


async def test_customers_cannot_list_staff(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    assert_problem(await client.get(USERS, headers=customer.headers), 403, "FORBIDDEN")


async def test_a_role_change_applies_to_existing_tokens_and_is_audited(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    tech = await make_user(app, sessionmaker, "technician")
    new_customer = {"firstName": "Ana", "lastName": "Silva"}
    assert_problem(
        await client.post("/api/v1/customers", json=new_customer, headers=tech.headers), 403, "FORBIDDEN"
    )

    response = await client.patch(f"{USERS}/{tech.id}", json={"role": "manager"}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "manager"
    created = await client.post("/api/v1/customers", json=new_customer, headers=tech.headers)
    assert created.status_code == 201, created.text
    [entry] = await audit_entries(sessionmaker, Action.role_changed)
    assert (entry.actor_id, entry.target_id, entry.details) == (
        admin.id,
        tech.id,
        {"from": "technician", "to": "manager"},
    )


async def test_extra_permissions_accept_only_known_strings(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    agent = await make_user(app, sessionmaker, "agent")

    bad = await client.patch(
        f"{USERS}/{agent.id}",
        json={"permissions": ["repairs:update", "made:up"], "role": "manager"},
        headers=admin.headers,
    )
    good = await client.patch(
        f"{USERS}/{agent.id}", json={"permissions": ["repairs:update"]}, headers=admin.headers
    )

    assert assert_problem(bad, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "permissions"
    assert good.status_code == 200, good.text
    assert good.json()["extraPermissions"] == ["repairs:update"]
    assert good.json()["role"] == "agent"  # the rejected request changed nothing
    [entry] = await audit_entries(sessionmaker, Action.permissions_changed)
    assert entry.details == {"from": [], "to": ["repairs:update"]}


async def test_deactivating_a_user_kills_their_tokens_at_once(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    tokens = (await client.post(LOGIN, json={"email": tech.email, "password": PASSWORD})).json()
    assert (await client.get(ME, headers=bearer_header(tokens["accessToken"]))).status_code == 200

    response = await client.patch(f"{USERS}/{tech.id}", json={"isActive": False}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["isActive"] is False
    assert_problem(await client.get(ME, headers=bearer_header(tokens["accessToken"])), 401, "UNAUTHORIZED")
    assert_problem(await client.get(ME, headers=tech.headers), 401, "UNAUTHORIZED")
    assert_problem(
        await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]}), 401, "UNAUTHORIZED"
    )
    async with sessionmaker() as session:
        [auth_session] = (
            await session.execute(select(AuthSession).where(AuthSession.user_id == tech.id))
        ).scalars()
    assert auth_session.revoked_reason == "deactivated"
    [entry] = await audit_entries(sessionmaker, Action.deactivated)
    assert entry.details == {"revokedSessions": 1}

    reactivated = await client.patch(f"{USERS}/{tech.id}", json={"isActive": True}, headers=admin.headers)

    assert reactivated.status_code == 200, reactivated.text
    assert (await client.get(ME, headers=tech.headers)).status_code == 200
    assert len(await audit_entries(sessionmaker, Action.activated)) == 1


@pytest.mark.parametrize("change", [{"role": "manager"}, {"isActive": False}])
async def test_the_last_active_admin_cannot_be_demoted_or_deactivated(client, app, sessionmaker, change):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.patch(f"{USERS}/{admin.id}", json=change, headers=admin.headers)

    assert_problem(response, 409, "CONFLICT")
    second = await make_user(app, sessionmaker, "admin")
    allowed = await client.patch(f"{USERS}/{admin.id}", json=change, headers=second.headers)
    assert allowed.status_code == 200, allowed.text


@pytest.mark.parametrize("body", [{"role": None}, {"isActive": None}, {"email": "x@example.com"}])
async def test_user_changes_reject_nulls_and_unknown_fields(client, app, sessionmaker, body):
    admin = await make_user(app, sessionmaker, "admin")
    tech = await make_user(app, sessionmaker, "technician")

    response = await client.patch(f"{USERS}/{tech.id}", json=body, headers=admin.headers)

    assert_problem(response, 400, "VALIDATION_ERROR")
    async with sessionmaker() as session:
        user = await session.get(User, tech.id)
    assert (user.role, user.is_active, user.email) == ("technician", True, tech.email)
