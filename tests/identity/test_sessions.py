"""Login sessions (refresh-token families): listing them, ending one, ending all, logout with the access
token alone, and access tokens dying with their session."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
from sqlalchemy import select

from fixdesk.credentials.models import AuthSession
from tests.conftest import TEST_SECRET
from tests.factories import make_customer, make_user
from tests.identity.conftest import assert_problem, bearer_header

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
REVOKE_ALL = "/api/v1/auth/revoke-all"
SESSIONS = "/api/v1/users/me/sessions"
ME = "/api/v1/users/me"


async def log_in(client, email: str, device: str = "FixdeskTest/1.0", **extra: Any) -> dict:
    response = await client.post(
        LOGIN, json={"email": email, "password": PASSWORD, **extra}, headers={"User-Agent": device}
    )
    assert response.status_code == 200, response.text
    return response.json()


def auth(tokens: dict) -> dict[str, str]:
    return bearer_header(tokens["accessToken"])


async def live_session_ids(sessionmaker, **owner: Any) -> set[uuid.UUID]:
    async with sessionmaker() as session:
        statement = select(AuthSession.id).where(AuthSession.revoked_at.is_(None))
        for name, value in owner.items():
            statement = statement.where(getattr(AuthSession, name) == value)
        return set((await session.execute(statement)).scalars())


def session_id_of(tokens: dict) -> str:
    return jwt.decode(
        tokens["accessToken"], TEST_SECRET, algorithms=["HS256"], options={"verify_aud": False}
    )["sid"]


async def test_access_tokens_name_their_session(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent", password=PASSWORD)

    tokens = await log_in(client, agent.email)

    assert await live_session_ids(sessionmaker, user_id=agent.id) == {uuid.UUID(session_id_of(tokens))}
    refreshed = (await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})).json()
    assert session_id_of(refreshed) == session_id_of(tokens)


async def test_sessions_list_the_callers_live_sessions_and_mark_the_current_one(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    other = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    laptop = await log_in(client, tech.email, "Laptop/1.0")
    phone = await log_in(client, tech.email, "Phone/2.0", rememberMe=True)
    ended = await log_in(client, tech.email, "Old/0.1")
    await log_in(client, other.email, "Elsewhere/1.0")
    await client.post(LOGOUT, json={"refreshToken": ended["refreshToken"]})

    response = await client.get(SESSIONS, headers=auth(laptop))

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2
    by_device = {item["device"]: item for item in page["items"]}
    assert set(by_device) == {"Laptop/1.0", "Phone/2.0"}
    assert by_device["Laptop/1.0"]["current"] is True
    assert by_device["Phone/2.0"]["current"] is False
    assert by_device["Laptop/1.0"]["id"] == session_id_of(laptop)
    assert by_device["Phone/2.0"]["id"] == session_id_of(phone)
    assert by_device["Phone/2.0"]["rememberMe"] is True
    for item in page["items"]:
        assert item["ipAddress"] == "127.0.0.1"
        assert item["createdAt"]
        assert item["lastUsedAt"]
        assert item["expiresAt"]


async def test_ending_one_of_my_sessions(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager", password=PASSWORD)
    current = await log_in(client, manager.email, "Desk/1.0")
    forgotten = await log_in(client, manager.email, "Shop PC/1.0")

    response = await client.delete(f"{SESSIONS}/{session_id_of(forgotten)}", headers=auth(current))

    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    refreshed = await client.post(REFRESH, json={"refreshToken": forgotten["refreshToken"]})
    assert_problem(refreshed, 401, "UNAUTHORIZED")
    # The ended session's access token stops working at once, not when it expires.
    assert_problem(await client.get(ME, headers=auth(forgotten)), 401, "UNAUTHORIZED")
    assert (await client.get(ME, headers=auth(current))).status_code == 200
    remaining = (await client.get(SESSIONS, headers=auth(current))).json()
    assert [item["device"] for item in remaining["items"]] == ["Desk/1.0"]
    again = await client.delete(f"{SESSIONS}/{session_id_of(forgotten)}", headers=auth(current))
    assert_problem(again, 404, "NOT_FOUND")


async def test_someone_elses_session_is_not_found_and_stays_alive(client, app, sessionmaker):
    owner = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    intruder = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    owner_tokens = await log_in(client, owner.email)
    intruder_tokens = await log_in(client, intruder.email)

    response = await client.delete(f"{SESSIONS}/{session_id_of(owner_tokens)}", headers=auth(intruder_tokens))
    unknown = await client.delete(f"{SESSIONS}/{uuid.uuid4()}", headers=auth(intruder_tokens))

    assert_problem(response, 404, "NOT_FOUND")
    assert_problem(unknown, 404, "NOT_FOUND")
    assert await live_session_ids(sessionmaker, user_id=owner.id) == {uuid.UUID(session_id_of(owner_tokens))}
    assert (await client.get(ME, headers=auth(owner_tokens))).status_code == 200


async def test_revoke_all_ends_every_session_of_the_caller_only(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    other = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    sessions = [await log_in(client, customer.email, f"Device/{n}") for n in range(3)]
    logged_out = await log_in(client, customer.email, "Gone/1.0")
    await client.post(LOGOUT, json={"refreshToken": logged_out["refreshToken"]})
    bystander = await log_in(client, other.email)

    response = await client.post(REVOKE_ALL, headers=auth(sessions[0]))

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "message": "All sessions revoked", "revokedCount": 3}
    for tokens in sessions:
        refreshed = await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})
        assert_problem(refreshed, 401, "UNAUTHORIZED")
        assert_problem(await client.get(ME, headers=auth(tokens)), 401, "UNAUTHORIZED")
    assert await live_session_ids(sessionmaker, customer_id=customer.id) == set()
    assert (await client.get(ME, headers=auth(bystander))).status_code == 200
    assert (await client.post(REFRESH, json={"refreshToken": bystander["refreshToken"]})).status_code == 200


async def test_revoke_all_needs_a_token(client):
    assert_problem(await client.post(REVOKE_ALL), 401, "UNAUTHORIZED")


async def test_logout_with_only_the_access_token_ends_its_session(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    this_device = await log_in(client, admin.email)
    other_device = await log_in(client, admin.email)

    response = await client.post(LOGOUT, headers=auth(this_device))

    assert response.status_code == 200, response.text
    refreshed = await client.post(REFRESH, json={"refreshToken": this_device["refreshToken"]})
    assert_problem(refreshed, 401, "UNAUTHORIZED")
    assert_problem(await client.get(ME, headers=auth(this_device)), 401, "UNAUTHORIZED")
    assert await live_session_ids(sessionmaker, user_id=admin.id) == {uuid.UUID(session_id_of(other_device))}


async def test_a_compromised_family_takes_its_access_tokens_down(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    first = await log_in(client, tech.email)
    second = (await client.post(REFRESH, json={"refreshToken": first["refreshToken"]})).json()

    reused = await client.post(REFRESH, json={"refreshToken": first["refreshToken"]})

    assert_problem(reused, 403, "TOKEN_FAMILY_COMPROMISED")
    for tokens in (first, second):
        assert_problem(await client.get(ME, headers=auth(tokens)), 401, "UNAUTHORIZED")


async def test_tokens_without_a_session_have_no_current_session(client, app, sessionmaker):
    # Tokens issued outside a login (tests, future service tokens) carry no sid: nothing is "current".
    admin = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    await log_in(client, admin.email)

    response = await client.get(SESSIONS, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert [item["current"] for item in response.json()["items"]] == [False]


async def test_a_token_naming_a_session_of_someone_else_is_refused(client, app, sessionmaker):
    victim = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    attacker = await make_user(app, sessionmaker, "agent")
    victim_tokens = await log_in(client, victim.email)
    token = app.state.tokens.issue_access_token(
        attacker.id, "agent", "user", session_id=uuid.UUID(session_id_of(victim_tokens))
    )

    response = await client.get(ME, headers=bearer_header(token))

    assert_problem(response, 401, "UNAUTHORIZED")
