"""Identity's background jobs: emailing login codes and staff invitations, and carrying out account
deletions when they fall due (a periodic job, every hour; scheduled in :mod:`fixdesk.identity.manifest`).

The emails carry a secret (the code, the invitation token) that the database holds only hashed; the job
payload holds it sealed (:mod:`fixdesk.identity.codes`) and the handler opens it just before sending.
A code or invitation that is used, voided or expired by the time the job runs is not sent.
"""

from __future__ import annotations

import uuid

import structlog

from fixdesk.audit.service import ClientInfo
from fixdesk.credentials.models import LoginCode
from fixdesk.customers import access as customers
from fixdesk.db import utcnow
from fixdesk.identity import codes
from fixdesk.identity.accounts import purge_due_accounts
from fixdesk.identity.login import (
    CODE_SEAL_PURPOSE,
    REQUEST_CODE_JOB,
    SEND_CODE_JOB,
    issue_code_for_address,
)
from fixdesk.identity.models import User, UserInvitation
from fixdesk.identity.staff import INVITATION_SEAL_PURPOSE, SEND_INVITATION_JOB
from fixdesk.integrations.email import EmailMessage
from fixdesk.platform.crypto import DecryptionFailed
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError

log = structlog.get_logger(__name__)

PURGE_JOB = "identity.purge_deleted_accounts"
SEND_MAX_ATTEMPTS = 5


def _require_email_provider(context: JobContext) -> None:
    if context.services is None or context.services.email is None:
        raise RuntimeError("the worker was started without services (no email provider)")


def _sealed_payload(context: JobContext, id_key: str) -> tuple[uuid.UUID, str]:
    """The record id and the sealed secret of a send job; a malformed payload can never succeed."""
    try:
        return uuid.UUID(context.payload[id_key]), str(context.payload["sealed"])
    except (KeyError, ValueError) as error:
        raise PermanentJobError(f"bad payload: {error}") from error


def _unseal(context: JobContext, purpose: str, record_id: uuid.UUID, sealed: str, remedy: str) -> str:
    """The secret of a send job's payload. One that does not open can never succeed: a permanent failure.

    Jobs queued before the upgrade to AES-GCM sealing carry the old hand-made format, which is no longer
    read: such a login code expires within 10 minutes anyway, so the job fails with a message asking for
    a new code (or a new invitation) rather than keeping a second cipher alive for them.
    """
    try:
        return codes.unseal(context.settings, purpose, record_id, sealed)
    except DecryptionFailed as error:
        raise PermanentJobError(
            f"the sealed {purpose} of {record_id} does not open ({error}); it was queued before an upgrade "
            f"or under a secret key no longer configured: {remedy}"
        ) from None


async def _send_after_commit(context: JobContext, message: EmailMessage) -> None:
    # End the job's transaction before the provider call, so a slow mail server holds no database lock.
    await context.session.commit()
    await context.services.email.send(message)


@handler(REQUEST_CODE_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def request_login_code(context: JobContext) -> None:
    """Issue a login code when an active portal customer has the requested address (nothing otherwise);
    the request answered before this ran, the same way for every address."""
    payload = context.payload
    client = ClientInfo(user_agent=payload.get("userAgent"), ip_address=payload.get("ipAddress"))
    await issue_code_for_address(
        context.session, email=str(payload.get("email", "")), client=client, settings=context.settings
    )


@handler(SEND_CODE_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def send_login_code(context: JobContext) -> None:
    """Email a verification or login code to its customer."""
    session = context.session
    code_id, sealed = _sealed_payload(context, "codeId")
    login_code = await session.get(LoginCode, code_id)
    if login_code is None:
        return  # the customer was anonymised and their codes deleted
    expired = login_code.created_at <= utcnow() - codes.CODE_LIFETIME
    if login_code.used_at is not None or login_code.voided_at is not None or expired:
        log.info("login_code_not_sent", code_id=str(code_id), reason="no longer valid")
        return
    customer = await customers.find_customer(session, login_code.customer_id)
    if customer is None or customer.email is None:
        return
    _require_email_provider(context)
    code = _unseal(context, CODE_SEAL_PURPOSE, code_id, sealed, "the customer must request a new code")
    shop = context.settings.shop_name
    minutes = int(codes.CODE_LIFETIME.total_seconds() // 60)
    if login_code.purpose == "verification":
        subject = f"{code} is your {shop} verification code"
        opening = f"Welcome to {shop}! Enter this code to verify your email address:"
    else:
        subject = f"{code} is your {shop} login code"
        opening = f"Enter this code to log in to {shop}:"
    text = (
        f"Hello {customer.first_name},\n\n{opening}\n\n    {code}\n\n"
        f"The code expires in {minutes} minutes and works once. If you did not ask for it, ignore this "
        f"email; nobody can log in without the code.\n\n{shop}\n"
    )
    message = EmailMessage(
        to=customer.email, subject=subject, text=text, message_id=f"<login-code-{code_id}@fixdesk>"
    )
    await _send_after_commit(context, message)


@handler(SEND_INVITATION_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def send_invitation(context: JobContext) -> None:
    """Email a staff invitation with its one-time set-password link."""
    session = context.session
    invitation_id, sealed = _sealed_payload(context, "invitationId")
    invitation = await session.get(UserInvitation, invitation_id)
    if invitation is None:
        return
    if (
        invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        log.info("invitation_not_sent", invitation_id=str(invitation_id), reason="no longer valid")
        return
    user = await session.get(User, invitation.user_id)
    if user is None or not user.is_active:
        return
    _require_email_provider(context)
    token = _unseal(
        context,
        INVITATION_SEAL_PURPOSE,
        invitation_id,
        sealed,
        "the invitation was not emailed; an administrator must issue a new one",
    )
    settings = context.settings
    shop = settings.shop_name
    link = f"{settings.resolved_public_base_url}/accept-invite?token={token}"
    text = (
        f"Hello {user.first_name},\n\nYou have been invited to {shop}'s Fixdesk as {user.role}. Set your "
        f"password here:\n\n    {link}\n\n"
        f"Or send the token to the API: POST /api/v1/auth/accept-invite with "
        f'{{"token": "{token}", "password": "…"}}.\n\n'
        f"The invitation expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC and works once.\n\n{shop}\n"
    )
    message = EmailMessage(
        to=user.email,
        subject=f"You are invited to {shop}",
        text=text,
        message_id=f"<invitation-{invitation_id}@fixdesk>",
    )
    await _send_after_commit(context, message)


@handler(PURGE_JOB, max_attempts=3)
async def purge_deleted_accounts(context: JobContext) -> None:
    """Anonymise every account whose scheduled deletion date has passed."""
    done = await purge_due_accounts(context.session)
    if done:
        log.info("accounts_anonymised", count=done)
