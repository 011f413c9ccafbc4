"""Login sessions (refresh-token families): starting one, refreshing it with rotation and reuse
detection, logging out, and the caller's own list of sessions.

A session is started by a login (:mod:`fixdesk.identity.login`). What a change of credentials revokes is in
:mod:`fixdesk.credentials.service`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.credentials.models import AuthSession, RefreshToken
from fixdesk.credentials.service import revoke_sessions
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.db import utcnow
from fixdesk.identity.models import User
from fixdesk.identity.principals import principal_read
from fixdesk.identity.schemas import TokenResponse
from fixdesk.platform.errors import Forbidden, NotFound, TokenFamilyCompromised, Unauthorized
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.platform.security import TokenService, hash_secret, new_secret

REFRESH_TOKEN_PREFIX = "rt_"


async def start_session(
    session: AsyncSession,
    account: User | Customer,
    *,
    remember_me: bool,
    client: ClientInfo,
    tokens: TokenService,
    settings: Settings,
) -> tuple[TokenResponse, AuthSession]:
    """Start a session (refresh-token family) for ``account`` signing in from ``client`` and return the
    tokens to answer with, and the session. The refresh token lives ``refresh_token_days`` (or
    ``refresh_token_remember_days`` with ``remember_me``); only its SHA-256 is stored."""
    now = utcnow()
    lifetime = refresh_lifetime(settings, remember_me)
    auth_session = AuthSession(
        user_id=account.id if isinstance(account, User) else None,
        customer_id=account.id if isinstance(account, Customer) else None,
        user_agent=client.trimmed_user_agent,
        ip_address=client.ip_address,
        remember_me=remember_me,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime,
    )
    session.add(auth_session)
    await session.flush()
    refresh_token = new_secret(REFRESH_TOKEN_PREFIX)
    session.add(
        RefreshToken(session_id=auth_session.id, token_hash=hash_secret(refresh_token), created_at=now)
    )
    await session.flush()
    return token_response(account, auth_session, refresh_token, lifetime, tokens), auth_session


def refresh_lifetime(settings: Settings, remember_me: bool) -> timedelta:
    """How long a refresh token lives: ``refresh_token_remember_days`` with ``remember_me``, else
    ``refresh_token_days``."""
    return timedelta(
        days=settings.refresh_token_remember_days if remember_me else settings.refresh_token_days
    )


def token_response(
    account: User | Customer,
    auth_session: AuthSession,
    refresh_token: str,
    refresh_lifetime: timedelta,
    tokens: TokenService,
) -> TokenResponse:
    """The token answer of a login or refresh: a new access token for ``account`` in ``auth_session``,
    the plain ``refresh_token`` (shown once) and both lifetimes in seconds, and the account's principal."""
    principal_type = "user" if isinstance(account, User) else "customer"
    role = account.role if isinstance(account, User) else "customer"
    return TokenResponse(
        access_token=tokens.issue_access_token(account.id, role, principal_type, session_id=auth_session.id),
        refresh_token=refresh_token,
        expires_in=int(tokens.lifetime.total_seconds()),
        refresh_expires_in=int(refresh_lifetime.total_seconds()),
        user=principal_read(account),
    )


async def refresh(
    session: AsyncSession,
    *,
    refresh_token: str,
    tokens: TokenService,
    settings: Settings,
    client: ClientInfo = audit.NO_CLIENT,
) -> TokenResponse:
    """Exchange a refresh token for a new access token and a new refresh token (rotation).

    The presented token stops working. Presenting a token that was already rotated means two parties
    hold the family, so the whole family is revoked and :class:`TokenFamilyCompromised` (403) is raised;
    the revocation and its audit entry are committed even though the request fails. Unknown, expired or
    revoked tokens raise :class:`Unauthorized` (401).
    """
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
        )
    ).scalar_one_or_none()
    if stored is None:
        raise Unauthorized("The refresh token is invalid.")
    auth_session = await session.get(AuthSession, stored.session_id, with_for_update=True)
    now = utcnow()
    if auth_session is None or auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise Unauthorized("The refresh token has expired or was revoked; log in again.")
    # Rotate with a guarded UPDATE: of two concurrent refreshes with one token, exactly one wins.
    rotated = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now)
    )
    if rotated.rowcount != 1:
        auth_session.revoked_at = now
        auth_session.revoked_reason = "token_reuse"
        await session.flush()
        await audit.record(
            session,
            Action.token_family_compromised,
            AuditActor.anonymous(client),
            **_session_owner_target(auth_session),
            details={"sessionId": str(auth_session.id)},
        )
        raise TokenFamilyCompromised(
            "This refresh token was already used. Every session of this login has been revoked; log in again."
        )
    account: User | Customer | None
    if auth_session.user_id is not None:
        account = await session.get(User, auth_session.user_id)
        active = account is not None and account.is_active
    else:
        account = await customers.find_customer(session, auth_session.customer_id)
        active = account is not None and account.status == CustomerStatus.active
    if account is None or not active:
        raise Unauthorized("The account is no longer active.")
    lifetime = refresh_lifetime(settings, auth_session.remember_me)
    auth_session.last_used_at = now
    auth_session.expires_at = now + lifetime
    new_token = new_secret(REFRESH_TOKEN_PREFIX)
    session.add(RefreshToken(session_id=auth_session.id, token_hash=hash_secret(new_token), created_at=now))
    await session.flush()
    return token_response(account, auth_session, new_token, lifetime, tokens)


