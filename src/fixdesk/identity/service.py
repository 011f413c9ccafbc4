"""Identity rules: login, token refresh with rotation and reuse detection, logout, staff users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pydantic import EmailStr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.db import utcnow
from fixdesk.identity.models import AuthSession, RefreshToken, Role, User
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, permissions_for
from fixdesk.identity.schemas import PrincipalRead, TokenResponse
from fixdesk.platform.errors import Conflict, TokenFamilyCompromised, Unauthorized, ValidationFailed
from fixdesk.platform.permissions import Authenticator, Principal
from fixdesk.platform.security import TokenService, hash_password, hash_secret, new_secret, verify_password

INVALID_CREDENTIALS = "Invalid email or password."
# The same email rules as the API's request models, so the CLI cannot create a login the API rejects.
_EMAIL = TypeAdapter(EmailStr)
REFRESH_TOKEN_PREFIX = "rt_"
MINIMUM_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class ClientInfo:
    """Where a login comes from, recorded on the session."""

    user_agent: str | None
    ip_address: str | None


def make_authenticator(tokens: TokenService) -> Authenticator:
    """The function the platform uses to turn a bearer token into a :class:`Principal`.

    Loads the user or customer on every request, so deactivating a user or archiving a customer ends
    their access at once rather than when the token expires.
    """

    async def authenticate(session: AsyncSession, token: str) -> Principal:
        claims = tokens.verify_access_token(token)
        if claims.principal_type == "user":
            user = await session.get(User, claims.subject)
            if user is None or not user.is_active:
                raise Unauthorized("The account behind this token is no longer active.")
            return user_principal(user)
        if claims.principal_type == "customer":
            customer = await session.get(Customer, claims.subject)
            if customer is None or customer.status != CustomerStatus.active:
                raise Unauthorized("The account behind this token is no longer active.")
            return customer_principal(customer)
        raise Unauthorized("This kind of token is not accepted here.")

    return authenticate


def user_principal(user: User, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        id=user.id,
        type="user",
        role=user.role,
        permissions=permissions_for(user.role, user.permissions),
        email=user.email,
        session_id=session_id,
    )


def customer_principal(customer: Customer, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        id=customer.id,
        type="customer",
        role="customer",
        permissions=CUSTOMER_PERMISSIONS,
        email=customer.email,
        session_id=session_id,
    )


def principal_read(account: User | Customer) -> PrincipalRead:
    if isinstance(account, User):
        principal = user_principal(account)
        principal_type = "user"
    else:
        principal = customer_principal(account)
        principal_type = "customer"
    return PrincipalRead(
        id=account.id,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        role=principal.role,
        principal_type=principal_type,
        permissions=sorted(principal.permissions),
    )


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    remember_me: bool,
    client: ClientInfo,
    tokens: TokenService,
    settings: Settings,
) -> TokenResponse:
    """Log a staff user or a portal customer in with email and password and start a session.

    Staff accounts are tried first, then portal customers. An unknown email, a wrong password and an
    inactive account all raise the same :class:`Unauthorized`, after the same Argon2 work, so the answer
    does not tell whether an account exists.
    """
    normalized = email.strip().lower()
    user = (await session.execute(select(User).where(User.email == normalized))).scalar_one_or_none()
    account: User | Customer | None = None
    if user is not None and verify_password(password, user.password_hash) and user.is_active:
        account = user
    else:
        customer = (
            await session.execute(select(Customer).where(Customer.email == normalized))
        ).scalar_one_or_none()
        if customer is not None and customer.portal_password_hash:
            if (
                verify_password(password, customer.portal_password_hash)
                and customer.status == CustomerStatus.active
            ):
                account = customer
        elif user is None:
            verify_password(password, None)  # same work as a real check
    if account is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    account.last_login_at = utcnow()
    return await _start_session(
        session, account, remember_me=remember_me, client=client, tokens=tokens, settings=settings
    )


async def _start_session(
    session: AsyncSession,
    account: User | Customer,
    *,
    remember_me: bool,
    client: ClientInfo,
    tokens: TokenService,
    settings: Settings,
) -> TokenResponse:
    now = utcnow()
    lifetime = _refresh_lifetime(settings, remember_me)
    auth_session = AuthSession(
        user_id=account.id if isinstance(account, User) else None,
        customer_id=account.id if isinstance(account, Customer) else None,
        user_agent=(client.user_agent or "")[:500] or None,
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
    return _token_response(account, refresh_token, lifetime, tokens)


def _refresh_lifetime(settings: Settings, remember_me: bool) -> timedelta:
    return timedelta(
        days=settings.refresh_token_remember_days if remember_me else settings.refresh_token_days
    )


def _token_response(
    account: User | Customer, refresh_token: str, refresh_lifetime: timedelta, tokens: TokenService
) -> TokenResponse:
    principal_type = "user" if isinstance(account, User) else "customer"
    role = account.role if isinstance(account, User) else "customer"
    return TokenResponse(
        access_token=tokens.issue_access_token(account.id, role, principal_type),
        refresh_token=refresh_token,
        expires_in=int(tokens.lifetime.total_seconds()),
        refresh_expires_in=int(refresh_lifetime.total_seconds()),
        user=principal_read(account),
    )


async def refresh(
    session: AsyncSession, *, refresh_token: str, tokens: TokenService, settings: Settings
) -> TokenResponse:
    """Exchange a refresh token for a new access token and a new refresh token (rotation).

    The presented token stops working. Presenting a token that was already rotated means two parties
    hold the family, so the whole family is revoked and :class:`TokenFamilyCompromised` (403) is raised;
    the revocation is committed even though the request fails. Unknown, expired or revoked tokens raise
    :class:`Unauthorized` (401).
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
        raise TokenFamilyCompromised(
            "This refresh token was already used. Every session of this login has been revoked; log in again."
        )
    account: User | Customer | None
    if auth_session.user_id is not None:
        account = await session.get(User, auth_session.user_id)
        active = account is not None and account.is_active
    else:
        account = await session.get(Customer, auth_session.customer_id)
        active = account is not None and account.status == CustomerStatus.active
    if account is None or not active:
        raise Unauthorized("The account is no longer active.")
    lifetime = _refresh_lifetime(settings, auth_session.remember_me)
    auth_session.last_used_at = now
    auth_session.expires_at = now + lifetime
    new_token = new_secret(REFRESH_TOKEN_PREFIX)
    session.add(RefreshToken(session_id=auth_session.id, token_hash=hash_secret(new_token), created_at=now))
    await session.flush()
    return _token_response(account, new_token, lifetime, tokens)


