"""Self-registration of portal customers, without telling anyone whether an address has an account.

``POST /auth/register`` answers every well-formed request the same way: the same status, the same body
shape (``userId`` is a fresh id either way) and the same headers, after the same work: it checks the input
and queues one job (:data:`REGISTER_JOB`). The job, after the answer, looks at the address:

* nobody has it: the customer is created with the announced id, unverified and without a password, and
  a 6-digit verification code is emailed (``account.registered`` is audited);
* a customer or a staff user has it: nothing is created, and the owner is emailed that someone tried to
  register with their address, with how to sign in or reset their password
  (``account.registration_attempted`` is audited). A staff address never becomes a customer account.

So neither the answer, nor its timing, nor anything but the owner's inbox tells the caller which it was.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import Action, AuditActor, ClientInfo
from fixdesk.config import Settings
from fixdesk.credentials.service import queue_account_notice
from fixdesk.customers.models import Customer
from fixdesk.customers.schemas import CustomerCreate
from fixdesk.customers.service import create_customer, normalize_phone
from fixdesk.db import new_id
from fixdesk.identity.login import issue_code
from fixdesk.identity.models import User
from fixdesk.identity.principals import account_target, normalize_email
from fixdesk.identity.schemas import RegisterRequest, RegisterResponse
from fixdesk.platform.jobs import enqueue

log = structlog.get_logger(__name__)

REGISTER_JOB = "identity.register"
REGISTRATION_NOTICE = "registration_attempt"


async def register(
    session: AsyncSession, data: RegisterRequest, *, client: ClientInfo, settings: Settings
) -> RegisterResponse:
    """Accept a registration and queue its job; the answer is the same whether or not the address is
    taken (see the module docstring). Raises :class:`~fixdesk.platform.errors.ValidationFailed` (400) for a
    phone number that is not a valid number (which depends on the input only)."""
    email = normalize_email(data.email)
    phone = normalize_phone(data.phone_number, settings.default_phone_region, field="phoneNumber")
    customer_id = new_id()
    await enqueue(
        session,
        REGISTER_JOB,
        {
            "customerId": str(customer_id),
            "email": email,
            "firstName": data.first_name,
            "lastName": data.last_name,
            "phone": phone,
            "companyCustomerId": data.company_customer_id,
            "ipAddress": client.ip_address,
            "userAgent": client.trimmed_user_agent,
        },
    )
    return RegisterResponse(message=f"Verification email sent to {email}", user_id=customer_id)


async def complete_registration(
    session: AsyncSession, payload: dict[str, Any], *, settings: Settings
) -> None:
    """The job's half of :func:`register`: create the customer and email a verification code, or email
    the address's owner instead. Idempotent: a customer already created with the id is left alone."""
    customer_id = uuid.UUID(payload["customerId"])
    if await session.get(Customer, customer_id) is not None:
        return
    email = payload["email"]
    client = ClientInfo(user_agent=payload.get("userAgent"), ip_address=payload.get("ipAddress"))
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    owner: User | Customer | None = user
    if owner is None:
        owner = (await session.execute(select(Customer).where(Customer.email == email))).scalar_one_or_none()
    if owner is not None:
        await _notify_owner(session, owner, email, client)
        return
    customer = await create_customer(
        session,
        CustomerCreate(
            first_name=payload["firstName"],
            last_name=payload["lastName"],
            email=email,
            phone=payload.get("phone"),
        ),
        default_region=settings.default_phone_region,
        require_custom_fields=False,
        customer_id=customer_id,
    )
    customer.company_customer_id = payload.get("companyCustomerId")
    await session.flush()
    await issue_code(session, customer, purpose="verification", settings=settings)
    await audit.record(
        session,
        Action.registered,
        AuditActor.account("customer", customer.id, client),
        **account_target(customer),
    )


async def _notify_owner(
    session: AsyncSession, owner: User | Customer, email: str, client: ClientInfo
) -> None:
    staff = isinstance(owner, User)
    await queue_account_notice(
        session,
        REGISTRATION_NOTICE,
        to=email,
        language="en" if staff else owner.language,
        variables={"first_name": owner.first_name, "staff": staff},
    )
    await audit.record(
        session,
        Action.registration_attempted,
        AuditActor.anonymous(client),
        **account_target(owner),
        details={"accountType": "user" if staff else "customer"},
    )
    log.info("registration_for_a_taken_address", account_type="user" if staff else "customer")
