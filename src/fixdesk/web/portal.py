"""The customer portal's shell under ``/portal``, phone first: signing in and out, setting a password, the
start page.

* ``GET/POST /portal/login``: email and password; or, with the "Email me a sign-in code" button
  (``method=code``), the code is emailed as ``POST /api/v1/auth/login`` with ``{email}`` does and the page
  asks for it; ``POST /portal/login/code`` signs in with it (:mod:`fixdesk.web.sign_in`). Only customer
  accounts: staff are told to use ``/app/login``. ``?next=`` returns to a page of ``/portal``.
* ``POST /portal/logout``: ends the browser's session.
* ``/portal/reset-password?token=…``: the page the invitation and password-reset emails link to
  (:data:`fixdesk.identity.portal_access.SET_PASSWORD_PATH`); ``/portal/forgot-password`` asks for such a
  link (``POST /auth/forgot-password``).
* ``GET /portal``: the customer's repairs with their status; ``/portal/repairs/{id}``: one repair's
  timeline, public photos (``…/attachments/{id}/file``) and quotes, approving or declining the open one
  (with a reason), and rating it once completed (``POST …/review``), on the services of the customer API
  (``/api/v1/customer/repairs/...``); ``/portal/notifications``: the messages the shop sent;
  ``/portal/profile``: the customer's details and notification preferences (``PUT /api/v1/customer/profile``).

The links in the repair messages (``portal_url``, :func:`fixdesk.repairs.messages.portal_url`) open
``/portal/repairs/{id}``; signed out, the page sends the reader to ``/portal/login?next=…`` and the sign-in
returns there.

The portal's pages speak the customer's language (their ``locale``, else the ``language`` their messages
are written in; :func:`fixdesk.web.templating.render`), so the language chosen on the profile page changes
both the messages and the pages; the sign-in pages, before anyone is known, follow the browser.
"""

from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.customers import service as customers_service
from fixdesk.customers.schemas import CustomerProfileRead, CustomerProfileUpdate
from fixdesk.identity import portal_access
from fixdesk.identity.schemas import ForgotPasswordRequest, ResetPasswordRequest
from fixdesk.messaging import service as messaging_service
from fixdesk.platform.attachments import file_response
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import CustomerPortal, OptionalPrincipal, Principal, public
from fixdesk.platform.storage import StorageDep
from fixdesk.repairs import service as repairs_service
from fixdesk.repairs.attachments import service as attachments_service
from fixdesk.repairs.models import AttachmentKind
from fixdesk.repairs.quotes import service as quotes_service
from fixdesk.repairs.tracking import service as tracking_service
from fixdesk.repairs.tracking.schemas import ReviewCreate
from fixdesk.web import sign_in
from fixdesk.web.forms import PROBLEMS_SHOWN_ON_PAGE, Problem, form_values, problem_of
from fixdesk.web.i18n import N_, Message
from fixdesk.web.pages import PORTAL_PREFIX, WebPages
from fixdesk.web.templating import render

router = APIRouter()

CODE_SENT = N_(
    "If %(email)s has an account with us, we have emailed a 6-digit code to it. It works for 10 minutes."
)
PASSWORD_SET = N_("Your password is set. Sign in with it.")
LINK_INVALID = N_("This link is invalid, already used or expired. Ask for a new one below.")
LINK_SENT = N_("If %(email)s has an account with us, we have emailed a link to choose a new password.")
ENTER_EMAIL = N_("Enter the email address of your account.")


