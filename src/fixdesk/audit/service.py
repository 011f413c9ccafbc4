"""The activity and audit log: who did what to which account, from which IP and user agent.

Entries are written with :func:`record` in the transaction of the action they describe, so an entry
exists exactly when the action committed. Failed logins and rejected codes are the exception that
proves the rule: the request fails, so the service raises an error marked ``commit_transaction``
(:class:`~fixdesk.platform.errors.FixdeskError`), and the request's transaction, holding just the audit
entry (and the code's attempt count), commits anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from fixdesk.audit.models import AuditEvent
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal


class Action(StrEnum):
    """What an audit entry records."""

    registered = "account.registered"
    email_verified = "account.email_verified"
    login_code_requested = "auth.login_code_requested"
    login_succeeded = "auth.login_succeeded"
    login_failed = "auth.login_failed"
    logout = "auth.logout"
    sessions_revoked = "auth.sessions_revoked"
    session_revoked = "auth.session_revoked"
    token_family_compromised = "auth.token_family_compromised"
    profile_updated = "account.profile_updated"
    deletion_scheduled = "account.deletion_scheduled"
    deleted = "account.deleted"
    user_invited = "user.invited"
    invitation_accepted = "user.invitation_accepted"
    role_changed = "user.role_changed"
    permissions_changed = "user.permissions_changed"
    activated = "user.activated"
    deactivated = "user.deactivated"
    # A customer's credentials and portal access (fixdesk.identity.portal_access, credentials).
    registration_attempted = "account.registration_attempted"
    portal_invitation_sent = "account.portal_invitation_sent"
    password_reset_sent = "account.password_reset_sent"
    password_set = "account.password_set"
    email_changed = "account.email_changed"
    # Repair photos and documents: who removed or (un)published which file of which repair.
    attachment_deleted = "attachment.deleted"
    attachment_published = "attachment.published"
    attachment_unpublished = "attachment.unpublished"
    # Marketing consent and the suppression list (fixdesk.marketing): who changed what, from where.
    consent_changed = "marketing.consent_changed"
    suppression_added = "marketing.suppression_added"
    suppression_removed = "marketing.suppression_removed"


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, recorded on sessions and audit entries."""

    user_agent: str | None
    ip_address: str | None

    @property
    def trimmed_user_agent(self) -> str | None:
        return (self.user_agent or "")[:500] or None


NO_CLIENT = ClientInfo(user_agent=None, ip_address=None)


async def request_client(request: Request) -> ClientInfo:
    """The :class:`ClientInfo` of an HTTP request (a FastAPI dependency): its user agent and peer address."""
    return ClientInfo(
        user_agent=request.headers.get("user-agent"),
        ip_address=request.client.host if request.client else None,
    )


@dataclass(frozen=True)
class AuditActor:
    """Who acted: a principal (``user``, ``customer``, ``client``), ``anonymous`` or ``system`` (a job)."""

    type: str
    id: uuid.UUID | None
    client: ClientInfo = NO_CLIENT

    @classmethod
    def of(cls, principal: Principal, client: ClientInfo = NO_CLIENT) -> AuditActor:
        return cls(principal.type, principal.id, client)

    @classmethod
    def account(cls, account_type: str, account_id: uuid.UUID, client: ClientInfo = NO_CLIENT) -> AuditActor:
        return cls(account_type, account_id, client)

    @classmethod
    def anonymous(cls, client: ClientInfo = NO_CLIENT) -> AuditActor:
        return cls("anonymous", None, client)

    @classmethod
    def system(cls) -> AuditActor:
        return cls("system", None)


async def record(
    session: AsyncSession,
    action: Action,
    actor: AuditActor,
    *,
    target_type: str | None = None,
    target_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an entry to the log in the caller's transaction. ``customer_id`` puts it in that customer's
    activity (``GET /customers/{id}/activity``)."""
    entry = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action.value,
        target_type=target_type,
        target_id=target_id,
        customer_id=customer_id,
        ip_address=actor.client.ip_address,
        user_agent=actor.client.trimmed_user_agent,
        details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry


def _newest_first(statement: Select[Any]) -> Select[Any]:
    return statement.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


async def customer_activity(
    session: AsyncSession, customer_id: uuid.UUID, params: PageParams
) -> tuple[list[AuditEvent], int]:
    """A page of one customer's entries, newest first."""
    statement = _newest_first(select(AuditEvent).where(AuditEvent.customer_id == customer_id))
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def search(
    session: AsyncSession,
    params: PageParams,
    *,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    target_id: uuid.UUID | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """A page of the whole log, newest first; ``date_from`` is inclusive, ``date_to`` exclusive."""
    statement = select(AuditEvent)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    if target_id is not None:
        statement = statement.where(AuditEvent.target_id == target_id)
    if date_from is not None:
        statement = statement.where(AuditEvent.created_at >= date_from)
    if date_to is not None:
        statement = statement.where(AuditEvent.created_at < date_to)
    rows, total = await paginate(session, _newest_first(statement), params)
    return list(rows), total
