"""Identity endpoints: logins (password and emailed code), registration, tokens, sessions, the signed-in
account (``/users/me``), staff management (``/users``) and the activity/audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from fixdesk.audit import service as audit
from fixdesk.audit.models import AuditEvent
from fixdesk.credentials.models import AuthSession
from fixdesk.credentials.service import PASSWORD_RESET, PORTAL_INVITATION
from fixdesk.customers import access as customers
from fixdesk.customers.permissions import CUSTOMERS_READ, CUSTOMERS_WRITE
from fixdesk.customers.schemas import PortalLinkSent
from fixdesk.identity import (
    accounts,
    examples,
    portal_access,
    principals,
    registration,
    sessions,
    staff,
)
from fixdesk.identity import login as login_service
from fixdesk.identity.accounts import user_read_values
from fixdesk.identity.api_clients.router import router as api_clients_router
from fixdesk.identity.models import Role
from fixdesk.identity.permissions import AUDIT_READ, USERS_MANAGE, USERS_READ
from fixdesk.identity.schemas import (
    AcceptInvitationRequest,
    ActionResponse,
    AuditEventRead,
    CustomerAccountRead,
    DeleteAccountRequest,
    DeletionScheduled,
    ForgotPasswordRequest,
    InvitedUserRead,
    LoginCodeSent,
    LoginRequest,
    LogoutRequest,
    LogoutResponse,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    ResetPasswordRequest,
    RevokeAllResponse,
    SessionRead,
    StaffProfileRead,
    TokenResponse,
    UserAdminUpdate,
    UserInvite,
    UserRead,
    VerifyEmailRequest,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import problems, request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Authenticated, OptionalPrincipal, Principal, public, require
from fixdesk.platform.schemas import DayOrMoment
from fixdesk.platform.security import TokenService

router = APIRouter(tags=["auth"])
# Staff send a customer the way to set their portal password: customers' operations by address and tag,
# identity's by what they do (a password is identity's business), so customers import nothing of identity.
portal_links_router = APIRouter(tags=["customers"])

UsersRead = Annotated[Principal, Depends(require(USERS_READ))]
UsersManage = Annotated[Principal, Depends(require(USERS_MANAGE))]
CustomersRead = Annotated[Principal, Depends(require(CUSTOMERS_READ))]
CustomersWrite = Annotated[Principal, Depends(require(CUSTOMERS_WRITE))]
AuditRead = Annotated[Principal, Depends(require(AUDIT_READ))]
Pagination = Annotated[PageParams, Depends(page_params)]


async def _tokens(request: Request) -> TokenService:
    return request.app.state.tokens


Tokens = Annotated[TokenService, Depends(_tokens)]


async def _client_info(request: Request) -> audit.ClientInfo:
    return audit.ClientInfo(
        user_agent=request.headers.get("user-agent"),
        ip_address=request.client.host if request.client else None,
    )


Client = Annotated[audit.ClientInfo, Depends(_client_info)]


# --- logging in ---------------------------------------------------------------------------------------


@router.post(
    "/auth/login",
    operation_id="auth-login",
    dependencies=[Depends(public)],
    response_model=TokenResponse | LoginCodeSent,
    responses=problems(401) | response_example(200, examples.LOGIN_RESPONSE),
    openapi_extra=request_example(examples.LOGIN_REQUEST),
)
async def login(
    body: LoginRequest, session: SessionDep, settings: SettingsDep, tokens: Tokens, client: Client
):
    """Log in with email and password (staff or customer), or send only the email to get a login code
    by email (customers; the answer is the same whether or not the account exists)."""
    if body.password is None:
        return await login_service.request_login_code(
            session, email=body.email, client=client, settings=settings
        )
    return await login_service.login(
        session,
        email=body.email,
        password=body.password,
        remember_me=body.remember_me,
        client=client,
        tokens=tokens,
        settings=settings,
    )


@router.post(
    "/auth/register",
    operation_id="auth-register",
    dependencies=[Depends(public)],
    response_model=RegisterResponse,
    responses=problems(409),
)
async def register(body: RegisterRequest, session: SessionDep, settings: SettingsDep, client: Client):
    """Create a customer account without a password; a 6-digit verification code is emailed. An address
    that already has an account gets the same answer, and its owner an email instead."""
    return await registration.register(session, body, client=client, settings=settings)


@router.post(
    "/auth/verify-email",
    operation_id="auth-verify-email",
    dependencies=[Depends(public)],
    response_model=TokenResponse,
    responses=problems(401),
)
async def verify_email(
    body: VerifyEmailRequest, session: SessionDep, settings: SettingsDep, tokens: Tokens, client: Client
):
    """Exchange an emailed code (registration or login) for tokens; verifies the email address."""
    return await login_service.verify_code(
        session,
        email=body.email,
        code=body.code,
        remember_me=body.remember_me,
        client=client,
        tokens=tokens,
        settings=settings,
    )


@router.post(
    "/auth/refresh",
    operation_id="auth-refresh",
    dependencies=[Depends(public)],
    response_model=TokenResponse,
    responses=problems(401, 403) | response_example(200, examples.REFRESH_RESPONSE),
    openapi_extra=request_example(examples.REFRESH_REQUEST),
)
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep, tokens: Tokens, client: Client
):
    """Exchange a refresh token for new tokens; the old refresh token stops working."""
    return await sessions.refresh(
        session, refresh_token=body.refresh_token, tokens=tokens, settings=settings, client=client
    )


@router.post(
    "/auth/logout", operation_id="auth-logout", dependencies=[Depends(public)], response_model=LogoutResponse
)
async def logout(
    session: SessionDep, principal: OptionalPrincipal, client: Client, body: LogoutRequest | None = None
):
    """End one login session: the refresh token's, or else the access token's."""
    await sessions.logout(
        session, refresh_token=body.refresh_token if body else None, principal=principal, client=client
    )
    return LogoutResponse()


@router.post("/auth/revoke-all", operation_id="auth-revoke-all", response_model=RevokeAllResponse)
async def revoke_all(session: SessionDep, principal: Authenticated, client: Client):
    """End every session of the signed-in account, this one included."""
    count = await sessions.revoke_all(session, principal, client=client)
    return RevokeAllResponse(revoked_count=count)


@router.post(
    "/auth/accept-invite",
    operation_id="auth-accept-invite",
    dependencies=[Depends(public)],
    response_model=ActionResponse,
)
async def accept_invite(body: AcceptInvitationRequest, session: SessionDep, client: Client):
    """Set an invited staff member's password with the token from the invitation email."""
    await staff.accept_invitation(session, token=body.token, password=body.password, client=client)
    return ActionResponse(message="Password set; log in with your email and password.")


