"""Signing in and out of the pages, shared by the staff app (:mod:`fixdesk.web.staff`) and the portal
(:mod:`fixdesk.web.portal`).

A sign-in form logs in through the identity service exactly as ``POST /api/v1/auth/login`` does (same
password and code checks, same audit entries, same per-IP limit on attempts: the ``auth`` category of
:mod:`fixdesk.platform.ratelimit`, whose counter the API shares), then opens a browser session
(:func:`fixdesk.identity.browser_sessions.open_browser_session`) and sets its cookie:

* ``HttpOnly`` (no script reads it), ``SameSite=Lax``, ``Path=/``, ``Secure`` outside development;
* named per area (:data:`fixdesk.platform.permissions.BROWSER_SESSION_COOKIES`): a customer's cookie never
  opens ``/app`` and a staff cookie never opens ``/portal``;
* "Remember me" makes it persistent for the remembered session's lifetime
  (``FIXDESK_REFRESH_TOKEN_REMEMBER_DAYS``); otherwise it is a browser-session cookie (gone when the
  browser closes) whose server-side session also ends after ``FIXDESK_REFRESH_TOKEN_DAYS``.

The cookie holds an opaque secret and nothing else; the session row decides on every request, so a
sign-out, revoke-all or deactivation takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit.service import ClientInfo
from fixdesk.config import Settings
from fixdesk.identity import browser_sessions, sessions
from fixdesk.identity import login as identity_login
from fixdesk.identity.schemas import TokenResponse
from fixdesk.platform.permissions import Principal, PrincipalType, browser_area
from fixdesk.platform.ratelimit import RateLimitDecision, client_ip, ip_subject
from fixdesk.web.i18n import N_, NN_, Message

WRONG_PASSWORD = N_("The email or password is not right. Check them and try again.")
EMAIL_AND_PASSWORD = N_("Enter your email address and your password.")
WRONG_CODE = N_("That code is not right or has expired. Ask for a new one.")
CUSTOMER_AT_STAFF = N_("This is the sign-in for the shop's staff. Customers sign in at the customer portal.")
STAFF_AT_PORTAL = N_("This is the customer portal. Staff sign in to the back office at /app/login.")
TOO_MANY = NN_(
    "Too many sign-in attempts from this address. Wait %(seconds)s second and try again.",
    "Too many sign-in attempts from this address. Wait %(seconds)s seconds and try again.",
    count="seconds",
)


class SignInRefused(Exception):
    """A sign-in the page answers with a message next to the form (``message`` is an ``N_`` or ``NN_``
    message, ``values`` fill its placeholders)."""

    def __init__(
        self, message: Message, *, status: int = 400, values: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.values = values or {}
        self.headers: dict[str, str] = {}


@dataclass(frozen=True)
class BrowserLogin:
    """A browser session just opened: the cookie's secret and how long a remembered cookie lasts."""

    secret: str
    remember_me: bool
    lifetime: timedelta


def client_info(request: Request) -> ClientInfo:
    """Where the sign-in comes from (the rate limiter's idea of the client IP, proxies considered)."""
    return ClientInfo(user_agent=request.headers.get("user-agent"), ip_address=client_ip(request.scope))


async def count_attempt(request: Request) -> None:
    """Count a sign-in attempt against the API's login limit (per client IP); raises
    :class:`SignInRefused` (429, with ``Retry-After``) once it is spent. Should the limiter's storage fail,
    the attempt is let through, as the API's middleware does."""
    decision: RateLimitDecision | None
    try:
        decision = await request.app.state.rate_limits.hit("auth", ip_subject(client_ip(request.scope)))
    except Exception:
        decision = None
    if decision is not None and not decision.allowed:
        refused = SignInRefused(TOO_MANY, status=429, values={"seconds": decision.retry_after})
        refused.headers = decision.headers()
        raise refused


def _lifetime(settings: Settings, remember_me: bool) -> timedelta:
    return timedelta(
        days=settings.refresh_token_remember_days if remember_me else settings.refresh_token_days
    )


async def _open(
    session: AsyncSession, tokens: TokenResponse, settings: Settings, remember_me: bool
) -> BrowserLogin:
    secret = await browser_sessions.open_browser_session(session, tokens.refresh_token)
    return BrowserLogin(secret, remember_me, _lifetime(settings, remember_me))


