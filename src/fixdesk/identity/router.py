"""Login, token refresh, logout and the signed-in principal (``/api/v1/auth``, ``/api/v1/users/me``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from fixdesk.customers.models import Customer
from fixdesk.identity import service
from fixdesk.identity.models import User
from fixdesk.identity.permissions import permissions_for
from fixdesk.identity.schemas import (
    LoginRequest,
    LogoutRequest,
    LogoutResponse,
    PrincipalRead,
    RefreshRequest,
    TokenResponse,
    UserRead,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import Authenticated, OptionalPrincipal, public
from fixdesk.platform.security import TokenService

router = APIRouter(tags=["auth"])


def _tokens(request: Request) -> TokenService:
    return request.app.state.tokens


Tokens = Annotated[TokenService, Depends(_tokens)]


def _client_info(request: Request) -> service.ClientInfo:
    return service.ClientInfo(
        user_agent=request.headers.get("user-agent"),
        ip_address=request.client.host if request.client else None,
    )


@router.post(
    "/auth/login", operation_id="auth-login", dependencies=[Depends(public)], response_model=TokenResponse
)
async def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep, tokens: Tokens
):
    """Log in with email and password (staff or portal customer); returns access and refresh tokens."""
    return await service.login(
        session,
        email=body.email,
        password=body.password,
        remember_me=body.remember_me,
        client=_client_info(request),
        tokens=tokens,
        settings=settings,
    )


@router.post(
    "/auth/refresh", operation_id="auth-refresh", dependencies=[Depends(public)], response_model=TokenResponse
)
async def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep, tokens: Tokens):
    """Exchange a refresh token for new tokens; the old refresh token stops working."""
    return await service.refresh(session, refresh_token=body.refresh_token, tokens=tokens, settings=settings)


@router.post(
    "/auth/logout", operation_id="auth-logout", dependencies=[Depends(public)], response_model=LogoutResponse
)
async def logout(session: SessionDep, principal: OptionalPrincipal, body: LogoutRequest | None = None):
    """End the login session of the given refresh token."""
    await service.logout(session, refresh_token=body.refresh_token if body else None, principal=principal)
    return LogoutResponse()


@router.get("/users/me", operation_id="users-me", response_model=UserRead | PrincipalRead)
async def me(session: SessionDep, principal: Authenticated):
    """The signed-in staff user (or portal customer)."""
    account = await service.get_account(session, principal)
    if isinstance(account, User):
        return UserRead.model_validate(account).model_copy(
            update={"permissions": sorted(permissions_for(account.role, account.permissions))}
        )
    assert isinstance(account, Customer)
    return service.principal_read(account)