@router.post(
    "/auth/forgot-password",
    operation_id="auth-forgot-password",
    dependencies=[Depends(public)],
    response_model=ActionResponse,
)
async def forgot_password(body: ForgotPasswordRequest, session: SessionDep, client: Client):
    """Email a portal customer a link to choose a new password (valid 24 hours); the answer is the same
    whether or not the address has an account."""
    email = principals.normalize_email(body.email)
    await portal_access.request_password_reset(session, email=email, client=client)
    return ActionResponse(
        message=f"If {email} belongs to a customer account, a link to reset its password has been sent to it."
    )


@router.post(
    "/auth/reset-password",
    operation_id="auth-reset-password",
    dependencies=[Depends(public)],
    response_model=ActionResponse,
)
async def reset_password(body: ResetPasswordRequest, session: SessionDep, client: Client):
    """Set a portal customer's password with the token of an invitation or reset email; the token then
    stops working and every session of the customer ends."""
    await portal_access.reset_password(session, token=body.token, password=body.password, client=client)
    return ActionResponse(message="Password set; log in with your email and password.")


# --- the signed-in account ----------------------------------------------------------------------------


@router.get("/users/me", operation_id="users-me", response_model=StaffProfileRead | CustomerAccountRead)
async def me(session: SessionDep, principal: Authenticated):
    """The signed-in staff user or customer."""
    return await accounts.read_me(session, principal)