# How the portal names a repair's and a quote's status, and the colour of its badge (Tabler's).
REPAIR_STATUSES: dict[str, tuple[str, str]] = {
    "received": (N_("Received"), "secondary"),
    "diagnosing": (N_("Being diagnosed"), "info"),
    "quoted": (N_("Waiting for your approval"), "warning"),
    "approved": (N_("Approved"), "primary"),
    "repairing": (N_("Being repaired"), "primary"),
    "waiting_parts": (N_("Waiting for parts"), "orange"),
    "testing": (N_("Being tested"), "cyan"),
    "completed": (N_("Ready for pickup"), "success"),
    "delivered": (N_("Collected"), "green"),
    "cancelled": (N_("Cancelled"), "dark"),
}
QUOTE_STATUSES: dict[str, tuple[str, str]] = {
    "sent": (N_("Waiting for your answer"), "warning"),
    "approved": (N_("Approved"), "success"),
    "declined": (N_("Declined"), "danger"),
    "superseded": (N_("Replaced by a newer quote"), "secondary"),
}
QUOTE_APPROVED = N_("Thank you: the quote is approved and we are getting to work.")
QUOTE_DECLINED = N_("The quote is declined. We will be in touch.")
REVIEW_SAVED = N_("Thank you for rating your repair.")
PROFILE_SAVED = N_("Your details are saved.")
PORTAL_PAGE_SIZE = 20
# How the stars of a review read to a screen reader and under the radio buttons.
RATING_LABELS: dict[int, str] = {
    1: N_("1 star: poor"),
    2: N_("2 stars: fair"),
    3: N_("3 stars: good"),
    4: N_("4 stars: very good"),
    5: N_("5 stars: excellent"),
}
# The gallery's headings, as on the staff repair page; documents stay links.
ATTACHMENT_KIND_LABELS: dict[str, str] = {
    "before": N_("Before"),
    "after": N_("After"),
    "document": N_("Document"),
}
# The photos shown on one repair's page (staff rarely publish more than a handful).
PORTAL_PHOTOS = 50
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "pt": "Português"}


@router.get("")
async def start(request: Request, session: SessionDep, principal: CustomerPortal) -> HTMLResponse:
    """The portal's start page (``/portal``): the signed-in customer's repairs, newest first, with their
    status (``?page=`` pages through them), from the service behind ``GET /api/v1/customer/repairs``."""
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    rows, total = await repairs_service.list_customer_repairs(
        session, principal, PageParams(page=page, page_size=PORTAL_PAGE_SIZE)
    )
    return render(
        request,
        "portal/start.html",
        {
            "repairs": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PORTAL_PAGE_SIZE)),
            "statuses": REPAIR_STATUSES,
        },
    )


