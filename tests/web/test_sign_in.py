"""Signing in to the pages (issue 10, item 2) over HTTP: the staff and portal sign-in forms on the identity
service, the session cookie and what ends it, CSRF on every unsafe page request, the API's login limit,
redirects to sign-in, permissions, the set-password pages the emails link to."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from fixdesk.credentials.models import AuthSession
from fixdesk.identity.models import User
from fixdesk.platform.permissions import require
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages, include_pages
from fixdesk.web.templating import render
from tests.conftest import make_settings
from tests.factories import make_customer, make_user
from tests.identity.conftest import Mailroom, make_mailroom
from tests.web.conftest import CSRF_FIELD, PASSWORD, _browser

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def staff_member(app: Any, sessionmaker: Any, role: str = "admin") -> Any:
    return await make_user(app, sessionmaker, role, password=PASSWORD)


def session_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


# --- staff sign-in ------------------------------------------------------------------------------------


async def test_staff_sign_in_sets_a_safe_session_cookie_and_opens_the_start_page(
    app, sessionmaker, browser_client
):
    admin = await staff_member(app, sessionmaker)

    response = await browser_client.sign_in_staff(admin.email)

    assert response.status_code == 303
    assert response.headers["location"] == "/app"
    cookie = session_cookie(response, "fixdesk_staff_session").lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie
    assert "path=/" in cookie
    assert "max-age" not in cookie
    assert "expires" not in cookie
    start = await browser_client.http.get("/app")
    assert start.status_code == 200
    assert admin.email in start.text
    assert 'action="/app/logout"' in start.text
    # The cookie is an opaque secret whose hash is the session row's, not a token of the API.
    async with sessionmaker() as session:
        row = (await session.execute(select(AuthSession).where(AuthSession.user_id == admin.id))).scalar_one()
    assert row.browser_token_hash is not None


async def test_remember_me_makes_the_cookie_persistent(app, sessionmaker, browser_client):
    admin = await staff_member(app, sessionmaker)

    response = await browser_client.sign_in_staff(admin.email, remember_me="true")

    cookie = session_cookie(response, "fixdesk_staff_session").lower()
    assert f"max-age={30 * 24 * 3600}" in cookie


@SQLITE_ONLY
async def test_a_wrong_password_shows_the_form_again_and_sets_no_cookie(app, sessionmaker, browser_client):
    admin = await staff_member(app, sessionmaker)

    response = await browser_client.sign_in_staff(admin.email, "not the password")

    assert response.status_code == 401
    assert "The email or password is not right" in response.text
    assert f'value="{admin.email}"' in response.text
    assert "fixdesk_staff_session" not in response.headers.get("set-cookie", "")
    assert (await browser_client.http.get("/app")).status_code == 303


async def test_a_customer_cannot_sign_in_to_the_staff_app_nor_staff_to_the_portal(
    app, sessionmaker, browser_client
):
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    admin = await staff_member(app, sessionmaker)

    at_staff = await browser_client.sign_in_staff(customer.email)
    at_portal = await browser_client.sign_in_customer(admin.email)

    assert at_staff.status_code == 403
    assert "Customers sign in at the customer portal" in at_staff.text
    assert at_portal.status_code == 403
    assert "Staff sign in to the back office" in at_portal.text
    assert "session" not in at_staff.headers.get("set-cookie", "") + at_portal.headers.get("set-cookie", "")
    # Nothing is left of those logins.
    async with sessionmaker() as session:
        assert (await session.execute(select(AuthSession))).scalars().all() == []


@SQLITE_ONLY
async def test_signed_out_pages_redirect_to_sign_in_and_back_to_a_local_page_only(
    app, sessionmaker, browser_client
):
    admin = await staff_member(app, sessionmaker)

    page = await browser_client.http.get("/app?tab=today")
    htmx = await browser_client.http.get("/app", headers={"HX-Request": "true"})
    portal = await browser_client.http.get("/portal")

    assert page.status_code == 303
    assert page.headers["location"] == "/app/login?next=%2Fapp%3Ftab%3Dtoday"
    assert htmx.headers["hx-redirect"] == "/app/login?next=%2Fapp"
    assert portal.headers["location"] == "/portal/login?next=%2Fportal"
    login_page = await browser_client.http.get(page.headers["location"])
    assert 'action="/app/login?next=%2Fapp%3Ftab%3Dtoday"' in login_page.text

    signed_in = await browser_client.submit(
        "/app/login?next=/app%3Ftab%3Dtoday", {"email": admin.email, "password": PASSWORD}
    )
    assert signed_in.headers["location"] == "/app?tab=today"
    hostile_sign_in = await browser_client.submit(
        "/app/login?next=https://evil.example/app", {"email": admin.email, "password": PASSWORD}, form="/app"
    )
    assert hostile_sign_in.headers["location"] == "/app"
    for hostile in (
        "https://evil.example/app",
        "//evil.example/app",
        "/\\evil.example",
        "/portal",
        "/app/../api/v1/users",
        "/api/v1/users",
    ):
        # A signed-in reader of the sign-in page is sent on to ``next`` the same way as after signing in.
        again = await browser_client.http.get("/app/login", params={"next": hostile})
        assert again.headers["location"] == "/app", hostile
    assert (await browser_client.http.get("/app/login?next=/app/repairs")).headers[
        "location"
    ] == "/app/repairs"


@SQLITE_ONLY
async def test_the_portal_signs_in_a_passwordless_customer_with_an_emailed_code(
    app, settings, database, sessionmaker, browser_client
):
    customer = await make_customer(app, sessionmaker)
    mailroom: Mailroom = make_mailroom(settings, database)
    try:
        asked = await browser_client.submit("/portal/login", {"email": customer.email, "method": "code"})
        assert asked.status_code == 200
        assert "emailed a 6-digit code" in asked.text
        token = CSRF_FIELD.search(asked.text).group(1)  # type: ignore[union-attr]
        code = await mailroom.code_for(customer.email)

        wrong = await browser_client.http.post(
            "/portal/login/code",
            data={
                "email": customer.email,
                "code": "000000" if code != "000000" else "111111",
                "csrftoken": token,
            },
        )
        right = await browser_client.http.post(
            "/portal/login/code", data={"email": customer.email, "code": code, "csrftoken": token}
        )
    finally:
        await mailroom.services.aclose()

    assert wrong.status_code == 401
    assert "That code is not right" in wrong.text
    assert right.status_code == 303
    assert right.headers["location"] == "/portal"
    session_cookie(right, "fixdesk_portal_session")
    assert (await browser_client.http.get("/portal")).status_code == 200
    # The portal cookie does not open the staff app.
    assert (await browser_client.http.get("/app")).status_code == 303


@SQLITE_ONLY
async def test_a_sixth_sign_in_attempt_in_a_minute_is_refused_on_the_page(
    tmp_path, database, database_url, sessionmaker
):
    app = database.app(make_settings(database_url, tmp_path))  # the default limit: 5 a minute per address
    admin = await make_user(app, sessionmaker, "admin", password=PASSWORD)
    async for browser in _browser(app):
        token = await browser.form_token("/app/login")
        answers = [
            await browser.http.post(
                "/app/login", data={"email": admin.email, "password": "wrong one", "csrftoken": token}
            )
            for _ in range(5)
        ]
        refused = await browser.http.post(
            "/app/login", data={"email": admin.email, "password": PASSWORD, "csrftoken": token}
        )
        api = await browser.http.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})

    assert [a.status_code for a in answers] == [401] * 5
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    wait = int(refused.headers["retry-after"])
    assert f"Wait {wait} {'second' if wait == 1 else 'seconds'} and try again." in refused.text
    assert "fixdesk_staff_session" not in refused.headers.get("set-cookie", "")
    assert api.status_code == 429  # one budget with the API's login


# --- what ends a browser session ----------------------------------------------------------------------


async def test_signing_out_ends_the_session_on_the_server(app, sessionmaker, browser_client):
    admin = await staff_member(app, sessionmaker)
    signed_in = await browser_client.sign_in_staff(admin.email)
    stolen_cookie = signed_in.cookies["fixdesk_staff_session"]

    token = await browser_client.form_token("/app")
    out = await browser_client.http.post("/app/logout", data={"csrftoken": token})

    assert out.status_code == 303
    assert out.headers["location"] == "/app/login"
    assert (
        'fixdesk_staff_session=""' in out.headers["set-cookie"]
        or "max-age=0" in out.headers["set-cookie"].lower()
    )
    assert (await browser_client.http.get("/app")).headers["location"].startswith("/app/login")
    # A copy of the cookie kept elsewhere opens nothing either: the session row is revoked.
    replay = await browser_client.http.get("/app", cookies={"fixdesk_staff_session": stolen_cookie})
    assert replay.status_code == 303
    async with sessionmaker() as session:
        row = (await session.execute(select(AuthSession).where(AuthSession.user_id == admin.id))).scalar_one()
    assert row.revoked_reason == "logout"


@SQLITE_ONLY
async def test_revoke_all_from_the_api_ends_the_browser_session(app, sessionmaker, browser_client, client):
    admin = await staff_member(app, sessionmaker)
    await browser_client.sign_in_staff(admin.email)
    assert (await browser_client.http.get("/app")).status_code == 200

    revoked = await client.post("/api/v1/auth/revoke-all", headers=admin.headers)

    assert revoked.status_code == 200
    assert (await browser_client.http.get("/app")).headers["location"] == "/app/login?next=%2Fapp"


@SQLITE_ONLY
async def test_deactivating_a_user_ends_their_browser_session(app, sessionmaker, browser_client, client):
    technician = await staff_member(app, sessionmaker, "technician")
    admin = await staff_member(app, sessionmaker)
    await browser_client.sign_in_staff(technician.email)
    assert (await browser_client.http.get("/app")).status_code == 200

    response = await client.patch(
        f"/api/v1/users/{technician.id}", json={"isActive": False}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert (await browser_client.http.get("/app")).status_code == 303


@SQLITE_ONLY
async def test_the_session_cookie_does_not_authenticate_the_api(app, sessionmaker, browser_client):
    admin = await staff_member(app, sessionmaker)
    await browser_client.sign_in_staff(admin.email)

    response = await browser_client.http.get("/api/v1/users/me")

    assert response.status_code == 401


# --- CSRF ---------------------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_sign_out_without_the_csrf_token_is_refused_and_changes_nothing(
    app, sessionmaker, browser_client
):
    admin = await staff_member(app, sessionmaker)
    await browser_client.sign_in_staff(admin.email)

    missing = await browser_client.http.post("/app/logout")
    wrong = await browser_client.http.post("/app/logout", data={"csrftoken": "forged"})
    wrong_header = await browser_client.http.post(
        "/app/logout", headers={"X-CSRFToken": "forged", "HX-Request": "true"}
    )

    for refused in (missing, wrong, wrong_header):
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "This form has expired" in refused.text
    assert (await browser_client.http.get("/app")).status_code == 200  # still signed in
    async with sessionmaker() as session:
        row = (await session.execute(select(AuthSession).where(AuthSession.user_id == admin.id))).scalar_one()
    assert row.revoked_at is None

    # htmx sends the page's token as a header: the page carries it for htmx and the layout's meta tag.
    page = await browser_client.http.get("/app")
    token = CSRF_FIELD.search(page.text).group(1)  # type: ignore[union-attr]
    assert f'<meta name="csrf-token" content="{token}">' in page.text
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page.text
    out = await browser_client.http.post("/app/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert out.status_code == 303


@SQLITE_ONLY
async def test_the_sign_in_forms_are_protected_against_login_csrf(app, sessionmaker, browser_client):
    admin = await staff_member(app, sessionmaker)
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD)

    staff = await browser_client.http.post("/app/login", data={"email": admin.email, "password": PASSWORD})
    portal = await browser_client.http.post(
        "/portal/login", data={"email": customer.email, "password": PASSWORD}
    )

    assert (staff.status_code, portal.status_code) == (403, 403)
    assert "set-cookie" not in staff.headers or "session" not in staff.headers["set-cookie"]
    async with sessionmaker() as session:
        assert (await session.execute(select(AuthSession))).scalars().all() == []


@SQLITE_ONLY
async def test_a_bearer_token_request_to_a_page_needs_no_csrf_token(app, sessionmaker):
    # Another site cannot make a browser send an Authorization header; the page helpers' tests post so.
    admin = await staff_member(app, sessionmaker)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        start = await http.get("/app", headers=admin.headers)
        out = await http.post("/app/logout", headers=admin.headers)

    assert start.status_code == 200
    assert out.status_code == 303


# --- permissions --------------------------------------------------------------------------------------


def _settings_pages(changed: list[str]) -> WebPages:
    """A settings page for admins (``users:manage``) with an action that records what it changed."""
    router = APIRouter()

    @router.get("/test-settings", dependencies=[Depends(require("users:manage"))])
    async def settings_page(request: Request) -> HTMLResponse:
        return render(request, "staff/start.html")

    @router.post("/test-settings/rename", dependencies=[Depends(require("users:manage"))])
    async def rename(request: Request) -> HTMLResponse:
        changed.append("renamed")
        return render(request, "staff/start.html")

    return WebPages(
        name="test-settings",
        staff=router,
        navigation=(NavItem(N_("Settings"), "/app/test-settings", "settings", permission="users:manage"),),
    )


@SQLITE_ONLY
async def test_a_technician_sees_no_settings_entry_and_cannot_post_to_its_action(
    app, sessionmaker, browser_client, other_browser
):
    changed: list[str] = []
    include_pages(app, [_settings_pages(changed)])
    technician = await staff_member(app, sessionmaker, "technician")
    admin = await staff_member(app, sessionmaker)
    await browser_client.sign_in_staff(technician.email)
    await other_browser.sign_in_staff(admin.email)

    technician_start = (await browser_client.http.get("/app")).text
    admin_start = (await other_browser.http.get("/app")).text
    assert 'href="/app/test-settings"' not in technician_start
    assert 'href="/app/test-settings"' in admin_start
    assert (await browser_client.http.get("/app/test-settings")).status_code == 403

    token = CSRF_FIELD.search(technician_start).group(1)  # type: ignore[union-attr]
    refused = await browser_client.http.post("/app/test-settings/rename", data={"csrftoken": token})
    assert refused.status_code == 403
    assert "Not allowed" in refused.text
    assert changed == []

    admin_token = CSRF_FIELD.search(admin_start).group(1)  # type: ignore[union-attr]
    allowed = await other_browser.http.post("/app/test-settings/rename", data={"csrftoken": admin_token})
    assert allowed.status_code == 200
    assert changed == ["renamed"]


@SQLITE_ONLY
async def test_a_customer_signed_in_to_the_portal_gets_403_for_staff_pages_with_their_token(
    app, sessionmaker
):
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/app", headers={**customer.headers, "Accept": "text/html"})

    assert response.status_code == 403
    assert "Not allowed" in response.text


# --- the pages the emails link to ---------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_portal_password_link_opens_a_page_that_sets_it(
    app, settings, database, sessionmaker, client, browser_client
):
    customer = await make_customer(app, sessionmaker)
    admin = await staff_member(app, sessionmaker)
    mailroom = make_mailroom(settings, database)
    try:
        invited = await client.post(
            f"/api/v1/customers/{customer.id}/portal-invitation", headers=admin.headers
        )
        assert invited.status_code in (200, 202), invited.text
        await mailroom.drain()
        body = mailroom.emails(customer.email)[-1].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    finally:
        await mailroom.services.aclose()
    link = re.search(r"https?://\S+/portal/reset-password\?token=\S+", body)
    assert link, body
    path = urlsplit(link.group(0))
    token = parse_qs(path.query)["token"][0]

    page = await browser_client.http.get(f"{path.path}?{path.query}")
    assert page.status_code == 200
    assert f'value="{token}"' in page.text
    too_short = await browser_client.submit("/portal/reset-password", {"token": token, "password": "short"})
    assert too_short.status_code == 400
    done = await browser_client.submit("/portal/reset-password", {"token": token, "password": PASSWORD})
    assert done.status_code == 303
    assert done.headers["location"] == "/portal/login?done=password"
    again = await browser_client.submit("/portal/reset-password", {"token": token, "password": PASSWORD})
    assert again.status_code == 400
    assert "invalid, already used or expired" in again.text

    signed_in = await browser_client.sign_in_customer(customer.email)
    assert signed_in.headers["location"] == "/portal"


@SQLITE_ONLY
async def test_the_staff_invitation_link_opens_a_page_that_sets_the_password(
    app, settings, database, sessionmaker, client, browser_client
):
    admin = await staff_member(app, sessionmaker)
    mailroom = make_mailroom(settings, database)
    try:
        invited = await client.post(
            "/api/v1/users",
            json={
                "email": "new.tech@example.com",
                "firstName": "Nia",
                "lastName": "Tech",
                "role": "technician",
            },
            headers=admin.headers,
        )
        assert invited.status_code == 201, invited.text
        token = await mailroom.invitation_token_for("new.tech@example.com")
        body = mailroom.emails("new.tech@example.com")[-1].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    finally:
        await mailroom.services.aclose()
    link = urlsplit(re.search(r"https?://\S+/accept-invite\?token=\S+", body).group(0))  # type: ignore[union-attr]

    opened = await browser_client.http.get(f"{link.path}?{link.query}")
    assert opened.status_code == 303
    page = await browser_client.http.get(opened.headers["location"])
    assert f'value="{token}"' in page.text
    done = await browser_client.submit("/app/accept-invite", {"token": token, "password": PASSWORD})
    assert done.headers["location"] == "/app/login?done=password"
    assert (await browser_client.sign_in_staff("new.tech@example.com")).headers["location"] == "/app"
    async with sessionmaker() as session:
        user = (await session.execute(select(User).where(User.email == "new.tech@example.com"))).scalar_one()
    assert user.password_hash is not None


@SQLITE_ONLY
async def test_a_multipart_form_carries_its_token_before_its_files(app, sessionmaker, browser_client):
    # A photo upload posted by a browser's own form (no htmx header): the token is read from the body.
    admin = await staff_member(app, sessionmaker)
    await browser_client.sign_in_staff(admin.email)
    token = await browser_client.form_token("/app")
    photo = ("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")

    file_first = await browser_client.http.post(
        "/app/logout", files=[("photo", photo), ("csrftoken", (None, token))]
    )
    forged = await browser_client.http.post(
        "/app/logout", data={"csrftoken": "forged"}, files={"photo": photo}
    )
    assert (file_first.status_code, forged.status_code) == (403, 403)
    assert "This form has expired" in forged.text
    assert (await browser_client.http.get("/app")).status_code == 200  # still signed in

    out = await browser_client.http.post("/app/logout", data={"csrftoken": token}, files={"photo": photo})
    assert out.status_code == 303
