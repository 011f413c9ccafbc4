"""The identity endpoints over HTTP: login, refresh (rotation and reuse detection), logout and /users/me.

Every test here runs on SQLite and on PostgreSQL. Argon2 is slow on purpose, so only tests that log in
create users with a password; the others act through tokens issued by the app (``Actor.headers``).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select, update

from fixdesk.credentials.models import AuthSession, RefreshToken
from fixdesk.db import transaction, utcnow
from fixdesk.identity.models import User
from fixdesk.identity.permissions import permissions_for
from tests.conftest import TEST_SECRET, unique_email
from tests.factories import make_customer, make_user

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
PROBLEM_JSON = "application/problem+json"


async def login(client, email: str, password: str = PASSWORD, **extra: Any):
    return await client.post(LOGIN, json={"email": email, "password": password, **extra})


async def login_tokens(client, email: str, **extra: Any) -> dict:
    response = await login(client, email, **extra)
    assert response.status_code == 200, response.text
    return response.json()


def bearer_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    return body


async def set_user_active(sessionmaker, user_id: uuid.UUID, active: bool) -> None:
    async with transaction(sessionmaker) as session:
        await session.execute(update(User).where(User.id == user_id).values(is_active=active))


async def sessions_of(sessionmaker, *, user_id=None, customer_id=None) -> list[AuthSession]:
    async with sessionmaker() as session:
        statement = select(AuthSession)
        if user_id is not None:
            statement = statement.where(AuthSession.user_id == user_id)
        if customer_id is not None:
            statement = statement.where(AuthSession.customer_id == customer_id)
        return list((await session.execute(statement)).scalars())


# --- login -------------------------------------------------------------------------------------------


async def test_login_returns_tokens_and_the_user(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)

    response = await login(client, tech.email)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    assert body["refreshExpiresIn"] == 86400
    assert body["refreshToken"].startswith("rt_")
    assert body["user"] == {
        "id": str(tech.id),
        "email": tech.email,
        "firstName": "Sam",
        "lastName": "Technician",
        "role": "technician",
        "principalType": "user",
        "permissions": sorted(permissions_for("technician")),
    }
    settings = app.state.settings
    claims = jwt.decode(
        body["accessToken"],
        TEST_SECRET,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["sub"] == str(tech.id)
    assert claims["typ"] == "access"
    assert claims["role"] == "technician"
    assert claims["exp"] - claims["iat"] == 900
    me = await client.get(ME, headers=bearer_header(body["accessToken"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == str(tech.id)
    async with sessionmaker() as session:
        user = await session.get(User, tech.id)
        assert user is not None
        assert user.last_login_at is not None


async def test_login_email_is_case_insensitive_and_remember_me_lasts_30_days(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin", password=PASSWORD)

    body = await login_tokens(client, admin.email.upper(), rememberMe=True)

    assert body["user"]["id"] == str(admin.id)
    assert body["refreshExpiresIn"] == 30 * 86400
    [auth_session] = await sessions_of(sessionmaker, user_id=admin.id)
    assert auth_session.remember_me is True
    assert auth_session.expires_at - auth_session.created_at == timedelta(days=30)


async def test_login_records_the_session_and_stores_only_a_hash_of_the_refresh_token(
    client, app, sessionmaker
):
    agent = await make_user(app, sessionmaker, "agent", password=PASSWORD)

    response = await client.post(
        LOGIN,
        json={"email": agent.email, "password": PASSWORD},
        headers={"User-Agent": "FixdeskTest/1.0 (identity)"},
    )

    assert response.status_code == 200, response.text
    refresh_token = response.json()["refreshToken"]
    [auth_session] = await sessions_of(sessionmaker, user_id=agent.id)
    assert auth_session.user_agent == "FixdeskTest/1.0 (identity)"
    assert auth_session.ip_address == "127.0.0.1"
    assert auth_session.customer_id is None
    assert auth_session.revoked_at is None
    assert auth_session.remember_me is False
    assert auth_session.expires_at - auth_session.created_at == timedelta(days=1)
    async with sessionmaker() as session:
        rows = (await session.execute(select(RefreshToken.__table__))).all()
    assert len(rows) == 1
    assert all(refresh_token not in str(value) for value in rows[0])
    assert rows[0].token_hash == hashlib.sha256(refresh_token.encode()).hexdigest()
    assert rows[0].session_id == auth_session.id


async def test_unknown_email_wrong_password_and_inactive_user_get_the_same_answer(client, app, sessionmaker):
    user = await make_user(app, sessionmaker, "manager", password=PASSWORD)
    no_password = await make_user(app, sessionmaker, "agent")

    unknown = await login(client, unique_email("nobody"))
    wrong_password = await login(client, user.email, "not the password")
    passwordless = await login(client, no_password.email, PASSWORD)
    await set_user_active(sessionmaker, user.id, False)
    inactive = await login(client, user.email)

    answers = [unknown, wrong_password, passwordless, inactive]
    bodies = [assert_problem(r, 401, "UNAUTHORIZED") for r in answers]
    assert {(b["title"], b["detail"]) for b in bodies} == {(bodies[0]["title"], bodies[0]["detail"])}
    assert all(r.headers["www-authenticate"] == "Bearer" for r in answers)
    assert "accessToken" not in inactive.text
    assert await sessions_of(sessionmaker) == []


async def test_portal_customer_logs_in_at_the_same_endpoint(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, portal_password="portal-pass-1")

    body = await login_tokens(client, customer.email.upper(), password="portal-pass-1")

    assert body["user"]["id"] == str(customer.id)
    assert body["user"]["principalType"] == "customer"
    assert body["user"]["role"] == "customer"
    assert body["user"]["permissions"] == ["portal:self"]
    portal = await client.get("/api/v1/customer/repairs", headers=bearer_header(body["accessToken"]))
    assert portal.status_code == 200, portal.text
    staff_area = await client.get("/api/v1/repairs", headers=bearer_header(body["accessToken"]))
    assert_problem(staff_area, 403, "FORBIDDEN")
    [auth_session] = await sessions_of(sessionmaker, customer_id=customer.id)
    assert auth_session.user_id is None


async def test_archiving_a_customer_ends_portal_access(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker, portal_password="portal-pass-1")
    tokens = await login_tokens(client, customer.email, password="portal-pass-1")

    archived = await client.delete(f"/api/v1/customers/{customer.id}", headers=admin.headers)
    assert archived.status_code == 200, archived.text

    again = await login(client, customer.email, "portal-pass-1")
    assert_problem(again, 401, "UNAUTHORIZED")
    assert again.json()["detail"] == (await login(client, unique_email("nobody"))).json()["detail"]
    portal = await client.get("/api/v1/customer/repairs", headers=bearer_header(tokens["accessToken"]))
    assert_problem(portal, 401, "UNAUTHORIZED")
    refreshed = await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})
    assert_problem(refreshed, 401, "UNAUTHORIZED")


# ``{"email"}`` alone is a request for a login code (tests/identity/test_passwordless.py).
@pytest.mark.parametrize(
    ("payload", "missing"),
    [({}, {"email"}), ({"password": "x"}, {"email"}), ({"rememberMe": True}, {"email"})],
)
async def test_login_without_required_fields_is_a_validation_error(client, payload, missing):
    response = await client.post(LOGIN, json=payload)

    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert {error["field"] for error in body["errors"]} == missing
    assert all(error["message"] for error in body["errors"])


# --- refresh -----------------------------------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    first = await login_tokens(client, tech.email)

    rotated = await client.post(REFRESH, json={"refreshToken": first["refreshToken"]})

    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refreshToken"] != first["refreshToken"]
    assert second["user"]["id"] == str(tech.id)
    assert second["expiresIn"] == 900
    assert second["refreshExpiresIn"] == 86400
    me = await client.get(ME, headers=bearer_header(second["accessToken"]))
    assert me.status_code == 200, me.text

    reused = await client.post(REFRESH, json={"refreshToken": first["refreshToken"]})

    body = assert_problem(reused, 403, "TOKEN_FAMILY_COMPROMISED")
    assert body["detail"]
    # The newest token of the family was never used, yet it stops working too.
    newest = await client.post(REFRESH, json={"refreshToken": second["refreshToken"]})
    assert_problem(newest, 401, "UNAUTHORIZED")
    # The revocation was committed although the reuse request failed.
    [auth_session] = await sessions_of(sessionmaker, user_id=tech.id)
    assert auth_session.revoked_at is not None
    assert auth_session.revoked_reason == "token_reuse"


async def test_refresh_accepts_snake_case_and_keeps_other_sessions_alive(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager", password=PASSWORD)
    laptop = await login_tokens(client, manager.email)
    phone = await login_tokens(client, manager.email)

    await client.post(REFRESH, json={"refresh_token": laptop["refreshToken"]})
    reused = await client.post(REFRESH, json={"refresh_token": laptop["refreshToken"]})

    assert_problem(reused, 403, "TOKEN_FAMILY_COMPROMISED")
    other_login = await client.post(REFRESH, json={"refresh_token": phone["refreshToken"]})
    assert other_login.status_code == 200, other_login.text


@pytest.mark.commits  # concurrent requests, each on its own connection
async def test_two_concurrent_refreshes_with_one_token_let_exactly_one_win(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    tokens = await login_tokens(client, agent.email)
    body = {"refreshToken": tokens["refreshToken"]}

    responses = await asyncio.gather(client.post(REFRESH, json=body), client.post(REFRESH, json=body))

    assert sorted(r.status_code for r in responses) == [200, 403], [r.text for r in responses]
    [auth_session] = await sessions_of(sessionmaker, user_id=agent.id)
    assert auth_session.revoked_reason == "token_reuse"


async def test_refresh_with_an_unknown_token_is_unauthorized(client):
    response = await client.post(REFRESH, json={"refreshToken": "rt_this-token-was-never-issued"})

    assert_problem(response, 401, "UNAUTHORIZED")


async def test_refresh_of_an_expired_session_is_unauthorized(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    tokens = await login_tokens(client, agent.email)
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == agent.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )

    response = await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})

    assert_problem(response, 401, "UNAUTHORIZED")


async def test_refresh_for_a_deactivated_user_is_unauthorized(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    tokens = await login_tokens(client, agent.email)
    await set_user_active(sessionmaker, agent.id, False)

    response = await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})

    assert_problem(response, 401, "UNAUTHORIZED")
    async with sessionmaker() as session:
        [stored] = (await session.execute(select(RefreshToken))).scalars()
    assert stored.rotated_at is None  # the failed refresh changed nothing


async def test_refresh_without_a_token_is_a_validation_error(client):
    response = await client.post(REFRESH, json={})

    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == ["refreshToken"]


# --- logout ------------------------------------------------------------------------------------------


async def test_logout_revokes_the_family_of_the_refresh_token(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    tokens = await login_tokens(client, admin.email)

    response = await client.post(
        LOGOUT, json={"refreshToken": tokens["refreshToken"]}, headers=bearer_header(tokens["accessToken"])
    )

    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    after = await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})
    assert_problem(after, 401, "UNAUTHORIZED")
    [auth_session] = await sessions_of(sessionmaker, user_id=admin.id)
    assert auth_session.revoked_at is not None
    assert auth_session.revoked_reason == "logout"


async def test_logout_with_someone_elses_access_token_leaves_the_session_alone(client, app, sessionmaker):
    owner = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    other = await make_user(app, sessionmaker, "admin")
    tokens = await login_tokens(client, owner.email)

    response = await client.post(LOGOUT, json={"refreshToken": tokens["refreshToken"]}, headers=other.headers)

    assert response.status_code == 200, response.text
    still_valid = await client.post(REFRESH, json={"refreshToken": tokens["refreshToken"]})
    assert still_valid.status_code == 200, still_valid.text


async def test_logout_without_a_body_succeeds(client):
    response = await client.post(LOGOUT)

    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


# --- /users/me ---------------------------------------------------------------------------------------


async def test_me_returns_the_profile_with_effective_permissions(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician", first_name="Rita", last_name="Lopes")

    response = await client.get(ME, headers=tech.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(tech.id)
    assert body["email"] == tech.email
    assert body["firstName"] == "Rita"
    assert body["lastName"] == "Lopes"
    assert body["role"] == "technician"
    assert body["isActive"] is True
    assert body["permissions"] == sorted(permissions_for("technician"))
    assert not any("password" in key.lower() for key in body)


async def test_extra_permissions_add_to_the_role(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician")
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(User).where(User.id == tech.id).values(permissions=["customers:write", "bogus:grant"])
        )
    new_customer = {"firstName": "Ana", "lastName": "Silva", "email": unique_email("customer")}
    # Permissions are loaded on every request, so a token issued before the grant already carries it.
    me = await client.get(ME, headers=tech.headers)
    created = await client.post("/api/v1/customers", json=new_customer, headers=tech.headers)

    assert me.status_code == 200, me.text
    assert me.json()["permissions"] == sorted(permissions_for("technician") | {"customers:write"})
    assert created.status_code == 201, created.text


async def test_me_for_a_portal_customer(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, first_name="Lia")

    response = await client.get(ME, headers=customer.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(customer.id)
    assert body["principalType"] == "customer"
    assert body["role"] == "customer"
    assert body["permissions"] == ["portal:self"]


async def test_me_without_a_token_is_unauthorized(client):
    response = await client.get(ME)

    assert_problem(response, 401, "UNAUTHORIZED")
    assert response.headers["www-authenticate"] == "Bearer"


def valid_claims(app, subject: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """Claims the app would put in an access token for a staff user, with ``overrides`` applied."""
    settings = app.state.settings
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(subject),
        "typ": "access",
        "role": "admin",
        "pt": "user",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return claims


async def test_crafted_token_with_valid_claims_is_accepted(client, app, sessionmaker):
    # The control for the rejection tests below: the same crafting with nothing wrong passes.
    admin = await make_user(app, sessionmaker, "admin")
    token = jwt.encode(valid_claims(app, admin.id), TEST_SECRET, algorithm="HS256")

    response = await client.get(ME, headers=bearer_header(token))

    assert response.status_code == 200, response.text


async def test_expired_token_answers_token_expired(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    past = utcnow() - timedelta(hours=1)
    claims = valid_claims(
        app,
        admin.id,
        iat=int(past.timestamp()),
        exp=int((past + timedelta(minutes=15)).timestamp()),
    )
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")

    response = await client.get(ME, headers=bearer_header(token))

    assert_problem(response, 401, "TOKEN_EXPIRED")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda claims: "not-a-jwt", id="garbage"),
        pytest.param(
            lambda claims: jwt.encode({**claims, "aud": "someone-else"}, TEST_SECRET, algorithm="HS256"),
            id="wrong-audience",
        ),
        pytest.param(
            lambda claims: jwt.encode({**claims, "iss": "evil-issuer"}, TEST_SECRET, algorithm="HS256"),
            id="wrong-issuer",
        ),
        pytest.param(lambda claims: jwt.encode(claims, None, algorithm="none"), id="alg-none"),
        pytest.param(
            lambda claims: jwt.encode(claims, "another-key-that-is-long-enough-for-hs256", algorithm="HS256"),
            id="another-key",
        ),
        pytest.param(
            lambda claims: jwt.encode(claims, TEST_SECRET, algorithm="HS512"),
            id="hs512-swap",
            marks=pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
        ),
        pytest.param(
            lambda claims: jwt.encode({**claims, "typ": "refresh"}, TEST_SECRET, algorithm="HS256"),
            id="refresh-type",
        ),
        pytest.param(
            lambda claims: jwt.encode(
                {k: v for k, v in claims.items() if k != "exp"}, TEST_SECRET, algorithm="HS256"
            ),
            id="no-expiry",
        ),
        pytest.param(
            lambda claims: jwt.encode({**claims, "sub": str(uuid.uuid4())}, TEST_SECRET, algorithm="HS256"),
            id="unknown-subject",
        ),
    ],
)
async def test_invalid_tokens_are_unauthorized(client, app, sessionmaker, forge):
    admin = await make_user(app, sessionmaker, "admin")
    token = forge(valid_claims(app, admin.id))

    response = await client.get(ME, headers=bearer_header(token))

    assert_problem(response, 401, "UNAUTHORIZED")


async def test_refresh_token_is_not_a_bearer_token(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    tokens = await login_tokens(client, agent.email)

    response = await client.get(ME, headers=bearer_header(tokens["refreshToken"]))

    assert_problem(response, 401, "UNAUTHORIZED")


async def test_deactivating_a_user_ends_their_access_at_once(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    assert (await client.get(ME, headers=manager.headers)).status_code == 200

    await set_user_active(sessionmaker, manager.id, False)

    response = await client.get(ME, headers=manager.headers)
    assert_problem(response, 401, "UNAUTHORIZED")
