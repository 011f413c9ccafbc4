"""Staff management: the staff list, invitations (a one-time link to set a password) and the changes an
admin makes to a user (role, extra permissions, active).

Deactivating a user ends their access at once: the authenticator loads the user on every request, and
their sessions are revoked so no refresh brings them back.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from pydantic import EmailStr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.credentials.service import revoke_sessions
from fixdesk.customers.service import normalize_phone
from fixdesk.db import new_id, utcnow
from fixdesk.identity import codes
from fixdesk.identity.accounts import ensure_another_admin
from fixdesk.identity.models import Role, User, UserInvitation
from fixdesk.identity.permissions import all_permissions
from fixdesk.identity.schemas import UserAdminUpdate, UserInvite
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.platform.security import hash_password_async, hash_secret, new_secret

INVITATION_LIFETIME = timedelta(days=7)
INVITATION_TOKEN_PREFIX = "inv_"
INVITATION_SEAL_PURPOSE = "identity.invitation"
SEND_INVITATION_JOB = "identity.send_invitation"
INVALID_INVITATION = "is invalid, already used or expired; ask an admin for a new invitation"


def _check_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - all_permissions())
    if unknown:
        raise ValidationFailed.for_field(
            "permissions",
            f"unknown permission(s): {', '.join(unknown)}; known: {', '.join(sorted(all_permissions()))}",
        )
    return sorted(set(permissions))


async def list_users(
    session: AsyncSession, params: PageParams, *, role: str | None = None, is_active: bool | None = None
) -> tuple[list[User], int]:
    """A page of staff users by name, optionally of one role or activity state."""
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if is_active is not None:
        statement = statement.where(User.is_active.is_(is_active))
    statement = statement.order_by(User.last_name, User.first_name, User.id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    """One staff user; :class:`NotFound` (404)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user


async def invite_user(
    session: AsyncSession, data: UserInvite, *, inviter: Principal, client: ClientInfo, settings: Settings
) -> tuple[User, UserInvitation]:
    """Create a staff user without a password and email them a link to set one (valid 7 days).

    Raises :class:`Conflict` (409) for a taken email, :class:`ValidationFailed` (400) for unknown
    permission strings or an invalid phone number.
    """
    permissions = _check_permissions(data.permissions)
    phone = normalize_phone(data.phone, settings.default_phone_region)
    user = await create_user(
        session,
        email=data.email,
        password=None,
        first_name=data.first_name,
        last_name=data.last_name,
        role=data.role,
        phone=phone,
    )
    user.permissions = permissions
    await session.flush()
    invitation = await _issue_invitation(session, user, inviter.id, settings)
    await audit.record(
        session,
        Action.user_invited,
        AuditActor.of(inviter, client),
        target_type="user",
        target_id=user.id,
        details={"role": user.role, "permissions": permissions},
    )
    return user, invitation


async def _issue_invitation(
    session: AsyncSession, user: User, inviter_id: uuid.UUID | None, settings: Settings
) -> UserInvitation:
    now = utcnow()
    await session.execute(
        update(UserInvitation)
        .where(
            UserInvitation.user_id == user.id,
            UserInvitation.accepted_at.is_(None),
            UserInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_secret(INVITATION_TOKEN_PREFIX)
    invitation = UserInvitation(
        id=new_id(),
        user_id=user.id,
        invited_by_id=inviter_id,
        token_hash=hash_secret(token),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    sealed = codes.seal(settings, INVITATION_SEAL_PURPOSE, invitation.id, token)
    await enqueue(session, SEND_INVITATION_JOB, {"invitationId": str(invitation.id), "sealed": sealed})
    return invitation


async def accept_invitation(session: AsyncSession, *, token: str, password: str, client: ClientInfo) -> User:
    """Set the invited user's password with the token from their email; the token then stops working.

    Raises :class:`ValidationFailed` (400, field ``token``) for an unknown, used, revoked or expired token
    or a deactivated user.
    """
    invitation = (
        await session.execute(
            select(UserInvitation).where(UserInvitation.token_hash == hash_secret(token)).with_for_update()
        )
    ).scalar_one_or_none()
    now = utcnow()
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise ValidationFailed.for_field("token", INVALID_INVITATION)
    user = await session.get(User, invitation.user_id)
    if user is None or not user.is_active:
        raise ValidationFailed.for_field("token", INVALID_INVITATION)
    user.password_hash = await hash_password_async(password)
    user.updated_at = now
    invitation.accepted_at = now
    await session.flush()
    await audit.record(
        session,
        Action.invitation_accepted,
        AuditActor.account("user", user.id, client),
        target_type="user",
        target_id=user.id,
    )
    return user


async def update_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    data: UserAdminUpdate,
    *,
    actor: Principal,
    client: ClientInfo,
) -> User:
    """Change a user's role, extra permissions or active flag; each change is audited with before and
    after. Deactivation revokes the user's sessions. The last active admin cannot be demoted or
    deactivated (409)."""
    values = data.model_dump(exclude_unset=True, by_alias=False)
    for name in ("role", "permissions", "is_active"):
        if name in values and values[name] is None:
            raise ValidationFailed.for_field("isActive" if name == "is_active" else name, "cannot be empty")
    if "permissions" in values:
        values["permissions"] = _check_permissions(values["permissions"])
    user = await get_user(session, user_id)
    if values.get("role", user.role) != user.role or values.get("is_active", True) is False:
        await ensure_another_admin(session, user, "demote or deactivate this user")
    who = AuditActor.of(actor, client)
    target = {"target_type": "user", "target_id": user.id}
    if "role" in values and values["role"] != user.role:
        await audit.record(
            session, Action.role_changed, who, **target, details={"from": user.role, "to": values["role"]}
        )
        user.role = values["role"]
    if "permissions" in values and values["permissions"] != sorted(user.permissions or []):
        await audit.record(
            session,
            Action.permissions_changed,
            who,
            **target,
            details={"from": sorted(user.permissions or []), "to": values["permissions"]},
        )
        user.permissions = values["permissions"]
    if "is_active" in values and values["is_active"] != user.is_active:
        user.is_active = values["is_active"]
        details: dict[str, object] = {}
        if not user.is_active:
            details["revokedSessions"] = await revoke_sessions(session, user_id=user.id, reason="deactivated")
        action = Action.activated if user.is_active else Action.deactivated
        await audit.record(session, action, who, **target, details=details)
    user.updated_at = utcnow()
    await session.flush()
    return user


# The same email rules as the API's request models, so the CLI cannot create a login the API rejects.
_EMAIL = TypeAdapter(EmailStr)
MINIMUM_PASSWORD_LENGTH = 8


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
        password_hash=await hash_password_async(password) if password else None,
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