@router.patch(
    "/users/me", operation_id="users-me-update", response_model=StaffProfileRead | CustomerAccountRead
)
async def update_me(
    body: ProfileUpdate, session: SessionDep, settings: SettingsDep, principal: Authenticated, client: Client
):
    """Change your names, phone, time zone or locale."""
    return await accounts.update_me(session, principal, body, client=client, settings=settings)


@router.delete("/users/me", operation_id="users-me-delete", response_model=DeletionScheduled)
async def delete_me(
    body: DeleteAccountRequest, session: SessionDep, principal: Authenticated, client: Client
):
    """Schedule your account's deletion in 30 days (confirm with your email); ends every session."""
    return await accounts.schedule_deletion(session, principal, body, client=client)


def _session_read(auth_session: AuthSession, principal: Principal) -> SessionRead:
    return SessionRead(
        id=auth_session.id,
        device=auth_session.user_agent,
        ip_address=auth_session.ip_address,
        remember_me=auth_session.remember_me,
        created_at=auth_session.created_at,
        last_used_at=auth_session.last_used_at,
        expires_at=auth_session.expires_at,
        current=auth_session.id == principal.session_id,
    )


@router.get("/users/me/sessions", operation_id="users-me-sessions", response_model=Page[SessionRead])
async def my_sessions(session: SessionDep, principal: Authenticated, params: Pagination):
    """Your live login sessions (device, IP, when used); ``current`` marks this one."""
    rows, total = await sessions.list_sessions(session, principal, params)
    return Page[SessionRead].build([_session_read(row, principal) for row in rows], total, params)


@router.delete(
    "/users/me/sessions/{session_id}", operation_id="users-me-sessions-revoke", response_model=ActionResponse
)
async def end_session(session_id: uuid.UUID, session: SessionDep, principal: Authenticated, client: Client):
    """End one of your sessions (404 for anyone else's)."""
    await sessions.revoke_session(session, principal, session_id, client=client)
    return ActionResponse(message="Session ended")


# --- staff management ----------------------------------------------------------------------------------


@router.get("/users", operation_id="users-list", response_model=Page[UserRead], tags=["users"])
async def list_users(
    session: SessionDep,
    _: UsersRead,
    params: Pagination,
    role: Annotated[Role | None, Query()] = None,
    is_active: Annotated[bool | None, Query(alias="isActive")] = None,
):
    """List staff users (filter by role and isActive)."""
    rows, total = await staff.list_users(
        session, params, role=role.value if role else None, is_active=is_active
    )
    return Page[UserRead].build([UserRead(**user_read_values(user)) for user in rows], total, params)


@router.post(
    "/users",
    operation_id="users-invite",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitedUserRead,
    tags=["users"],
)
async def invite_user(
    body: UserInvite, session: SessionDep, settings: SettingsDep, principal: UsersManage, client: Client
):
    """Invite a staff member: the account is created and they get an email to set their password."""
    user, invitation = await staff.invite_user(
        session, body, inviter=principal, client=client, settings=settings
    )
    return InvitedUserRead(**user_read_values(user), invitation_expires_at=invitation.expires_at)


@router.get("/users/{user_id}", operation_id="users-get", response_model=UserRead, tags=["users"])
async def get_user(user_id: uuid.UUID, session: SessionDep, _: UsersRead):
    """One staff user."""
    return UserRead(**user_read_values(await staff.get_user(session, user_id)))


