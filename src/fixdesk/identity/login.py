"""Signing in: with email and password (staff and portal customers) or with an emailed code (portal
customers), each starting a session (:mod:`fixdesk.identity.sessions`).

Login codes are for customers (the portal). Staff sign in with their password: a code request for a
staff email is answered like any other and sends nothing, so an emailed code can never open a staff
account (whose powers reach every customer's data).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.credentials.models import LoginCode
from fixdesk.credentials.service import CODE_PURPOSES, void_open_codes
from fixdesk.customers import access as customers
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.db import new_id, utcnow
from fixdesk.identity import codes
from fixdesk.identity.models import User
from fixdesk.identity.principals import account_actor, account_target, normalize_email
from fixdesk.identity.schemas import LoginCodeSent, TokenResponse
from fixdesk.identity.sessions import start_session
from fixdesk.platform.errors import Unauthorized
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.security import TokenService, verify_password_async

INVALID_CREDENTIALS = "Invalid email or password."
INVALID_CODE = "The code is invalid or has expired; ask for a new one."
SEND_CODE_JOB = "identity.send_login_code"
REQUEST_CODE_JOB = "identity.request_login_code"
CODE_SEAL_PURPOSE = "identity.login-code"


class LoginFailed(Unauthorized):
    """401 for a failed login or a rejected code. The request's transaction still commits: it holds the
    audit entry of the failure and the code's attempt count, which must survive the error."""

    commit_transaction = True


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
    # One Argon2 verification for an unknown address too (against a dummy hash), so the answer takes as
    # long for a stranger as for a known account. A hash made with older parameters is replaced now, in
    # the login's transaction.
    if user is not None:
        check = await verify_password_async(password, user.password_hash)
        if check.valid and user.is_active:
            account = user
            if check.new_hash is not None:
                user.password_hash = check.new_hash
    if account is None:
        customer = await customers.find_by_email(session, normalized)
        if customer is not None and customer.portal_password_hash:
            check = await verify_password_async(password, customer.portal_password_hash)
            if check.valid and customer.status == CustomerStatus.active:
                account = customer
                if check.new_hash is not None:
                    customer.portal_password_hash = check.new_hash
        elif user is None:
            await verify_password_async(password, None)  # same work as a real check
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
    response, auth_session = await start_session(
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


async def request_login_code(
    session: AsyncSession, *, email: str, client: ClientInfo, settings: Settings
) -> LoginCodeSent:
    """Ask for a login code for ``email``: queue the job (:func:`issue_code_for_address`) that emails one
    when an active portal customer has the address, and answer.

    The request does the same work whatever the address (one job row; no lookup, no code, no audit entry
    yet) and the answer is the same, so neither its content nor its timing tells who has an account. Staff
    addresses never get a code. ``settings`` is kept for callers; the job reads the worker's.
    """
    normalized = normalize_email(email)
    await enqueue(
        session,
        REQUEST_CODE_JOB,
        {"email": normalized, "ipAddress": client.ip_address, "userAgent": client.trimmed_user_agent},
    )
    return LoginCodeSent(message=f"If {normalized} belongs to an account, a login code has been sent to it.")


async def issue_code_for_address(
    session: AsyncSession, *, email: str, client: ClientInfo, settings: Settings
) -> LoginCode | None:
    """Issue a login code to the active portal customer with ``email`` (audited as asked by an anonymous
    caller from ``client``), or do nothing when there is none. Runs in the job queued by
    :func:`request_login_code`."""
    customer = await customers.find_by_email(session, normalize_email(email), active_only=True)
    if customer is None:
        return None
    login_code = await issue_code(session, customer, purpose="login", settings=settings)
    await audit.record(
        session,
        Action.login_code_requested,
        AuditActor.anonymous(client),
        **account_target(customer),
    )
    return login_code


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
    response, auth_session = await start_session(
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
