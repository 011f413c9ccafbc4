"""Identity rules: password and emailed-code logins, token refresh with rotation and reuse detection,
logout and the principal's sessions, and staff users.

Account profiles and deletion live in :mod:`fixdesk.identity.accounts`, staff management and invitations
in :mod:`fixdesk.identity.staff`, the audit log in :mod:`fixdesk.identity.audit`, self-registration in
:mod:`fixdesk.identity.registration`, customers' portal passwords in :mod:`fixdesk.identity.portal_access`
and what a change of credentials revokes in :mod:`fixdesk.identity.credentials`.

Login codes are for customers (the portal). Staff sign in with their password: a code request for a
staff email is answered like any other and sends nothing, so an emailed code can never open a staff
account (whose powers reach every customer's data).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from pydantic import EmailStr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.db import new_id, utcnow
from fixdesk.identity import audit, codes
from fixdesk.identity.audit import Action, AuditActor, ClientInfo
from fixdesk.identity.credentials import CODE_PURPOSES, revoke_sessions, void_open_codes
from fixdesk.identity.models import ApiClient, AuthSession, LoginCode, RefreshToken, Role, User
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, all_permissions, permissions_for
from fixdesk.identity.schemas import (
    LoginCodeSent,
    PrincipalRead,
    TokenResponse,
)
from fixdesk.platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TokenFamilyCompromised,
    Unauthorized,
    ValidationFailed,
)
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.platform.security import TokenService, hash_password, hash_secret, new_secret, verify_password

__all__ = ["ClientInfo", "revoke_sessions"]

INVALID_CREDENTIALS = "Invalid email or password."
INVALID_CODE = "The code is invalid or has expired; ask for a new one."
SESSION_ENDED = "This session has ended; log in again."
# The same email rules as the API's request models, so the CLI cannot create a login the API rejects.
_EMAIL = TypeAdapter(EmailStr)
REFRESH_TOKEN_PREFIX = "rt_"
MINIMUM_PASSWORD_LENGTH = 8
SEND_CODE_JOB = "identity.send_login_code"
CODE_SEAL_PURPOSE = "identity.login-code"


class LoginFailed(Unauthorized):
    """401 for a failed login or a rejected code. The request's transaction still commits: it holds the
    audit entry of the failure and the code's attempt count, which must survive the error."""

    commit_transaction = True


def user_principal(user: User, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        id=user.id,
        type="user",
        role=user.role,
        permissions=permissions_for(user.role, user.permissions),
        email=user.email,
        session_id=session_id,
    )