@router.patch("/users/{user_id}", operation_id="users-update", response_model=UserRead, tags=["users"])
async def update_user(
    user_id: uuid.UUID, body: UserAdminUpdate, session: SessionDep, principal: UsersManage, client: Client
):
    """Change a staff user's role, extra permissions or active flag (deactivation ends their access)."""
    user = await staff.update_user(session, user_id, body, actor=principal, client=client)
    return UserRead(**user_read_values(user))


# --- portal links: staff send a customer the way to set their portal password ---------------------------


async def _send_link(
    customer_id: uuid.UUID,
    purpose: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: Principal,
    client: audit.ClientInfo,
) -> PortalLinkSent:
    link = await portal_access.send_link(
        session, customer_id, purpose, actor=audit.AuditActor.of(principal, client), settings=settings
    )
    expires_at = portal_access.link_expires_at(link)
    what = "A portal invitation" if purpose == PORTAL_INVITATION else "A password-reset link"
    return PortalLinkSent(
        message=f"{what} is on its way to the customer's email address on file.", expires_at=expires_at
    )


@portal_links_router.post(
    "/customers/{customer_id}/portal-invitation",
    operation_id="customers-portal-invitation",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PortalLinkSent,
)
async def send_portal_invitation(
    customer_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: CustomersWrite,
    client: Client,
):
    """Email the customer a one-time link to choose their portal password (valid 7 days; 409 when they
    already have one, are not active or have no email)."""
    return await _send_link(customer_id, PORTAL_INVITATION, session, settings, principal, client)


@portal_links_router.post(
    "/customers/{customer_id}/password-reset",
    operation_id="customers-password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PortalLinkSent,
)
async def send_password_reset(
    customer_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: CustomersWrite,
    client: Client,
):
    """Email the customer a one-time link to choose a new portal password (valid 24 hours; 409 when they
    have no password yet, are not active or have no email)."""
    return await _send_link(customer_id, PASSWORD_RESET, session, settings, principal, client)


def _audit_page(rows: list[AuditEvent], total: int, params: PageParams) -> Page[AuditEventRead]:
    return Page[AuditEventRead].build([AuditEventRead.model_validate(row) for row in rows], total, params)


@router.get(
    "/customers/{customer_id}/activity",
    operation_id="customers-activity",
    response_model=Page[AuditEventRead],
    tags=["audit"],
)
async def customer_activity(
    customer_id: uuid.UUID, session: SessionDep, principal: CustomersRead, params: Pagination
):
    """A customer's account activity (registration, logins, sessions, profile changes), newest first."""
    await customers.get_visible(session, principal, customer_id)
    rows, total = await audit.customer_activity(session, customer_id, params)
    return _audit_page(rows, total, params)


def _moment(value: date | datetime | None, *, end_of_day: bool) -> datetime | None:
    """A query parameter's day or moment in UTC. A bare date means the start of that day, or for
    ``dateTo`` the end of it (so ``dateTo=2026-03-01`` includes March 1st); a moment without an offset
    is read as UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("/audit", operation_id="audit-list", response_model=Page[AuditEventRead], tags=["audit"])
async def audit_log(
    session: SessionDep,
    _: AuditRead,
    params: Pagination,
    actor_id: Annotated[uuid.UUID | None, Query(alias="actorId")] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. auth.login_failed")] = None,
    target_id: Annotated[uuid.UUID | None, Query(alias="targetId")] = None,
    date_from: Annotated[DayOrMoment | None, Query(alias="dateFrom", description="From (inclusive)")] = None,
    date_to: Annotated[
        DayOrMoment | None, Query(alias="dateTo", description="Until (a date includes that day)")
    ] = None,
):
    """The activity and audit log of the whole shop, newest first (admins)."""
    rows, total = await audit.search(
        session,
        params,
        actor_id=actor_id,
        action=action,
        target_id=target_id,
        date_from=_moment(date_from, end_of_day=False),
        date_to=_moment(date_to, end_of_day=True),
    )
    return _audit_page(rows, total, params)


# API clients and the OAuth2 token endpoint live in their own module; they are served with identity's routes.
router.include_router(api_clients_router)
