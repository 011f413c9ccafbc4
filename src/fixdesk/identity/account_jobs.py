"""Jobs of customers' accounts: finishing a registration, the self-service password reset, and the
emails about an account (set-password links, a registration with a taken address, a changed email).

The emails are rendered from the account templates of :mod:`fixdesk.messaging` in the customer's
language. A set-password link's email carries its token sealed in the payload (only its hash is in a
table) and is not sent once the link was used, voided or has expired.
"""

from __future__ import annotations

import uuid

import structlog

from fixdesk.audit.service import ClientInfo
from fixdesk.credentials.models import LoginCode
from fixdesk.credentials.service import ACCOUNT_NOTICE_JOB, PORTAL_INVITATION
from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.identity import codes
from fixdesk.identity.portal_access import (
    FORGOT_PASSWORD_JOB,
    LINK_SEAL_PURPOSE,
    SEND_LINK_JOB,
    SET_PASSWORD_PATH,
    link_expires_at,
    reset_link_for_address,
)
from fixdesk.identity.registration import REGISTER_JOB, complete_registration
from fixdesk.integrations.email import EmailMessage
from fixdesk.messaging.service import ACCOUNT_TEMPLATES, render_account_email, shop_variables
from fixdesk.platform.crypto import DecryptionFailed
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError

log = structlog.get_logger(__name__)

SEND_MAX_ATTEMPTS = 5


async def _send_after_commit(context: JobContext, message: EmailMessage) -> None:
    if context.services is None or context.services.email is None:
        raise RuntimeError("the worker was started without services (no email provider)")
    # End the job's transaction before the provider call, so a slow mail server holds no database lock.
    await context.session.commit()
    await context.services.email.send(message)


@handler(REGISTER_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def finish_registration(context: JobContext) -> None:
    """Create the registering customer and queue their verification code, or queue the owner's notice
    (:func:`fixdesk.identity.registration.complete_registration`)."""
    try:
        await complete_registration(context.session, context.payload, settings=context.settings)
    except (KeyError, ValueError) as error:
        raise PermanentJobError(f"bad payload: {error}") from error
    except ValidationFailed as error:
        # The request checked the input; a rule that still fails will fail on every retry. (A Conflict,
        # the address taken meanwhile, is retried: the next attempt finds the owner and tells them.)
        raise PermanentJobError(error.detail) from error


@handler(FORGOT_PASSWORD_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def forgot_password(context: JobContext) -> None:
    """Issue a password-reset link when an active customer has the address (nothing otherwise)."""
    payload = context.payload
    client = ClientInfo(user_agent=payload.get("userAgent"), ip_address=payload.get("ipAddress"))
    await reset_link_for_address(
        context.session, email=str(payload.get("email", "")), client=client, settings=context.settings
    )


@handler(SEND_LINK_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def send_portal_link(context: JobContext) -> None:
    """Email a portal invitation or password-reset link with its one-time token."""
    try:
        link_id, sealed = uuid.UUID(context.payload["linkId"]), str(context.payload["sealed"])
    except (KeyError, ValueError) as error:
        raise PermanentJobError(f"bad payload: {error}") from error
    session = context.session
    link = await session.get(LoginCode, link_id)
    if link is None:
        return  # the customer was anonymised and their codes deleted
    if link.used_at is not None or link.voided_at is not None or link_expires_at(link) <= utcnow():
        log.info("portal_link_not_sent", link_id=str(link_id), reason="no longer valid")
        return
    customer = await session.get(Customer, link.customer_id)
    if customer is None or customer.email is None:
        return
    settings = context.settings
    try:
        token = codes.unseal(settings, LINK_SEAL_PURPOSE, link_id, sealed)
    except DecryptionFailed as error:
        # Sealed under a secret key no longer configured: this job can never succeed.
        raise PermanentJobError(
            f"the sealed link {link_id} does not open ({error}); send a new link"
        ) from None
    template = "portal_invitation" if link.purpose == PORTAL_INVITATION else "password_reset"
    rendered = render_account_email(
        template,
        customer.language,
        {
            **shop_variables(settings),
            "first_name": customer.first_name,
            "link": f"{settings.resolved_public_base_url}{SET_PASSWORD_PATH}?token={token}",
            "token": token,
            "expires_at": f"{link_expires_at(link):%Y-%m-%d %H:%M} UTC",
        },
    )
    message = EmailMessage(
        to=customer.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=f"<portal-link-{link_id}@fixdesk>",
    )
    await _send_after_commit(context, message)


@handler(ACCOUNT_NOTICE_JOB, max_attempts=SEND_MAX_ATTEMPTS)
async def send_account_notice(context: JobContext) -> None:
    """Email an account notice (:func:`fixdesk.credentials.service.queue_account_notice`)."""
    payload = context.payload
    template = payload.get("template")
    if template not in ACCOUNT_TEMPLATES or not payload.get("to"):
        raise PermanentJobError(f"bad payload: template {template!r}, to {payload.get('to')!r}")
    rendered = render_account_email(
        template,
        str(payload.get("language") or "en"),
        {**shop_variables(context.settings), **dict(payload.get("variables") or {})},
    )
    message = EmailMessage(
        to=str(payload["to"]),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=f"<account-{template.replace('_', '-')}-{context.job_id}@fixdesk>",
    )
    await _send_after_commit(context, message)
