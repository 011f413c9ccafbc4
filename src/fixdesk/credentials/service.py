"""What follows a change of an account's credentials: its sessions end and its emailed secrets stop
working, and the change is audited.

A customer's credentials are their portal password and their email address (codes and links are emailed
there). Whenever one changes (a password set with an invitation or reset link, an email changed by staff),
:func:`customer_credentials_changed` revokes every live session of the customer, so every refresh-token
family dies and every access token is refused on its next request (the authenticator checks the session),
voids the codes and links still open, and writes one audit entry in the same transaction.

The module stands below customers and identity (it imports neither), so the customers domain calls it in
its own transaction and identity signs accounts in with the same records.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor
from fixdesk.credentials.models import AuthSession, LoginCode
from fixdesk.db import utcnow
from fixdesk.platform.jobs import enqueue

CODE_PURPOSES = ("verification", "login")
"""Purposes of the 6-digit codes (``login_codes`` rows) exchanged at ``/auth/verify-email``."""
PORTAL_INVITATION = "portal_invitation"
PASSWORD_RESET = "password_reset"
LINK_PURPOSES = (PORTAL_INVITATION, PASSWORD_RESET)
"""Purposes of the emailed set-password links, kept in the same table (see
:mod:`fixdesk.identity.portal_access`)."""
ACCOUNT_NOTICE_JOB = "identity.send_account_notice"
"""The job that emails an account notice without a secret. Its handler is identity's
(:mod:`fixdesk.identity.account_jobs`, which renders messaging's account templates); the queue names it by
kind, so queuing it here imports nothing above this module."""


async def revoke_sessions(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    reason: str,
) -> int:
    """Revoke every live session (refresh-token family) of one account; returns how many were live."""
    now = utcnow()
    owner = AuthSession.user_id == user_id if user_id is not None else AuthSession.customer_id == customer_id
    result = await session.execute(
        update(AuthSession)
        .where(owner, AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def void_open_codes(
    session: AsyncSession,
    customer_id: uuid.UUID,
    purposes: Iterable[str] = CODE_PURPOSES + LINK_PURPOSES,
    *,
    keep: uuid.UUID | None = None,
) -> int:
    """Void the customer's unused codes and links of ``purposes`` (all by default) except ``keep``;
    returns how many."""
    statement = update(LoginCode).where(
        LoginCode.customer_id == customer_id,
        LoginCode.purpose.in_(list(purposes)),
        LoginCode.used_at.is_(None),
        LoginCode.voided_at.is_(None),
    )
    if keep is not None:
        statement = statement.where(LoginCode.id != keep)
    result = await session.execute(
        statement.values(voided_at=utcnow()).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def customer_credentials_changed(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    action: Action,
    actor: AuditActor,
    reason: str,
    details: dict[str, Any] | None = None,
) -> int:
    """End every session of the customer, void their open codes and links, and audit ``action`` (with
    ``details`` plus ``revokedSessions``); ``reason`` (up to 50 characters) is recorded on the revoked
    sessions. Returns how many sessions were revoked. Runs in the caller's transaction."""
    revoked = await revoke_sessions(session, customer_id=customer_id, reason=reason)
    await void_open_codes(session, customer_id)
    await audit.record(
        session,
        action,
        actor,
        target_type="customer",
        target_id=customer_id,
        customer_id=customer_id,
        details={**(details or {}), "revokedSessions": revoked},
    )
    return revoked


async def queue_account_notice(
    session: AsyncSession, template: str, *, to: str, language: str, variables: dict[str, Any]
) -> None:
    """Queue, in the caller's transaction, an email to ``to`` from the account template ``template``
    (``fixdesk.messaging.service.ACCOUNT_TEMPLATES``) in ``language`` with ``variables`` (the shop's are
    added when it is sent). It goes out after the commit, from a job; a rolled-back change sends nothing."""
    await enqueue(
        session,
        ACCOUNT_NOTICE_JOB,
        {"template": template, "to": to, "language": language, "variables": variables},
    )