def _session_owner_target(auth_session: AuthSession) -> dict[str, object]:
    if auth_session.user_id is not None:
        return {"target_type": "user", "target_id": auth_session.user_id}
    return {
        "target_type": "customer",
        "target_id": auth_session.customer_id,
        "customer_id": auth_session.customer_id,
    }


async def logout(
    session: AsyncSession,
    *,
    refresh_token: str | None,
    principal: Principal | None,
    client: ClientInfo = audit.NO_CLIENT,
) -> int:
    """Revoke one session (token family); returns how many sessions were revoked (0 or 1).

    The session is the one of ``refresh_token`` (holding it is proof enough; with an access token of
    someone else nothing happens), or else the one the caller's access token belongs to (its ``sid``).
    """
    auth_session: AuthSession | None = None
    if refresh_token is not None:
        stored = (
            await session.execute(
                select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
            )
        ).scalar_one_or_none()
        if stored is not None:
            auth_session = await session.get(AuthSession, stored.session_id)
        if (
            auth_session is not None
            and principal is not None
            and principal.id
            not in (
                auth_session.user_id,
                auth_session.customer_id,
            )
        ):
            auth_session = None
    elif principal is not None and principal.session_id is not None:
        auth_session = await session.get(AuthSession, principal.session_id)
    if auth_session is None or auth_session.revoked_at is not None:
        return 0
    auth_session.revoked_at = utcnow()
    auth_session.revoked_reason = "logout"
    await session.flush()
    if principal is not None:
        actor = AuditActor.of(principal, client)
    elif auth_session.user_id is not None:
        actor = AuditActor.account("user", auth_session.user_id, client)
    else:
        assert auth_session.customer_id is not None
        actor = AuditActor.account("customer", auth_session.customer_id, client)
    await audit.record(
        session,
        Action.logout,
        actor,
        **_session_owner_target(auth_session),
        details={"sessionId": str(auth_session.id)},
    )
    return 1


def _require_account(principal: Principal) -> None:
    if principal.type not in ("user", "customer"):
        raise Forbidden("This is for staff users and customers; API clients have no account or sessions.")


def _owned_by(principal: Principal) -> ColumnElement[bool]:
    _require_account(principal)
    if principal.type == "user":
        return AuthSession.user_id == principal.id
    return AuthSession.customer_id == principal.id


def _principal_target(principal: Principal) -> dict[str, object]:
    if principal.type == "customer":
        return {"target_type": "customer", "target_id": principal.id, "customer_id": principal.id}
    return {"target_type": principal.type, "target_id": principal.id}


async def revoke_all(session: AsyncSession, principal: Principal, *, client: ClientInfo) -> int:
    """Revoke every live session of the caller (this one included); returns how many."""
    _require_account(principal)
    count = await revoke_sessions(
        session,
        user_id=principal.id if principal.type == "user" else None,
        customer_id=principal.id if principal.type == "customer" else None,
        reason="revoke_all",
    )
    await audit.record(
        session,
        Action.sessions_revoked,
        AuditActor.of(principal, client),
        **_principal_target(principal),
        details={"revokedCount": count},
    )
    return count


async def list_sessions(
    session: AsyncSession, principal: Principal, params: PageParams
) -> tuple[list[AuthSession], int]:
    """A page of the caller's live sessions, most recently used first."""
    statement = (
        select(AuthSession)
        .where(_owned_by(principal), AuthSession.revoked_at.is_(None), AuthSession.expires_at > utcnow())
        .order_by(AuthSession.last_used_at.desc(), AuthSession.id.desc())
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def revoke_session(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, *, client: ClientInfo
) -> None:
    """End one of the caller's live sessions; :class:`NotFound` (404) for anyone else's or a dead one."""
    auth_session = (
        await session.execute(
            select(AuthSession).where(
                AuthSession.id == session_id,
                _owned_by(principal),
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow(),
            )
        )
    ).scalar_one_or_none()
    if auth_session is None:
        raise NotFound(f"Session {session_id} not found.")
    auth_session.revoked_at = utcnow()
    auth_session.revoked_reason = "ended_by_owner"
    await session.flush()
    await audit.record(
        session,
        Action.session_revoked,
        AuditActor.of(principal, client),
        **_principal_target(principal),
        details={"sessionId": str(session_id)},
    )


async def get_account(session: AsyncSession, principal: Principal) -> User | Customer:
    """The user or customer behind ``principal``."""
    _require_account(principal)
    account: User | Customer | None
    if principal.type == "user":
        account = await session.get(User, principal.id)
    else:
        account = await customers.find_customer(session, principal.id)
    if account is None:
        raise Unauthorized("The account no longer exists.")
    return account
