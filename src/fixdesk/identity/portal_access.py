"""Customers' portal passwords. Staff never set or see one: they send the customer a link instead.

* Staff holding ``customers:write`` send a portal invitation (``POST /customers/{id}/portal-invitation``,
  for a customer without a portal password) or a password-reset link (``POST /customers/{id}/password-reset``,
  for one with a password) to the customer's own email on file. A customer asks for a reset link
  themselves with ``POST /auth/forgot-password``, which answers the same whether or not the address has an
  account and does the same work either way (a job decides, after the answer).
* The link carries a single-use token, ``pwl_<row id>.<secret>`` (256 random bits). Only its SHA-256 is
  stored, in a ``login_codes`` row of purpose ``portal_invitation`` or ``password_reset``; the email job
  carries it sealed (AES-GCM, :func:`fixdesk.identity.codes.seal`), so the token itself is in no table. An invitation
  works for 7 days, a reset link for 24 hours; a new link voids the customer's open ones.
* ``POST /auth/reset-password`` with ``{token, password}`` sets the password. That is a change of
  credentials (:func:`fixdesk.credentials.service.customer_credentials_changed`): every session of the
  customer ends, their other codes and links stop working, and the change is audited. The email address
  counts as verified from then on: the link reached it.
* Every email is queued in the request's transaction and sent by a job after the commit.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.credentials.models import LoginCode
from fixdesk.credentials.service import (
    LINK_PURPOSES,
    PASSWORD_RESET,
    PORTAL_INVITATION,
    customer_credentials_changed,
    void_open_codes,
)
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.customers.service import get_customer
from fixdesk.db import new_id, utcnow
from fixdesk.identity import codes
from fixdesk.platform.errors import Conflict, ValidationFailed
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.security import hash_password_async, hash_secret, new_secret

LINK_LIFETIMES: dict[str, timedelta] = {
    PORTAL_INVITATION: timedelta(days=7),
    PASSWORD_RESET: timedelta(hours=24),
}
TOKEN_PREFIX = "pwl_"
LINK_SEAL_PURPOSE = "portal-link"
SEND_LINK_JOB = "identity.send_portal_link"
FORGOT_PASSWORD_JOB = "identity.forgot_password"
INVALID_LINK = "is invalid, already used or expired; ask for a new link"
SET_PASSWORD_PATH = "/portal/reset-password"
"""Where the emailed link points (``<FIXDESK_PUBLIC_BASE_URL>/portal/reset-password?token=…``)."""


def link_expires_at(link: LoginCode) -> datetime:
    """When a set-password link stops working."""
    return link.created_at + LINK_LIFETIMES[link.purpose]


def _token_for(link_id: uuid.UUID, secret: str) -> str:
    return f"{TOKEN_PREFIX}{link_id.hex}.{secret}"


def _link_id_of(token: str) -> uuid.UUID | None:
    """The row id a token names, or ``None`` when it is not shaped like one of ours."""
    head, separator, _ = token.removeprefix(TOKEN_PREFIX).partition(".")
    if not token.startswith(TOKEN_PREFIX) or not separator:
        return None
    try:
        return uuid.UUID(hex=head)
    except ValueError:
        return None


async def issue_link(
    session: AsyncSession, customer: Customer, purpose: str, *, settings: Settings
) -> LoginCode:
    """Store a new set-password link of ``purpose`` for ``customer`` (voiding their open links) and queue
    the email that carries it."""
    now = utcnow()
    await void_open_codes(session, customer.id, LINK_PURPOSES)
    link_id = new_id()
    token = _token_for(link_id, new_secret(nbytes=32))
    link = LoginCode(
        id=link_id,
        customer_id=customer.id,
        purpose=purpose,
        code_hash=hash_secret(token),
        attempts=0,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    sealed = codes.seal(settings, LINK_SEAL_PURPOSE, link_id, token)
    await enqueue(session, SEND_LINK_JOB, {"linkId": str(link_id), "sealed": sealed})
    return link


async def send_link(
    session: AsyncSession,
    customer_id: uuid.UUID,
    purpose: str,
    *,
    actor: AuditActor,
    settings: Settings,
) -> LoginCode:
    """Email a staff-requested portal invitation (``purpose`` ``portal_invitation``) or password-reset
    link (``password_reset``) to the customer's email on file, and audit who asked.

    Raises :class:`~fixdesk.platform.errors.NotFound` (404) for an unknown customer and
    :class:`~fixdesk.platform.errors.Conflict` (409) when the customer is not active, has no email, or
    (invitation) already has a portal password or (reset) has none yet.
    """
    customer = await get_customer(session, customer_id)
    if customer.status != CustomerStatus.active:
        raise Conflict(f"Customer {customer_id} is {customer.status}; only active customers sign in.")
    if customer.email is None:
        raise Conflict("The customer has no email address on file; add one first.", field="email")
    if purpose == PORTAL_INVITATION and customer.has_portal_access:
        raise Conflict("The customer already has a portal password; send a password reset instead.")
    if purpose == PASSWORD_RESET and not customer.has_portal_access:
        raise Conflict("The customer has no portal password yet; send a portal invitation instead.")
    link = await issue_link(session, customer, purpose, settings=settings)
    action = Action.portal_invitation_sent if purpose == PORTAL_INVITATION else Action.password_reset_sent
    await audit.record(
        session,
        action,
        actor,
        target_type="customer",
        target_id=customer.id,
        customer_id=customer.id,
        details={"linkId": str(link.id), "expiresAt": link_expires_at(link).isoformat()},
    )
    return link


async def request_password_reset(session: AsyncSession, *, email: str, client: ClientInfo) -> None:
    """Queue the self-service reset for ``email``: the job (:func:`reset_link_for_address`) emails a link
    when an active customer has that address, and does nothing otherwise. The request itself does the same
    work whatever the address, so neither its answer nor its timing tells whether an account exists."""
    await enqueue(
        session,
        FORGOT_PASSWORD_JOB,
        {"email": email, "ipAddress": client.ip_address, "userAgent": client.trimmed_user_agent},
    )


async def reset_link_for_address(
    session: AsyncSession, *, email: str, client: ClientInfo, settings: Settings
) -> LoginCode | None:
    """Issue a reset link to the active customer with ``email`` (audited, actor anonymous), or nothing.

    Staff addresses get nothing: staff passwords are not reset by email."""
    customer = (
        await session.execute(
            select(Customer).where(Customer.email == email, Customer.status == CustomerStatus.active)
        )
    ).scalar_one_or_none()
    if customer is None:
        return None
    link = await issue_link(session, customer, PASSWORD_RESET, settings=settings)
    await audit.record(
        session,
        Action.password_reset_sent,
        AuditActor.anonymous(client),
        target_type="customer",
        target_id=customer.id,
        customer_id=customer.id,
        details={"linkId": str(link.id), "expiresAt": link_expires_at(link).isoformat(), "selfService": True},
    )
    return link


async def reset_password(session: AsyncSession, *, token: str, password: str, client: ClientInfo) -> Customer:
    """Set a customer's portal password with the token of an invitation or reset link.

    The token then stops working, every session of the customer is revoked, their other codes and links
    are voided, and ``account.password_set`` is audited. Raises :class:`ValidationFailed` (400, field
    ``token``) for an unknown, used, voided or expired token, or one whose customer can no longer sign in.
    """
    link_id = _link_id_of(token)
    link = await session.get(LoginCode, link_id, with_for_update=True) if link_id is not None else None
    now = utcnow()
    if (
        link is None
        or link.purpose not in LINK_PURPOSES
        or not hmac.compare_digest(link.code_hash, hash_secret(token))
        or link.used_at is not None
        or link.voided_at is not None
        or link_expires_at(link) <= now
    ):
        raise ValidationFailed.for_field("token", INVALID_LINK)
    customer = await session.get(Customer, link.customer_id, with_for_update=True)
    if customer is None or customer.status != CustomerStatus.active or customer.email is None:
        raise ValidationFailed.for_field("token", INVALID_LINK)
    customer.portal_password_hash = await hash_password_async(password)
    customer.email_verified_at = customer.email_verified_at or now
    customer.updated_at = now
    link.used_at = now
    # Flushed before the bulk statements below, which must see this link as used (not void it).
    await session.flush()
    await customer_credentials_changed(
        session,
        customer.id,
        action=Action.password_set,
        actor=AuditActor.account("customer", customer.id, client),
        reason="password_set",
        details={"method": link.purpose, "linkId": str(link.id)},
    )
    return customer