async def _repair_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    *,
    notice: str | None = None,
    problem: Problem | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    repair = await repairs_service.get_repair(session, principal, repair_id)
    quotes, _ = await quotes_service.list_quotes(
        session, principal, repair_id, PageParams(page=1, page_size=50)
    )
    photos, _ = await attachments_service.list_attachments(
        session, principal, repair_id, PageParams(page=1, page_size=PORTAL_PHOTOS)
    )
    history = sorted(repair.status_history, key=lambda change: change.created_at, reverse=True)
    return render(
        request,
        "portal/repair.html",
        {
            "repair": repair,
            "history": history,
            "quotes": quotes,
            "photos": photos,
            "attachment_kinds": [kind.value for kind in AttachmentKind],
            "attachment_kind_labels": ATTACHMENT_KIND_LABELS,
            "statuses": REPAIR_STATUSES,
            "quote_statuses": QUOTE_STATUSES,
            "review": repair.review,
            "can_review": repair.review is None and repair.status in tracking_service.REVIEWABLE_STATUSES,
            "rating_labels": RATING_LABELS,
            "notice": notice,
            "problem": problem,
            "values": values or {},
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/repairs/{repair_id}")
async def repair_page(
    request: Request, repair_id: uuid.UUID, session: SessionDep, principal: CustomerPortal
) -> HTMLResponse:
    """One of the customer's repairs: status, device, what was reported, the timeline of its status
    changes (with the notes meant for the customer, never the shop's internal ones), the photos staff made
    public (before/after), the quotes sent, the open one with approve and decline, and, once completed or
    collected, the customer's rating or the form to give one. Another customer's repair is a 404 (the same
    services as ``GET /api/v1/customer/repairs/{id}``, ``…/attachments`` and ``…/review``)."""
    done = request.query_params.get("done")
    notice = {"approved": QUOTE_APPROVED, "declined": QUOTE_DECLINED, "reviewed": REVIEW_SAVED}.get(
        done or ""
    )
    return await _repair_page(request, session, principal, repair_id, notice=notice)


@router.post("/repairs/{repair_id}/review")
async def review_repair(
    request: Request, repair_id: uuid.UUID, session: SessionDep, principal: CustomerPortal
) -> Response:
    """Rate the repair 1–5 with an optional comment (form fields ``rating``, ``comment``), once, when it is
    completed or delivered: :func:`fixdesk.repairs.tracking.service.create_review`, as
    ``POST /api/v1/customer/repairs/{id}/review``; 303 back to the repair. An invalid rating (400) or a
    repair in another status or already rated (409) re-renders the page with the API's problem, nothing
    stored; another customer's repair is a 404."""
    values = await form_values(request)
    raw_rating = values.get("rating", "")
    # The API's model takes a JSON integer only; a form posts text, so a number is read here and anything
    # else reaches the model as it came, for the API's own message.
    rating: Any = int(raw_rating) if raw_rating.isdigit() else (raw_rating or None)
    try:
        review = ReviewCreate.model_validate({"rating": rating, "comment": values.get("comment") or None})
        await tracking_service.create_review(session, principal, repair_id, review)
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        await session.rollback()
        return await _repair_page(
            request, session, principal, repair_id, problem=problem_of(error), values=values
        )
    return RedirectResponse(f"{PORTAL_PREFIX}/repairs/{repair_id}?done=reviewed#review", status_code=303)


@router.get("/repairs/{repair_id}/attachments/{attachment_id}/file")
async def attachment_file(
    request: Request,
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    storage: StorageDep,
) -> Response:
    """A public photo or document of one of the customer's repairs for the page's gallery: the bytes and
    headers of ``GET /api/v1/customer/repairs/{id}/attachments/{id}/download`` on the portal's session. A
    private attachment, another customer's repair or an unknown id is a 404."""
    download = await attachments_service.download(
        session,
        principal,
        repair_id,
        attachment_id,
        storage=storage,
        if_none_match=request.headers.get("if-none-match"),
    )
    return file_response(download)


@router.get("/notifications")
async def notifications(request: Request, session: SessionDep, principal: CustomerPortal) -> HTMLResponse:
    """The customer's messages (emails and texts the shop sent), newest first, unread ones marked, each
    linking to its repair: the service behind ``GET /api/v1/customer/notifications``."""
    rows, total, unread = await messaging_service.list_customer_notifications(
        session, principal.id, PageParams(page=1, page_size=50)
    )
    return render(
        request, "portal/notifications.html", {"notifications": rows, "total": total, "unread": unread}
    )


@router.post("/notifications/{notification_id}/read")
async def mark_notification_read(
    notification_id: uuid.UUID, session: SessionDep, principal: CustomerPortal
) -> RedirectResponse:
    """Mark one of the customer's messages read (another customer's is a 404); back to the inbox."""
    await messaging_service.mark_read(session, principal.id, notification_id)
    return RedirectResponse(f"{PORTAL_PREFIX}/notifications", status_code=303)


@router.post("/repairs/{repair_id}/quotes/{quote_id}/approve")
async def approve_quote(
    request: Request,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
) -> RedirectResponse:
    """Approve a sent quote (:func:`fixdesk.repairs.quotes.service.approve_quote`, as
    ``POST /api/v1/customer/repairs/{id}/quotes/{quoteId}/approve``); back to the repair."""
    await quotes_service.approve_quote(
        session, principal, repair_id, quote_id, settings=request.app.state.settings
    )
    return RedirectResponse(f"{PORTAL_PREFIX}/repairs/{repair_id}?done=approved", status_code=303)


@router.post("/repairs/{repair_id}/quotes/{quote_id}/decline")
async def decline_quote(
    request: Request,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    """Decline a sent quote with the customer's reason (optional), as the API's decline; back to the
    repair."""
    await quotes_service.decline_quote(
        session, principal, repair_id, quote_id, reason.strip() or None, settings=request.app.state.settings
    )
    return RedirectResponse(f"{PORTAL_PREFIX}/repairs/{repair_id}?done=declined", status_code=303)


# --- profile ------------------------------------------------------------------------------------------

# The text fields of the profile form, named as the API's body (``PUT /api/v1/customer/profile``).
PROFILE_TEXT_FIELDS = (
    "firstName",
    "lastName",
    "phone",
    "language",
    "timezone",
    "addressLine1",
    "addressLine2",
    "city",
    "region",
    "postalCode",
)
# Fields the API refuses to clear (NOT NULL): a blank one is sent as given, for the API's message.
PROFILE_REQUIRED = ("firstName", "lastName", "language")


def _profile_values(profile: CustomerProfileRead) -> dict[str, Any]:
    values = profile.model_dump(by_alias=True)
    return {key: ("" if value is None else value) for key, value in values.items()}


def _profile_page(
    request: Request,
    profile: CustomerProfileRead,
    values: dict[str, Any],
    *,
    problem: Problem | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "portal/profile.html",
        {
            "profile": profile,
            "values": values,
            "problem": problem,
            "notice": notice,
            "languages": LANGUAGE_NAMES,
            "timezones": _timezones(),
        },
        status_code=problem.status if problem else 200,
    )


@functools.cache
def _timezones() -> tuple[str, ...]:
    # The IANA zones the service accepts (it validates with zoneinfo), read once; the region/city ones
    # only, which is how people know their zone.
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone))


async def _profile(session: AsyncSession, principal: Principal) -> CustomerProfileRead:
    customer = await customers_service.get_customer(session, principal.id, include_archived=False)
    return CustomerProfileRead.model_validate(customer)


@router.get("/profile")
async def profile_page(request: Request, session: SessionDep, principal: CustomerPortal) -> HTMLResponse:
    """The signed-in customer's details and notification preferences, as ``GET /api/v1/customer/profile``
    shows them, in a form that saves what ``PUT /api/v1/customer/profile`` allows (email is not among
    them: staff change it, since it is where sign-in codes go)."""
    profile = await _profile(session, principal)
    notice = PROFILE_SAVED if request.query_params.get("done") == "saved" else None
    return _profile_page(request, profile, _profile_values(profile), notice=notice)


@router.post("/profile")
async def save_profile(request: Request, session: SessionDep, principal: CustomerPortal) -> Response:
    """Save the profile form with the API's model (:class:`CustomerProfileUpdate`) and service
    (:func:`fixdesk.customers.service.update_customer`, as ``PUT /api/v1/customer/profile``): an emptied
    optional field is cleared, the two switches are ``notifyEmail`` / ``notifySms`` (an unticked box is
    off). On 400/409 the form comes back with the API's problem next to the fields and nothing saved;
    303 back to the page otherwise."""
    values: dict[str, Any] = await form_values(request)
    change: dict[str, Any] = {
        name: (values.get(name) or None) if name not in PROFILE_REQUIRED else values.get(name, "")
        for name in PROFILE_TEXT_FIELDS
    }
    change["notifyEmail"] = values.get("notifyEmail") == "on"
    change["notifySms"] = values.get("notifySms") == "on"
    try:
        await customers_service.update_customer(
            session,
            principal.id,
            CustomerProfileUpdate.model_validate(change),
            default_region=request.app.state.settings.default_phone_region,
        )
    except (ValidationError, *PROBLEMS_SHOWN_ON_PAGE) as error:
        await session.rollback()
        shown = {key: ("" if value is None else value) for key, value in change.items()}
        profile = await _profile(session, principal)
        return _profile_page(request, profile, shown, problem=problem_of(error))
    return RedirectResponse(f"{PORTAL_PREFIX}/profile?done=saved", status_code=303)


def _next(request: Request) -> str:
    return sign_in.safe_next(request.query_params.get("next"), PORTAL_PREFIX)


def _login_page(
    request: Request,
    *,
    email: str = "",
    error: Message | None = None,
    values: dict[str, Any] | None = None,
    notice: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "portal/login.html",
        {
            "email": email,
            "error": error,
            "error_values": values or {},
            "notice": notice,
            "next": _next(request),
        },
        status_code=status,
        headers=headers,
    )


def _code_page(
    request: Request,
    *,
    email: str,
    remember_me: bool,
    error: Message | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "portal/login_code.html",
        {
            "email": email,
            "remember_me": remember_me,
            "error": error,
            "error_values": values if error else {"email": email},
            "notice": None if error else CODE_SENT,
            "next": _next(request),
        },
        status_code=status,
        headers=headers,
    )


@router.get("/login", dependencies=[Depends(public)])
async def login_form(request: Request, principal: OptionalPrincipal) -> Response:
    """The customer sign-in form: email and password, or email alone for a code. A signed-in customer
    goes on to ``next`` (or the start page)."""
    if principal is not None and principal.is_customer:
        return RedirectResponse(_next(request), 303)
    notice = PASSWORD_SET if request.query_params.get("done") == "password" else None
    return _login_page(request, notice=notice)


@router.post("/login", dependencies=[Depends(public)])
async def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    remember_me: Annotated[bool, Form()] = False,
    method: Annotated[str, Form()] = "password",
) -> Response:
    """Sign a customer in with their password, or (``method=code``) email a code and ask for it."""
    try:
        if method == "code":
            if not email.strip():
                return _login_page(request, error=ENTER_EMAIL, status=400)
            await sign_in.send_code(request, session, email=email)
            return _code_page(request, email=email.strip(), remember_me=remember_me)
        login = await sign_in.with_password(
            request, session, email=email, password=password, remember_me=remember_me, expected="customer"
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
    return sign_in.signed_in_response(request, PORTAL_PREFIX, login, request.query_params.get("next"))


@router.post("/login/code", dependencies=[Depends(public)])
async def login_with_code(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    remember_me: Annotated[bool, Form()] = False,
) -> Response:
    """Sign a customer in with the emailed 6-digit code; the code form again with the reason on failure."""
    try:
        login = await sign_in.with_code(request, session, email=email, code=code, remember_me=remember_me)
    except sign_in.SignInRefused as refused:
        return _code_page(
            request,
            email=email,
            remember_me=remember_me,
            error=refused.message,
            values=refused.values,
            status=refused.status,
            headers=refused.headers,
        )
    return sign_in.signed_in_response(request, PORTAL_PREFIX, login, request.query_params.get("next"))


@router.post("/logout", dependencies=[Depends(public)])
async def logout(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    """Sign out: the session ends on the server and the cookie is cleared; back to the sign-in page."""
    customer = principal if principal is not None and principal.is_customer else None
    return await sign_in.sign_out(request, session, customer, PORTAL_PREFIX)


def _password_page(
    request: Request, token: str, errors: list[str] | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request, "portal/reset_password.html", {"token": token, "errors": errors or []}, status_code=status
    )


@router.get("/reset-password", dependencies=[Depends(public)])
async def password_form(request: Request) -> HTMLResponse:
    """Choose a portal password with the token of an invitation or reset email's link."""
    return _password_page(request, request.query_params.get("token", ""))


@router.post("/reset-password", dependencies=[Depends(public)])
async def reset_password(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Set the password with :func:`fixdesk.identity.portal_access.reset_password` (the API's
    ``POST /auth/reset-password``: every other session of the customer ends), then on to sign in."""
    try:
        body = ResetPasswordRequest.model_validate({"token": token, "password": password})
    except ValidationError as exc:
        return _password_page(request, token, [str(error["msg"]) for error in exc.errors()], status=400)
    try:
        await portal_access.reset_password(
            session, token=body.token, password=body.password, client=sign_in.client_info(request)
        )
    except ValidationFailed:
        return _password_page(request, token, [LINK_INVALID], status=400)
    return RedirectResponse(f"{PORTAL_PREFIX}/login?done=password", status_code=303)


@router.get("/forgot-password", dependencies=[Depends(public)])
async def forgot_password_form(request: Request) -> HTMLResponse:
    """Ask for a link to choose a new password."""
    return render(
        request,
        "portal/forgot_password.html",
        {"email": "", "notice": None, "error": None, "error_values": {}},
    )


@router.post("/forgot-password", dependencies=[Depends(public)])
async def forgot_password(
    request: Request, session: SessionDep, email: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Email a reset link (``POST /auth/forgot-password``; the same answer whether or not the address has
    an account), counted against the login limit."""
    try:
        body = ForgotPasswordRequest.model_validate({"email": email})
    except ValidationError:
        context = {"email": email, "notice": None, "error": ENTER_EMAIL, "error_values": {}}
        return render(request, "portal/forgot_password.html", context, status_code=400)
    try:
        await sign_in.count_attempt(request)
    except sign_in.SignInRefused as refused:
        context = {"email": email, "notice": None, "error": refused.message, "error_values": refused.values}
        return render(
            request, "portal/forgot_password.html", context, status_code=429, headers=refused.headers
        )
    await portal_access.request_password_reset(session, email=body.email, client=sign_in.client_info(request))
    context = {"email": body.email, "notice": LINK_SENT, "error": None, "error_values": {"email": body.email}}
    return render(request, "portal/forgot_password.html", context)


pages = WebPages(name="portal", portal=router)
