"""Request and response models of the identity endpoints (shapes follow seed 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, EmailStr, Field, GetJsonSchemaHandler
from pydantic_core import CoreSchema

from fixdesk.identity.permissions import all_permissions
from fixdesk.platform.schemas import CamelModel, InputModel, NotNull

# RFC 5321's limit on a whole address, which the email validator applies.
Email = Annotated[EmailStr, Field(max_length=254)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
StaffRole = Literal["admin", "manager", "technician", "agent"]


class _DeclaredPermissions:
    """Documents a permission string as the enum of the permissions the installed domains declare (read
    when the OpenAPI document is built, after the domains were loaded)."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        json_schema = handler(schema)
        json_schema["enum"] = sorted(all_permissions())
        return json_schema


Permission = Annotated[str, _DeclaredPermissions()]
"""A permission string (``<area>:<action>``); the schema lists the known ones, others are refused (400)."""


class LoginRequest(InputModel):
    """``{email, password}`` logs in; ``{email}`` alone emails a login code (exchange it at
    ``/auth/verify-email``)."""

    email: Email
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    remember_me: bool = False


class LoginCodeSent(CamelModel):
    """The answer to a login-code request: the same whether or not an account has that email."""

    success: bool = True
    message: str


class RegisterRequest(InputModel):
    """A new portal customer (seed 004). ``phoneNumber`` is international (``+351 912 345 678``) or
    national in the shop's region; ``companyCustomerId`` is the customer's number at their company."""

    email: Email
    first_name: Name
    last_name: Name
    phone_number: str | None = Field(default=None, max_length=40)
    company_customer_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9]{6,20}$", description="Alphanumeric, 6-20 characters"
    )


class RegisterResponse(CamelModel):
    success: bool = True
    message: str
    user_id: uuid.UUID


class VerifyEmailRequest(InputModel):
    """An emailed 6-digit code (registration or login) for ``email``."""

    email: Email
    code: str = Field(pattern=r"^\d{6}$", description="The 6-digit code from the email")
    remember_me: bool = False


class AcceptInvitationRequest(InputModel):
    """The token from an invitation email and the invited user's new password."""

    token: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=8, max_length=1024)


class ForgotPasswordRequest(InputModel):
    """A portal customer's email address, to receive a password-reset link."""

    email: Email


class ResetPasswordRequest(InputModel):
    """The token from a portal invitation or password-reset email and the customer's new password."""

    token: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=8, max_length=1024)


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


class ActionResponse(CamelModel):
    """The outcome of an action that creates no resource."""

    success: bool = True
    message: str


class RevokeAllResponse(CamelModel):
    success: bool = True
    message: str = "All sessions revoked"
    revoked_count: int


class SessionRead(CamelModel):
    """One login session (refresh-token family) of the signed-in principal."""

    id: uuid.UUID
    device: str | None = Field(description="The user agent that logged in")
    ip_address: str | None
    remember_me: bool
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = Field(description="The session of the access token making this request")


class UserRead(CamelModel):
    """A staff user (never includes the password hash)."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    role: str
    permissions: list[str] = Field(description="All effective permissions: the role's plus extra grants")
    extra_permissions: list[str] = Field(default_factory=list, description="Grants beyond the role's")
    is_active: bool
    timezone: str | None
    locale: str | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class StaffProfileRead(UserRead):
    """The signed-in staff user (``/users/me``)."""

    principal_type: Literal["user"] = "user"
    deletion_scheduled_for: datetime | None = None


class CustomerAccountRead(CamelModel):
    """The signed-in portal customer (``/users/me``; seed 004's user profile)."""

    id: uuid.UUID
    email: str | None
    first_name: str
    last_name: str
    phone: str | None
    company_customer_id: str | None
    verified: bool
    verified_at: datetime | None
    timezone: str | None
    locale: str | None
    language: str
    role: Literal["customer"] = "customer"
    principal_type: Literal["customer"] = "customer"
    permissions: list[str]
    deletion_scheduled_for: datetime | None = None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProfileUpdate(InputModel):
    """What anyone may change about themselves. ``phone`` (also ``phoneNumber``) is stored in E.164,
    ``timezone`` is an IANA name, ``locale`` a BCP 47 tag such as ``en-US`` or ``pt-PT``. Any other field
    (a role, permissions, an email) is rejected."""

    first_name: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    last_name: NotNull[str] = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(
        default=None, max_length=40, validation_alias=AliasChoices("phone", "phoneNumber", "phone_number")
    )
    timezone: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=35)


class DeleteAccountRequest(InputModel):
    """The account's own email, typed again to confirm, and an optional reason."""

    confirm_email: str = Field(min_length=1, max_length=255)
    reason: str | None = Field(default=None, max_length=1000)


class DeletionScheduled(CamelModel):
    success: bool = True
    message: str = "Account scheduled for deletion"
    deletion_date: datetime


class UserInvite(InputModel):
    """A staff member to invite: they get an email with a link to set their password."""

    email: Email
    first_name: Name
    last_name: Name
    role: StaffRole
    permissions: list[Permission] = Field(default_factory=list, max_length=50, description="Extra grants")
    phone: str | None = Field(default=None, max_length=40)


class UserAdminUpdate(InputModel):
    """What an admin may change about a staff user."""

    role: NotNull[StaffRole] = None
    permissions: NotNull[list[Permission]] = Field(default=None, max_length=50, description="Extra grants")
    is_active: NotNull[bool] = None


class InvitedUserRead(UserRead):
    invitation_expires_at: datetime


class AuditEventRead(CamelModel):
    """One activity/audit log entry."""

    id: uuid.UUID
    actor_type: str = Field(description="user, customer, client, anonymous or system")
    actor_id: uuid.UUID | None
    action: str
    target_type: str | None
    target_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    ip_address: str | None
    user_agent: str | None
    details: dict[str, Any]
    created_at: datetime


class UserBrief(CamelModel):
    """A staff user embedded in other resources (the technician of a repair, who changed a status)."""

    id: uuid.UUID
    first_name: str
    last_name: str
    role: str
