"""Who an account is: the principals of users, customers and API clients (the authenticator that turns an
access token into one is :mod:`fixdesk.identity.authenticator`), and
the account shapes the other identity modules share (the audit actor and target of an account, the
normalised email)."""

from __future__ import annotations

import uuid

from fixdesk.audit.service import AuditActor, ClientInfo
from fixdesk.customers.models import Customer
from fixdesk.identity.models import ApiClient, User
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, all_permissions, permissions_for
from fixdesk.identity.schemas import PrincipalRead
from fixdesk.platform.permissions import Principal


def user_principal(user: User, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        id=user.id,
        type="user",
        role=user.role,
        permissions=permissions_for(user.role, user.permissions),
        email=user.email,
        session_id=session_id,
        locale=user.locale,
    )


def client_principal(api_client: ApiClient, granted_scopes: frozenset[str]) -> Principal:
    """An API client holding the scopes its token was granted that it still has (never more)."""
    return Principal(
        id=api_client.id,
        type="client",
        role="client",
        permissions=frozenset(granted_scopes & set(api_client.scopes) & all_permissions()),
    )


def customer_principal(customer: Customer, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        id=customer.id,
        type="customer",
        role="customer",
        permissions=CUSTOMER_PERMISSIONS,
        email=customer.email,
        session_id=session_id,
        # The portal speaks the customer's chosen language, the one their messages are written in.
        locale=customer.locale or customer.language,
    )


def principal_read(account: User | Customer) -> PrincipalRead:
    if isinstance(account, User):
        principal = user_principal(account)
        principal_type = "user"
    else:
        principal = customer_principal(account)
        principal_type = "customer"
    return PrincipalRead(
        id=account.id,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        role=principal.role,
        principal_type=principal_type,
        permissions=sorted(principal.permissions),
    )


def account_actor(account: User | Customer, client: ClientInfo) -> AuditActor:
    """The audit actor for an account acting on its own behalf."""
    return AuditActor.account("user" if isinstance(account, User) else "customer", account.id, client)


def account_target(account: User | Customer) -> dict[str, object]:
    """``target_type``/``target_id``/``customer_id`` of an audit entry about ``account``."""
    if isinstance(account, User):
        return {"target_type": "user", "target_id": account.id}
    return {"target_type": "customer", "target_id": account.id, "customer_id": account.id}


def normalize_email(email: str) -> str:
    return email.strip().lower()