async def logout(session: AsyncSession, *, refresh_token: str | None, principal: Principal | None) -> int:
    """Revoke the session (token family) of ``refresh_token``; returns how many sessions were revoked.

    Holding the refresh token is proof enough. Without one, an authenticated caller's token carries no
    session, so nothing is revoked (the access token expires on its own within minutes).
    """
    if refresh_token is None:
        return 0
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
        )
    ).scalar_one_or_none()
    if stored is None:
        return 0
    auth_session = await session.get(AuthSession, stored.session_id)
    if auth_session is None or auth_session.revoked_at is not None:
        return 0
    if principal is not None and principal.id not in (auth_session.user_id, auth_session.customer_id):
        return 0
    auth_session.revoked_at = utcnow()
    auth_session.revoked_reason = "logout"
    await session.flush()
    return 1


async def get_account(session: AsyncSession, principal: Principal) -> User | Customer:
    """The user or customer behind ``principal``."""
    model = User if principal.type == "user" else Customer
    account = await session.get(model, principal.id)
    if account is None:
        raise Unauthorized("The account no longer exists.")
    return account


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    role: Role | str,
    phone: str | None = None,
) -> User:
    """Create a staff user. Raises :class:`Conflict` for a taken email and :class:`ValidationFailed` for an
    unknown role or a password shorter than 8 characters."""
    if str(role) not in {r.value for r in Role}:
        raise ValidationFailed.for_field("role", f"must be one of {', '.join(r.value for r in Role)}")
    if password is not None and len(password) < MINIMUM_PASSWORD_LENGTH:
        raise ValidationFailed.for_field("password", f"must be at least {MINIMUM_PASSWORD_LENGTH} characters")
    try:
        normalized = _EMAIL.validate_python(email.strip()).lower()
    except PydanticValidationError as exc:
        raise ValidationFailed.for_field("email", f"'{email}' is not a valid email address") from exc
    exists = await session.scalar(select(func.count()).select_from(User).where(User.email == normalized))
    if exists:
        raise Conflict(f"A user with email {normalized} already exists.")
    user = User(
        email=normalized,
        password_hash=hash_password(password) if password else None,
        first_name=first_name,
        last_name=last_name,
        role=str(role),
        phone=phone,
        permissions=[],
        is_active=True,
    )
    session.add(user)
    await session.flush()
    return user
