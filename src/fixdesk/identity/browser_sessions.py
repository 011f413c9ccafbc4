"""Browser sessions: the sign-in pages' way of holding a login (issue 10, "Sign-in and safety").

A sign-in page logs in through the same functions as ``POST /api/v1/auth/login`` (:func:`fixdesk.identity.login.login`,
:func:`fixdesk.identity.login.verify_code`), which start a login session (an ``auth_sessions`` row, the refresh-token
family). :func:`open_browser_session` then gives that session a fresh 256-bit secret for the browser's
HttpOnly cookie and keeps only its SHA-256 (``AuthSession.browser_token_hash``); the tokens of the login
are never shown to the browser. On every page request :func:`make_browser_authenticator`'s function looks
the hash up and checks the session and the account, so signing out, revoke-all, ending the session from
another device, a compromised family and a deactivated or archived account all end the browser session
on its next request: there is no access token in the cookie that would outlive a revocation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.credentials.models import AuthSession, RefreshToken
from fixdesk.customers import access as customers
from fixdesk.customers.models import CustomerStatus
from fixdesk.db import utcnow
from fixdesk.identity.models import User
from fixdesk.identity.principals import customer_principal, user_principal
from fixdesk.platform.permissions import Principal, PrincipalType
from fixdesk.platform.security import hash_secret, new_secret

BROWSER_SECRET_PREFIX = "bs_"

BrowserAuthenticator = Callable[[AsyncSession, str, PrincipalType], Awaitable[Principal | None]]


async def open_browser_session(session: AsyncSession, refresh_token: str) -> str:
    """Attach a browser secret to the login session that ``refresh_token`` (just issued by a login)
    belongs to, and return the secret for the cookie.

    The login's refresh token is marked used, so the family can only be continued by the browser cookie:
    should that token ever surface, presenting it revokes the session (reuse detection).
    Raises ``LookupError`` for an unknown token (a programming error: call it right after a login)."""
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
        )
    ).scalar_one_or_none()
    if stored is None:
        raise LookupError("no login session holds this refresh token")
    auth_session = await session.get(AuthSession, stored.session_id)
    assert auth_session is not None
    secret = new_secret(BROWSER_SECRET_PREFIX)
    auth_session.browser_token_hash = hash_secret(secret)
    stored.rotated_at = utcnow()
    await session.flush()
    return secret


def make_browser_authenticator() -> BrowserAuthenticator:
    """The function the platform uses to turn a session cookie into a :class:`Principal`
    (``app.state.browser_authenticator``, read by :func:`fixdesk.platform.permissions.optional_principal`).

    It answers ``None`` (signed out) for an unknown secret, a revoked or expired session, a session of the
    other kind of account than ``expected`` (a customer's session never opens the staff app) and an
    inactive account. Two primary-key or unique-index lookups per request."""

    async def authenticate(session: AsyncSession, secret: str, expected: PrincipalType) -> Principal | None:
        if not secret.startswith(BROWSER_SECRET_PREFIX):
            return None
        auth_session = (
            await session.execute(
                select(AuthSession).where(AuthSession.browser_token_hash == hash_secret(secret))
            )
        ).scalar_one_or_none()
        if auth_session is None or auth_session.revoked_at is not None or auth_session.expires_at <= utcnow():
            return None
        if expected == "user" and auth_session.user_id is not None:
            user = await session.get(User, auth_session.user_id)
            if user is None or not user.is_active:
                return None
            return user_principal(user, auth_session.id)
        if expected == "customer" and auth_session.customer_id is not None:
            customer = await customers.find_customer(session, auth_session.customer_id)
            if customer is None or customer.status != CustomerStatus.active:
                return None
            return customer_principal(customer, auth_session.id)
        return None

    return authenticate