def client_principal(api_client: ApiClient, granted_scopes: frozenset[str]) -> Principal:
    """An API client holding the scopes its token was granted that it still has (never more)."""
    return Principal(
        id=api_client.id,
        type="client",
        role="client",
        permissions=frozenset(granted_scopes & set(api_client.scopes) & all_permissions()),
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


def account_actor(account: User | Customer, client: ClientInfo) -> AuditActor:
    """The audit actor for an account acting on its own behalf."""
    return AuditActor.account("user" if isinstance(account, User) else "customer", account.id, client)


def account_target(account: User | Customer) -> dict[str, object]:
    """``target_type``/``target_id``/``customer_id`` of an audit entry about ``account``."""
    if isinstance(account, User):
        return {"target_type": "user", "target_id": account.id}
    return {"target_type": "customer", "target_id": account.id, "customer_id": account.id}


def normalize_email(email: str) -> str:
    return email.strip().lower()


# --- password login ----------------------------------------------------------------------------------


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
    inactive account all raise the same :class:`LoginFailed`, after the same Argon2 work, so the answer
    does not tell whether an account exists; the audit log records which it was.
    """
    normalized = normalize_email(email)
    user = (await session.execute(select(User).where(User.email == normalized))).scalar_one_or_none()
    customer: Customer | None = None
    account: User | Customer | None = None
    if user is not None and verify_password(password, user.password_hash) and user.is_active:
        account = user
    else:
        customer = await customers.find_by_email(session, normalized)
        if customer is not None and customer.portal_password_hash:
            if (
                verify_password(password, customer.portal_password_hash)
                and customer.status == CustomerStatus.active
            ):
                account = customer
        elif user is None:
            verify_password(password, None)  # same work as a real check
    if account is None:
        target = user or customer
        if target is None:
            reason = "unknown_account"
        elif (isinstance(target, User) and not target.is_active) or (
            isinstance(target, Customer) and target.status != CustomerStatus.active
        ):
            reason = "account_inactive"
        else:
            reason = "wrong_password"
        await _record_login_failure(session, client, "password", reason, target, normalized)
        raise LoginFailed(INVALID_CREDENTIALS)
    account.last_login_at = utcnow()
    response, auth_session = await _start_session(
        session, account, remember_me=remember_me, client=client, tokens=tokens, settings=settings
    )
    await audit.record(
        session,
        Action.login_succeeded,
        account_actor(account, client),
        **account_target(account),
        details={"method": "password", "sessionId": str(auth_session.id)},
    )
    return response


async def _record_login_failure(
    session: AsyncSession,
    client: ClientInfo,
    method: str,
    reason: str,
    target: User | Customer | None,
    email: str,
) -> None:
    details: dict[str, object] = {"method": method, "reason": reason}
    if target is None:
        # The typed address is the only clue to what was tried (guessing, a typo, a credential list).
        details["email"] = email[:255]
    await audit.record(
        session,
        Action.login_failed,
        AuditActor.anonymous(client),
        **(account_target(target) if target is not None else {}),
        details=details,
    )


async def _start_session(
    session: AsyncSession,
    account: User | Customer,
    *,
    remember_me: bool,
    client: ClientInfo,
    tokens: TokenService,
    settings: Settings,
) -> tuple[TokenResponse, AuthSession]:
    now = utcnow()
    lifetime = _refresh_lifetime(settings, remember_me)
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
    return _token_response(account, auth_session, refresh_token, lifetime, tokens), auth_session


def _refresh_lifetime(settings: Settings, remember_me: bool) -> timedelta:
    return timedelta(
        days=settings.refresh_token_remember_days if remember_me else settings.refresh_token_days
    )


def _token_response(
    account: User | Customer,
    auth_session: AuthSession,
    refresh_token: str,
    refresh_lifetime: timedelta,
    tokens: TokenService,
) -> TokenResponse:
    principal_type = "user" if isinstance(account, User) else "customer"
    role = account.role if isinstance(account, User) else "customer"
    return TokenResponse(
        access_token=tokens.issue_access_token(account.id, role, principal_type, session_id=auth_session.id),
        refresh_token=refresh_token,
        expires_in=int(tokens.lifetime.total_seconds()),
        refresh_expires_in=int(refresh_lifetime.total_seconds()),
        user=principal_read(account),
    )


# --- passwordless customers --------------------------------------------------------------------------


async def request_login_code(
    session: AsyncSession, *, email: str, client: ClientInfo, settings: Settings
) -> LoginCodeSent:
    """Email a login code to the active portal customer with ``email``.

    The answer is the same whether or not such a customer exists (and for staff emails, which never get
    codes), so the endpoint cannot be used to find out who has an account.
    """
    normalized = normalize_email(email)
    customer = await customers.find_by_email(session, normalized, active_only=True)
    if customer is not None:
        await issue_code(session, customer, purpose="login", settings=settings)
        await audit.record(
            session,
            Action.login_code_requested,
            AuditActor.anonymous(client),
            **account_target(customer),
        )
    return LoginCodeSent(message=f"If {normalized} belongs to an account, a login code has been sent to it.")


async def issue_code(
    session: AsyncSession, customer: Customer, *, purpose: str, settings: Settings
) -> LoginCode:
    """Store a new code for ``customer`` (voiding their open ones) and queue the email that carries it."""
    now = utcnow()
    # Only codes: a set-password link in the same table stays valid (fixdesk.identity.portal_access).
    await void_open_codes(session, customer.id, CODE_PURPOSES)
    secret = settings.signing_key
    code_id = new_id()
    code = codes.new_code(settings)
    login_code = LoginCode(
        id=code_id,
        customer_id=customer.id,
        purpose=purpose,
        code_hash=codes.hash_code(secret, code_id, code),
        attempts=0,
        created_at=now,
    )
    session.add(login_code)
    await session.flush()
    sealed = codes.seal(settings, CODE_SEAL_PURPOSE, code_id, code)
    await enqueue(session, SEND_CODE_JOB, {"codeId": str(code_id), "sealed": sealed})
    return login_code


async def verify_code(
    session: AsyncSession,
    *,
    email: str,
    code: str,
    remember_me: bool,
    client: ClientInfo,
    tokens: TokenService,
    settings: Settings,
) -> TokenResponse:
    """Exchange an emailed code for tokens; the customer's email counts as verified from then on.

    Only the customer's newest code counts, for 10 minutes and 5 tries. Every rejection (no such
    customer, no code, expired, used up, wrong) is the same :class:`LoginFailed` (401); the attempt is
    counted and audited even though the request fails.
    """
    normalized = normalize_email(email)
    customer = await customers.find_by_email(session, normalized, active_only=True)
    if customer is None:
        await _record_login_failure(session, client, "code", "unknown_account", None, normalized)
        raise LoginFailed(INVALID_CODE)
    login_code = (
        await session.execute(
            select(LoginCode)
            .where(
                LoginCode.customer_id == customer.id,
                LoginCode.purpose.in_(CODE_PURPOSES),
                LoginCode.used_at.is_(None),
                LoginCode.voided_at.is_(None),
            )
            .order_by(LoginCode.created_at.desc(), LoginCode.id.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    now = utcnow()
    reason: str | None = None
    if login_code is None:
        reason = "no_code"
    elif login_code.created_at <= now - codes.CODE_LIFETIME:
        login_code.voided_at = now
        reason = "code_expired"
    elif login_code.attempts >= codes.MAX_CODE_ATTEMPTS:
        login_code.voided_at = now
        reason = "too_many_attempts"
    else:
        login_code.attempts += 1
        if not codes.code_matches(settings.signing_key, login_code.id, code, login_code.code_hash):
            if login_code.attempts >= codes.MAX_CODE_ATTEMPTS:
                login_code.voided_at = now
            reason = "wrong_code"
    if reason is not None:
        await session.flush()
        await _record_login_failure(session, client, "code", reason, customer, normalized)
        raise LoginFailed(INVALID_CODE)
    assert login_code is not None
    login_code.used_at = now
    customer.last_login_at = now
    actor = account_actor(customer, client)
    if customer.email_verified_at is None:
        customer.email_verified_at = now
        await audit.record(session, Action.email_verified, actor, **account_target(customer))
    response, auth_session = await _start_session(
        session, customer, remember_me=remember_me, client=client, tokens=tokens, settings=settings
    )
    await audit.record(
        session,
        Action.login_succeeded,
        actor,
        **account_target(customer),
        details={"method": "code", "purpose": login_code.purpose, "sessionId": str(auth_session.id)},
    )
    return response


# --- refresh, logout and sessions --------------------------------------------------------------------


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
    lifetime = _refresh_lifetime(settings, auth_session.remember_me)
    auth_session.last_used_at = now
    auth_session.expires_at = now + lifetime
    new_token = new_secret(REFRESH_TOKEN_PREFIX)
    session.add(RefreshToken(session_id=auth_session.id, token_hash=hash_secret(new_token), created_at=now))
    await session.flush()
    return _token_response(account, auth_session, new_token, lifetime, tokens)


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


# --- staff users -------------------------------------------------------------------------------------


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
