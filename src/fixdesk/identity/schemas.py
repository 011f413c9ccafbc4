"""Request and response models of the identity endpoints (shapes follow seed 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field

from fixdesk.platform.schemas import CamelModel, InputModel


class LoginRequest(InputModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    remember_me: bool = False


class RefreshRequest(InputModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(InputModel):
    refresh_token: str | None = Field(default=None, max_length=512)


class PrincipalRead(CamelModel):
    """The signed-in principal as login and ``/users/me`` return it."""

    id: uuid.UUID
    email: str | None
    first_name: str
    last_name: str
    role: str
    principal_type: Literal["user", "customer"]
    permissions: list[str]


class TokenResponse(CamelModel):
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Access token lifetime in seconds")
    refresh_expires_in: int = Field(description="Refresh token lifetime in seconds")
    token_type: Literal["Bearer"] = "Bearer"
    user: PrincipalRead


class LogoutResponse(CamelModel):
    success: bool = True
    message: str = "Logged out successfully"


class UserRead(CamelModel):
    """A staff user (never includes the password hash)."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    role: str
    permissions: list[str] = Field(description="All effective permissions: the role's plus extra grants")
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class UserBrief(CamelModel):
    """A staff user embedded in other resources (the technician of a repair, who changed a status)."""

    id: uuid.UUID
    first_name: str
    last_name: str
    role: str
