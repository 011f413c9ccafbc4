"""Who a token or an account is: the authenticator that turns an access token into a
:class:`~fixdesk.platform.permissions.Principal`, the principals of users, customers and API clients, and
the account shapes the other identity modules share (the audit actor and target of an account, the
normalised email)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit.service import AuditActor, ClientInfo
from fixdesk.credentials.models import AuthSession
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.identity.models import ApiClient, User
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, all_permissions, permissions_for
from fixdesk.identity.schemas import PrincipalRead
from fixdesk.platform.errors import Unauthorized
from fixdesk.platform.permissions import Authenticator, Principal
from fixdesk.platform.security import TokenService

SESSION_ENDED = "This session has ended; log in again."


def make_authenticator(tokens: TokenService) -> Authenticator:
    """The function the platform uses to turn a bearer token into a :class:`Principal`.

    Loads the user, customer or API client on every request, so deactivating a user or client or
    archiving a customer ends their access at once rather than when the token expires. An API client
    holds only the scopes both its token and its current registration grant. A token carrying a session
    (``sid``) also dies with its session: logout, revoke-all, ending a session and a compromised family
    all take effect on the next request (one primary-key lookup).
    """

    async def authenticate(session: AsyncSession, token: str) -> Principal:
        claims = tokens.verify_access_token(token)
        if claims.session_id is not None:
            auth_session = await session.get(AuthSession, claims.session_id)
            if (
                auth_session is None
                or auth_session.revoked_at is not None
                or claims.subject not in (auth_session.user_id, auth_session.customer_id)
            ):
                raise Unauthorized(SESSION_ENDED)
        if claims.principal_type == "user":
            user = await session.get(User, claims.subject)
            if user is None or not user.is_active:
                raise Unauthorized("The account behind this token is no longer active.")
            return user_principal(user, claims.session_id)
        if claims.principal_type == "customer":
            customer = await session.get(Customer, claims.subject)
            if customer is None or customer.status != CustomerStatus.active:
                raise Unauthorized("The account behind this token is no longer active.")
            return customer_principal(customer, claims.session_id)
        if claims.principal_type == "client" and claims.session_id is None:
            api_client = await session.get(ApiClient, claims.subject)
            if api_client is None or not api_client.is_active:
                raise Unauthorized("The API client behind this token is no longer active.")
            return client_principal(api_client, claims.scopes or frozenset())
        raise Unauthorized("This kind of token is not accepted here.")

    return authenticate


def user_principal(user: User, session_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        id=user.id,
        type="user",
        role=user.role,
        permissions=permissions_for(user.role, user.permissions),
        email=user.email,
        session_id=session_id,
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
