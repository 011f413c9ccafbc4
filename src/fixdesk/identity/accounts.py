"""The signed-in account (``/users/me``): profile reads and changes, and account deletion.

Deletion is asked for by the account holder and carried out 30 days later by a periodic job
(:func:`purge_due_accounts`): personal data is replaced, the rows stay, so repairs, invoices and their
history keep pointing at the same (now anonymous) customer or user.

Locales are BCP 47 tags (``en-US``, ``pt-PT``, ``pt-BR``): a language from a short list, an optional
script and an optional region, stored in canonical case. A customer's ``language`` (which the
notification templates use) follows the locale when the shop writes in that language.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any, get_args

from pydantic.alias_generators import to_camel
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.credentials.models import AuthSession, LoginCode
from fixdesk.credentials.service import revoke_sessions
from fixdesk.customers.models import Customer
from fixdesk.customers.schemas import CustomerProfileUpdate, Language
from fixdesk.customers.service import (
    anonymise_customer,
    normalize_phone,
    update_customer,
    validate_timezone,
)
from fixdesk.db import utcnow
from fixdesk.identity.models import AccountDeletion, Role, User, UserInvitation
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, permissions_for
from fixdesk.identity.principals import account_target, normalize_email
from fixdesk.identity.schemas import (
    CustomerAccountRead,
    DeleteAccountRequest,
    DeletionScheduled,
    ProfileUpdate,
    StaffProfileRead,
)
from fixdesk.identity.sessions import get_account
from fixdesk.messaging.service import erase_customer_notifications
from fixdesk.platform.errors import Conflict, ValidationFailed
from fixdesk.platform.permissions import Principal

DELETION_GRACE_PERIOD = timedelta(days=30)
PURGE_BATCH_SIZE = 200
ANONYMOUS_USER_FIRST_NAME = "Deleted"
ANONYMOUS_USER_LAST_NAME = "user"
SUPPORTED_LOCALE_LANGUAGES = frozenset({"en", "pt", "es", "fr", "de", "it", "nl"})
CUSTOMER_LANGUAGES = frozenset(get_args(Language))
_LOCALE = re.compile(
    r"^(?P<language>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|\d{3}))?$"
)


def validate_locale(value: str | None, field: str = "locale") -> str | None:
    """A BCP 47 locale in canonical case (``pt-pt`` → ``pt-PT``); :class:`ValidationFailed` (400) when it is
    not one or its language is not supported."""
    if value is None:
        return None
    match = _LOCALE.match(value)
    if match is None:
        raise ValidationFailed.for_field(field, f"'{value}' is not a BCP 47 locale such as en-US or pt-PT")
    language = match["language"].lower()
    if language not in SUPPORTED_LOCALE_LANGUAGES:
        supported = ", ".join(sorted(SUPPORTED_LOCALE_LANGUAGES))
        raise ValidationFailed.for_field(field, f"language '{language}' is not supported ({supported})")
    parts = [language]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts)


# --- reading and changing the profile ----------------------------------------------------------------


async def pending_deletion(session: AsyncSession, account: User | Customer) -> AccountDeletion | None:
    """The account's scheduled, not yet carried out, deletion."""
    owner = (
        AccountDeletion.user_id == account.id
        if isinstance(account, User)
        else AccountDeletion.customer_id == account.id
    )
    statement = (
        select(AccountDeletion)
        .where(owner, AccountDeletion.completed_at.is_(None))
        .order_by(AccountDeletion.requested_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


def user_read_values(user: User) -> dict[str, Any]:
    """The fields of a staff user's read models, with effective permissions."""
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "role": user.role,
        "permissions": sorted(permissions_for(user.role, user.permissions)),
        "extra_permissions": sorted(user.permissions or []),
        "is_active": user.is_active,
        "timezone": user.timezone,
        "locale": user.locale,
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


async def read_me(session: AsyncSession, principal: Principal) -> StaffProfileRead | CustomerAccountRead:
    """The signed-in staff user or customer."""
    account = await get_account(session, principal)
    deletion = await pending_deletion(session, account)
    scheduled = deletion.scheduled_for if deletion else None
    if isinstance(account, User):
        return StaffProfileRead(**user_read_values(account), deletion_scheduled_for=scheduled)
    return CustomerAccountRead(
        id=account.id,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        phone=account.phone,
        company_customer_id=account.company_customer_id,
        verified=account.email_verified_at is not None,
        verified_at=account.email_verified_at,
        timezone=account.timezone,
        locale=account.locale,
        language=account.language,
        permissions=sorted(CUSTOMER_PERMISSIONS),
        deletion_scheduled_for=scheduled,
        last_login_at=account.last_login_at,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


async def update_me(
    session: AsyncSession,
    principal: Principal,
    data: ProfileUpdate,
    *,
    client: ClientInfo,
    settings: Settings,
) -> StaffProfileRead | CustomerAccountRead:
    """Change the caller's names, phone (stored E.164), time zone (IANA) or locale (BCP 47).

    Everything is validated before anything changes: a bad value is a 400 and nothing is applied. The
    audit entry lists the fields whose value changed.
    """
    values = data.model_dump(exclude_unset=True, by_alias=False)
    for required in ("first_name", "last_name"):
        if required in values and values[required] is None:
            raise ValidationFailed.for_field(to_camel(required), "cannot be empty")
    if "phone" in values:
        values["phone"] = normalize_phone(values["phone"], settings.default_phone_region, field="phone")
    if "timezone" in values:
        validate_timezone(values["timezone"])
    if "locale" in values:
        values["locale"] = validate_locale(values["locale"])
    account = await get_account(session, principal)
    changed = sorted(to_camel(name) for name, value in values.items() if getattr(account, name) != value)
    if changed:
        if isinstance(account, Customer):
            await _update_customer_profile(session, account, values, settings)
        else:
            for name, value in values.items():
                setattr(account, name, value)
            account.updated_at = utcnow()
            await session.flush()
        await audit.record(
            session,
            Action.profile_updated,
            AuditActor.of(principal, client),
            **account_target(account),
            details={"fields": changed},
        )
    return await read_me(session, principal)


async def _update_customer_profile(
    session: AsyncSession, customer: Customer, values: dict[str, Any], settings: Settings
) -> None:
    # Through the customers service, so the change is published (customer.updated) like any other.
    profile = {
        name: values[name] for name in ("first_name", "last_name", "phone", "timezone") if name in values
    }
    locale = values.get("locale")
    if locale is not None and locale.split("-")[0] in CUSTOMER_LANGUAGES:
        profile["language"] = locale.split("-")[0]
    if "locale" in values:
        customer.locale = locale
    await update_customer(
        session, customer.id, CustomerProfileUpdate(**profile), default_region=settings.default_phone_region
    )


# --- deletion ----------------------------------------------------------------------------------------


async def ensure_another_admin(session: AsyncSession, user: User, action: str) -> None:
    """Refuse (409) a change that would leave the shop without an active admin."""
    if user.role != Role.admin or not user.is_active:
        return
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin.value, User.is_active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(f"Cannot {action}: this is the only active admin. Make someone else admin first.")


async def schedule_deletion(
    session: AsyncSession, principal: Principal, data: DeleteAccountRequest, *, client: ClientInfo
) -> DeletionScheduled:
    """Schedule the caller's account for anonymisation in 30 days and end all its sessions.

    ``confirmEmail`` must be the account's email (400 otherwise). Asking again keeps the first date.
    """
    account = await get_account(session, principal)
    if account.email is None or normalize_email(data.confirm_email) != account.email.lower():
        raise ValidationFailed.for_field("confirmEmail", "must be the email address of this account")
    if isinstance(account, User):
        await ensure_another_admin(session, account, "delete this account")
    deletion = await pending_deletion(session, account)
    if deletion is None:
        now = utcnow()
        deletion = AccountDeletion(
            user_id=account.id if isinstance(account, User) else None,
            customer_id=account.id if isinstance(account, Customer) else None,
            reason=data.reason,
            requested_at=now,
            scheduled_for=now + DELETION_GRACE_PERIOD,
        )
        session.add(deletion)
        await session.flush()
    revoked = await revoke_sessions(
        session,
        user_id=account.id if isinstance(account, User) else None,
        customer_id=account.id if isinstance(account, Customer) else None,
        reason="account_deletion",
    )
    await audit.record(
        session,
        Action.deletion_scheduled,
        AuditActor.of(principal, client),
        **account_target(account),
        details={"deletionDate": deletion.scheduled_for.isoformat(), "revokedSessions": revoked},
    )
    return DeletionScheduled(deletion_date=deletion.scheduled_for)


async def purge_due_accounts(session: AsyncSession, now: datetime | None = None) -> int:
    """Anonymise the accounts whose deletion date has come (at most a batch per call); returns how many.

    Idempotent: a carried-out deletion is marked ``completed_at`` in the same transaction.
    """
    now = now or utcnow()
    due = (
        (
            await session.execute(
                select(AccountDeletion)
                .where(AccountDeletion.completed_at.is_(None), AccountDeletion.scheduled_for <= now)
                .order_by(AccountDeletion.scheduled_for, AccountDeletion.id)
                .limit(PURGE_BATCH_SIZE)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for deletion in due:
        if deletion.customer_id is not None:
            await _anonymise_customer_account(session, deletion.customer_id)
            target: dict[str, object] = {
                "target_type": "customer",
                "target_id": deletion.customer_id,
                "customer_id": deletion.customer_id,
            }
        else:
            assert deletion.user_id is not None
            await anonymise_user(session, deletion.user_id)
            target = {"target_type": "user", "target_id": deletion.user_id}
        deletion.completed_at = now
        await audit.record(
            session,
            Action.deleted,
            AuditActor.system(),
            **target,
            details={"requestedAt": deletion.requested_at.isoformat()},
        )
    await session.flush()
    return len(due)


async def _anonymise_customer_account(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await anonymise_customer(session, customer_id)
    # The messages sent to them carry their address and the text they were told.
    await erase_customer_notifications(session, customer_id)
    # Sessions and codes hold the customer's devices and IP addresses; they go entirely.
    await session.execute(delete(LoginCode).where(LoginCode.customer_id == customer_id))
    await session.execute(delete(AuthSession).where(AuthSession.customer_id == customer_id))


async def anonymise_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Deactivate a staff user and replace their personal data; repairs they worked on keep the row."""
    user = await session.get(User, user_id)
    if user is None:
        return
    user.first_name = ANONYMOUS_USER_FIRST_NAME
    user.last_name = ANONYMOUS_USER_LAST_NAME
    # The column is unique and required; an address under .invalid (RFC 2606) can never receive mail.
    user.email = f"deleted-{user.id.hex}@deleted.invalid"
    user.phone = None
    user.password_hash = None
    user.permissions = []
    user.is_active = False
    user.timezone = None
    user.locale = None
    user.updated_at = utcnow()
    await session.execute(
        update(UserInvitation)
        .where(UserInvitation.user_id == user_id, UserInvitation.accepted_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
    await session.flush()
