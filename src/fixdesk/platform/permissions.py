"""Who is calling and what they may do.

Every endpoint declares its rule with a dependency alias built here: ``require("repairs:read")`` for staff
and API clients holding a permission, :data:`CustomerPortal` for a logged-in customer, or :func:`public`
for an endpoint that is open on purpose. The identity domain installs the function that turns a bearer
token into a :class:`Principal` (``app.state.authenticator``), so this module carries no business rules.

Missing or invalid credentials answer 401; valid credentials without the permission answer 403.
"""

# Annotations here are objects, not strings (no ``from __future__ import annotations``): FastAPI reads
# these dependencies' signatures again for every route that uses them, and each string annotation would be
# compiled by ``eval`` each time, about 4,600 times per process start-up.

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.platform.deps import SessionDep
from fixdesk.platform.direct import DirectReader
from fixdesk.platform.errors import Forbidden, Unauthorized
from fixdesk.platform.security import AccessClaims, request_access_claims

PrincipalType = Literal["user", "customer", "client"]
CUSTOMER_PORTAL_PERMISSION = "portal:self"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a staff user, a portal customer or an API client."""

    id: uuid.UUID
    type: PrincipalType
    role: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None
    session_id: uuid.UUID | None = None
    # The account's preferred language (a BCP 47 tag), known when the principal was read from the account
    # itself (a page's session); pages speak it before the browser's Accept-Language.
    locale: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.type == "user"

    @property
    def is_customer(self) -> bool:
        return self.type == "customer"

    @property
    def staff_user_id(self) -> uuid.UUID | None:
        """The staff user's id, for "who did it" columns (``changed_by_id``, ``created_by_id``): ``None``
        for a customer or an API client, which are not rows of ``users``."""
        return self.id if self.is_staff else None

    def has(self, permission: str) -> bool:
        return permission in self.permissions


class Authenticator(Protocol):
    """Turns a bearer token into a :class:`Principal` (401 :class:`Unauthorized` when it does not name a
    live principal). ``claims``: the token's claims when the caller verified them already."""

    def __call__(
        self, session: AsyncSession | DirectReader, token: str, claims: AccessClaims | None = None
    ) -> Awaitable[Principal]: ...


# The browser's session cookies (fixdesk.identity.browser_sessions), one per area so a browser may be
# signed in to the staff app and the portal as two different people. A cookie counts only under its own
# area's path: the API (/api/v1/...) reads bearer tokens alone, so it needs no CSRF protection.
BROWSER_SESSION_COOKIES: dict[str, tuple[str, PrincipalType]] = {
    "/app": ("fixdesk_staff_session", "user"),
    "/portal": ("fixdesk_portal_session", "customer"),
}


def browser_area(path: str) -> tuple[str, PrincipalType] | None:
    """The session cookie's name and the kind of account it may hold for a page under ``path``, or
    ``None`` outside the staff app and the portal."""
    for prefix, cookie in BROWSER_SESSION_COOKIES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return cookie
    return None


TOKEN_REQUIRED = "Send an access token: Authorization: Bearer <token>."

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


async def optional_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller when a bearer token was sent (401 when it is invalid), else, for a page of the staff app
    or the portal, the signed-in browser's (its session cookie, :data:`BROWSER_SESSION_COOKIES`; an
    invalid or ended session counts as signed out), else ``None``.

    The principal is also kept on ``request.state.principal`` for the pages (menus and actions drawn
    for what the caller may do, :func:`fixdesk.web.templating.render`)."""
    if credentials is None:
        area = browser_area(request.url.path)
        secret = request.cookies.get(area[0]) if area is not None else None
        if area is None or not secret:
            return None
        browser_principal: Principal | None = await request.app.state.browser_authenticator(
            session, secret, area[1]
        )
        request.state.principal = browser_principal
        return browser_principal
    authenticator: Authenticator = request.app.state.authenticator
    # Verified once per request: the rate limiter (outermost) usually did it already.
    claims = request_access_claims(
        request.scope.setdefault("state", {}), request.app.state.tokens, credentials.credentials
    )
    principal = await authenticator(session, credentials.credentials, claims)
    request.state.principal = principal
    return principal


async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    """The authenticated caller; 401 without a token."""
    if principal is None:
        raise Unauthorized(TOKEN_REQUIRED)
    return principal


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits callers holding ``permission`` (403 otherwise, 401 without a token).

    It checks for the token itself, as :func:`current_principal` does, rather than through it: one level
    less of FastAPI's dependency resolution on nearly every request (the checks are the same)."""

    async def dependency(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
        if principal is None:
            raise Unauthorized(TOKEN_REQUIRED)
        if not principal.has(permission):
            raise Forbidden(f"This needs the '{permission}' permission.", required=permission)
        return principal

    dependency.required_permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    return dependency


async def _require_customer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_customer:
        raise Forbidden(
            "This endpoint is for customers signed in to the portal.", required=CUSTOMER_PORTAL_PERMISSION
        )
    return principal


_require_customer.required_permission = CUSTOMER_PORTAL_PERMISSION  # type: ignore[attr-defined]


async def public() -> None:
    """Marks an endpoint as public on purpose (no credentials needed)."""


public.is_public = True  # type: ignore[attr-defined]

Authenticated = Annotated[Principal, Depends(current_principal)]
"""Any authenticated principal."""
CustomerPortal = Annotated[Principal, Depends(_require_customer)]
"""A customer signed in to the portal."""
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
"""The caller if a token was sent; used by endpoints that are public but behave differently when signed in."""
