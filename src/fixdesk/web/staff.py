"""The staff app's shell under ``/app``: signing in and out, accepting an invitation, the start page.

* ``GET/POST /app/login``: email and password, "remember me on this device" (:mod:`fixdesk.web.sign_in`).
  Only staff accounts: a customer is told to use the portal. ``?next=`` returns to a page of ``/app``.
* ``POST /app/logout``: ends the browser's session.
* ``/accept-invite?token=…`` (the link of the invitation email, :mod:`fixdesk.identity.staff`) opens
  ``/app/accept-invite``, where the invited user chooses a password, then signs in.
* ``GET /app`` is the dashboard (:mod:`fixdesk.web.dashboard`, carried by the analytics manifest).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from fixdesk.identity import staff as staff_accounts
from fixdesk.identity.schemas import AcceptInvitationRequest
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.permissions import OptionalPrincipal, public
from fixdesk.web import sign_in
from fixdesk.web.i18n import N_, Message
from fixdesk.web.pages import STAFF_PREFIX, WebPages
from fixdesk.web.templating import render

router = APIRouter()
public_router = APIRouter()

PASSWORD_SET = N_("Your password is set. Sign in with it.")
INVITATION_INVALID = N_(
    "This invitation link is invalid, already used or expired. Ask your admin for a new one."
)


def _login_page(
    request: Request,
    *,
    email: str = "",
    error: Message | None = None,
    values: dict | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "staff/login.html",
        {
            "email": email,
            "error": error,
            "error_values": values or {},
            "notice": notice,
            "next": sign_in.safe_next(request.query_params.get("next"), STAFF_PREFIX),
        },
        status_code=status,
        headers=headers,
    )


@router.get("/login", dependencies=[Depends(public)])
async def login_form(request: Request, principal: OptionalPrincipal) -> Response:
    """The staff sign-in form: email, password, "remember me on this device". A signed-in user goes on to
    ``next`` (or the start page)."""
    if principal is not None and principal.is_staff:
        return RedirectResponse(sign_in.safe_next(request.query_params.get("next"), STAFF_PREFIX), 303)
    notice = PASSWORD_SET if request.query_params.get("done") == "password" else None
    return _login_page(request, notice=notice)


@router.post("/login", dependencies=[Depends(public)])
async def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    remember_me: Annotated[bool, Form()] = False,
) -> Response:
    """Sign a staff user in (see :func:`fixdesk.web.sign_in.with_password`); the form again with the
    reason on failure (401 wrong credentials, 403 a customer account, 429 too many attempts)."""
    try:
        login = await sign_in.with_password(
            request, session, email=email, password=password, remember_me=remember_me, expected="user"
        )
    except sign_in.SignInRefused as refused:
        return _login_page(
            request,
            email=email,
            error=refused.message,
            values=refused.values,
            status=refused.status,
            headers=refused.headers,
        )
    return sign_in.signed_in_response(request, STAFF_PREFIX, login, request.query_params.get("next"))


@router.post("/logout", dependencies=[Depends(public)])
async def logout(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    """Sign out: the session ends on the server and the cookie is cleared; back to the sign-in page."""
    return await sign_in.sign_out(
        request, session, principal if principal and principal.is_staff else None, STAFF_PREFIX
    )


@public_router.get("/accept-invite", dependencies=[Depends(public)])
async def invitation_link(request: Request) -> RedirectResponse:
    """The invitation email's link: on to the staff app's page for it, the token kept."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{STAFF_PREFIX}/accept-invite{query}", status_code=303)


def _invitation_page(
    request: Request, token: str, errors: list[str] | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request, "staff/accept_invite.html", {"token": token, "errors": errors or []}, status_code=status
    )


@router.get("/accept-invite", dependencies=[Depends(public)])
async def invitation_form(request: Request) -> HTMLResponse:
    """Choose a password for an invited staff account (the token from the email's link)."""
    return _invitation_page(request, request.query_params.get("token", ""))


@router.post("/accept-invite", dependencies=[Depends(public)])
async def accept_invitation(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Set the password with :func:`fixdesk.identity.staff.accept_invitation` (the API's
    ``POST /auth/accept-invite``), then on to the sign-in page."""
    try:
        body = AcceptInvitationRequest.model_validate({"token": token, "password": password})
    except ValidationError as exc:
        return _invitation_page(request, token, [str(error["msg"]) for error in exc.errors()], status=400)
    try:
        await staff_accounts.accept_invitation(
            session, token=body.token, password=body.password, client=sign_in.client_info(request)
        )
    except ValidationFailed:
        return _invitation_page(request, token, [INVITATION_INVALID], status=400)
    return RedirectResponse(f"{STAFF_PREFIX}/login?done=password", status_code=303)


pages = WebPages(name="staff", staff=router, public=public_router)