async def with_password(
    request: Request,
    session: AsyncSession,
    *,
    email: str,
    password: str,
    remember_me: bool,
    expected: PrincipalType,
) -> BrowserLogin:
    """Sign in with email and password as a principal of the ``expected`` kind (``user`` at ``/app``,
    ``customer`` at ``/portal``). Raises :class:`SignInRefused`: wrong credentials (the failure is audited
    and committed, as the API does) or an account of the other kind (nothing is kept of that login)."""
    settings: Settings = request.app.state.settings
    await count_attempt(request)
    if not email.strip() or not password:
        raise SignInRefused(EMAIL_AND_PASSWORD, status=400)
    # A savepoint, so a login of the wrong kind of account leaves no session behind.
    attempt = await session.begin_nested()
    try:
        tokens = await identity_login.login(
            session,
            email=email,
            password=password,
            remember_me=remember_me,
            client=client_info(request),
            tokens=request.app.state.tokens,
            settings=settings,
        )
    except identity_login.LoginFailed as exc:
        await attempt.commit()
        raise SignInRefused(WRONG_PASSWORD, status=401) from exc
    if tokens.user.principal_type != expected:
        await attempt.rollback()
        raise SignInRefused(CUSTOMER_AT_STAFF if expected == "user" else STAFF_AT_PORTAL, status=403)
    await attempt.commit()
    return await _open(session, tokens, settings, remember_me)


async def send_code(request: Request, session: AsyncSession, *, email: str) -> None:
    """Email a sign-in code to a passwordless (or any) portal customer, as ``POST /auth/login`` with
    ``{email}`` does; counted against the login limit. The page says the same whether or not the address
    has an account."""
    await count_attempt(request)
    await identity_login.request_login_code(
        session, email=email, client=client_info(request), settings=request.app.state.settings
    )


async def with_code(
    request: Request, session: AsyncSession, *, email: str, code: str, remember_me: bool
) -> BrowserLogin:
    """Sign a customer in with the emailed code. Raises :class:`SignInRefused` for a wrong, expired or
    used-up code (the attempt is counted and audited, and committed)."""
    settings: Settings = request.app.state.settings
    if not email.strip() or not code.strip():
        raise SignInRefused(WRONG_CODE, status=400)
    await count_attempt(request)
    try:
        tokens = await identity_login.verify_code(
            session,
            email=email,
            code=code.strip(),
            remember_me=remember_me,
            client=client_info(request),
            tokens=request.app.state.tokens,
            settings=settings,
        )
    except identity_login.LoginFailed as exc:
        raise SignInRefused(WRONG_CODE, status=401) from exc
    return await _open(session, tokens, settings, remember_me)


def cookie_name(area_prefix: str) -> str:
    area = browser_area(area_prefix)
    assert area is not None, area_prefix
    return area[0]


def signed_in_response(
    request: Request, area_prefix: str, login: BrowserLogin, next_path: str | None
) -> Response:
    """The redirect after signing in (303 to ``next`` when it is a page of the same area, else the
    area's start), setting the session cookie."""
    settings: Settings = request.app.state.settings
    response = RedirectResponse(safe_next(next_path, area_prefix), status_code=303)
    response.set_cookie(
        cookie_name(area_prefix),
        login.secret,
        max_age=int(login.lifetime.total_seconds()) if login.remember_me else None,
        path="/",
        secure=settings.env != "development",
        httponly=True,
        samesite="lax",
    )
    return response


async def sign_out(
    request: Request, session: AsyncSession, principal: Principal | None, area_prefix: str
) -> Response:
    """End the browser's session (the identity session row is revoked, as ``POST /auth/logout`` does) and
    clear the cookie; 303 to the area's sign-in page."""
    if principal is not None and principal.session_id is not None:
        await sessions.logout(session, refresh_token=None, principal=principal, client=client_info(request))
    settings: Settings = request.app.state.settings
    response = RedirectResponse(f"{area_prefix}/login", status_code=303)
    response.delete_cookie(
        cookie_name(area_prefix),
        path="/",
        secure=settings.env != "development",
        httponly=True,
        samesite="lax",
    )
    return response


def safe_next(value: str | None, area_prefix: str) -> str:
    """``value`` when it is a local path inside the area (``/app…`` or ``/portal…``), else the area's
    start: no other host, scheme, protocol-relative ``//host`` or back-slash trick, no ``..`` climbing out
    of the area, no control characters (no open redirect)."""
    if not value or len(value) > 2000 or any(ord(c) < 0x20 or c == "\\" for c in value):
        return area_prefix
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return area_prefix
    segments = parts.path.split("/")
    if ".." in segments or "." in segments:
        return area_prefix
    if not (parts.path == area_prefix or parts.path.startswith(area_prefix + "/")):
        return area_prefix
    if parts.path == f"{area_prefix}/login" or parts.path == f"{area_prefix}/logout":
        return area_prefix
    return value
