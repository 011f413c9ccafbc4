"""The authenticator: a verified access token turned into a :class:`Principal` with one query.

Installed as ``app.state.authenticator`` (see :mod:`fixdesk.platform.permissions`). It runs on every
authenticated request, so it selects only the columns a principal needs (never ``users.password_hash`` nor
``customers.portal_password_hash``) and reads the login session and the account in one statement, sent to
the driver directly on PostgreSQL (:mod:`fixdesk.platform.direct`).
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select

from fixdesk.credentials.models import AuthSession
from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.identity.models import ApiClient, User
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, all_permissions, permissions_for
from fixdesk.platform.direct import Database, DirectSelect, Row, reader
from fixdesk.platform.errors import Unauthorized
from fixdesk.platform.permissions import Authenticator, Principal
from fixdesk.platform.security import AccessClaims, TokenService

SESSION_ENDED = "This session has ended; log in again."
ACCOUNT_INACTIVE = "The account behind this token is no longer active."
CLIENT_INACTIVE = "The API client behind this token is no longer active."


def make_authenticator(tokens: TokenService) -> Authenticator:
    """The function the platform uses to turn a bearer token into a :class:`Principal`:
    ``await authenticate(session, token, claims=None)``; ``claims`` are the token's already verified claims
    (the rate limiter verified it first, :func:`fixdesk.platform.security.request_access_claims`), else
    the token is verified here. Raises :class:`Unauthorized` (401) for a bad token, an ended session or an
    inactive account.

    Loads the user, customer or API client on every request, so deactivating a user or client or
    archiving a customer ends their access at once rather than when the token expires. An API client
    holds only the scopes both its token and its current registration grant. A token carrying a session
    (``sid``) also dies with its session: logout, revoke-all, ending a session and a compromised family
    all take effect on the next request. One statement per request: the account, left-joined to its
    session.
    """

    async def authenticate(session: Database, token: str, claims: AccessClaims | None = None) -> Principal:
        if claims is None:
            claims = tokens.verify_access_token(token)
        if claims.principal_type == "user":
            return await _user(session, claims)
        if claims.principal_type == "customer":
            return await _customer(session, claims)
        if claims.principal_type == "client" and claims.session_id is None:
            return await _client(session, claims)
        raise Unauthorized("This kind of token is not accepted here.")

    return authenticate


def _with_session(statement, account_column):  # type: ignore[no-untyped-def]
    """``statement`` left-joined to the token's login session (bound parameter ``session_id``); the session
    row joins only when it belongs to the token's subject (bound parameter ``subject``)."""
    return statement.add_columns(
        AuthSession.id.label("session_id"), AuthSession.revoked_at.label("session_revoked_at")
    ).outerjoin(
        AuthSession,
        and_(AuthSession.id == bindparam("session_id"), account_column == bindparam("subject")),
    )


def _check_session(row: Row, claims: AccessClaims) -> None:
    if claims.session_id is not None and (row["session_id"] is None or row["session_revoked_at"] is not None):
        raise Unauthorized(SESSION_ENDED)


# Built once: every authenticated request runs one of these, and a statement object reused keeps its cache
# key and compiled SQL (building and keying it again cost more than running it).
_USER_ALONE = select(User.role, User.permissions, User.email, User.is_active).where(
    User.id == bindparam("subject")
)
_USER = DirectSelect(_USER_ALONE)
_USER_IN_SESSION = DirectSelect(_with_session(_USER_ALONE, AuthSession.user_id))
_CUSTOMER_ALONE = select(Customer.email, Customer.status).where(Customer.id == bindparam("subject"))
_CUSTOMER = DirectSelect(_CUSTOMER_ALONE)
_CUSTOMER_IN_SESSION = DirectSelect(_with_session(_CUSTOMER_ALONE, AuthSession.customer_id))
_CLIENT = DirectSelect(
    select(ApiClient.scopes, ApiClient.is_active).where(ApiClient.id == bindparam("subject"))
)


async def _one_or_none(
    session: Database, statement: DirectSelect, parameters: dict[str, object]
) -> Row | None:
    rows = await (await reader(session)).rows(statement, parameters)
    return rows[0] if rows else None


async def _account(
    session: Database, claims: AccessClaims, alone: DirectSelect, in_session: DirectSelect
) -> Row | None:
    """The account row of ``claims``' subject, with its login session's id and revocation when the token
    names one (``in_session``), else ``alone``."""
    if claims.session_id is None:
        return await _one_or_none(session, alone, {"subject": claims.subject})
    parameters = {"subject": claims.subject, "session_id": claims.session_id}
    return await _one_or_none(session, in_session, parameters)


async def _user(session: Database, claims: AccessClaims) -> Principal:
    row = await _account(session, claims, _USER, _USER_IN_SESSION)
    if row is None:
        # No account: its sessions went with it (ON DELETE CASCADE), so the session has ended too.
        raise Unauthorized(SESSION_ENDED if claims.session_id is not None else ACCOUNT_INACTIVE)
    _check_session(row, claims)
    if not row["is_active"]:
        raise Unauthorized(ACCOUNT_INACTIVE)
    return Principal(
        id=claims.subject,
        type="user",
        role=row["role"],
        permissions=permissions_for(row["role"], row["permissions"]),
        email=row["email"],
        session_id=claims.session_id,
    )


async def _customer(session: Database, claims: AccessClaims) -> Principal:
    row = await _account(session, claims, _CUSTOMER, _CUSTOMER_IN_SESSION)
    if row is None:
        raise Unauthorized(SESSION_ENDED if claims.session_id is not None else ACCOUNT_INACTIVE)
    _check_session(row, claims)
    if row["status"] != CustomerStatus.active:
        raise Unauthorized(ACCOUNT_INACTIVE)
    return Principal(
        id=claims.subject,
        type="customer",
        role="customer",
        permissions=CUSTOMER_PERMISSIONS,
        email=row["email"],
        session_id=claims.session_id,
    )


async def _client(session: Database, claims: AccessClaims) -> Principal:
    row = await _one_or_none(session, _CLIENT, {"subject": claims.subject})
    if row is None or not row["is_active"]:
        raise Unauthorized(CLIENT_INACTIVE)
    granted = claims.scopes or frozenset()
    return Principal(
        id=claims.subject,
        type="client",
        role="client",
        permissions=frozenset(granted & set(row["scopes"]) & all_permissions()),
    )
