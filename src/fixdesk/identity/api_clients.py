"""API clients and the OAuth2 client-credentials grant (RFC 6749 §4.4).

Admins register a client (``/api/v1/api-clients``) with a name and scopes; scopes are permission strings
(one scope = one permission, :func:`fixdesk.identity.permissions.all_permissions`). The client secret is
shown once, at creation and at rotation. It is 256 random bits, so only its SHA-256 is stored: a slow
password hash (Argon2id) protects guessable secrets and would only add latency to every token request here.

``POST /api/v1/oauth/token`` exchanges the credentials (form body or HTTP Basic, RFC 6749 §2.3.1) for an
access token of principal type ``client`` whose ``scope`` claim holds the granted scopes. The
authenticator intersects that claim with the client's current scopes on every request, so removing a
scope or deactivating the client takes effect at once. Errors of the token endpoint use the RFC 6749 §5.2
JSON shape (``error``, ``error_description``) that OAuth client libraries parse, not problem details.

Deleting a client deactivates it (the row stays, so audit entries and webhooks created by it keep
meaning); ``PATCH isActive=true`` brings it back with its current secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.db import utcnow
from fixdesk.identity.models import ApiClient
from fixdesk.identity.permissions import API_CLIENTS_MANAGE, all_permissions
from fixdesk.identity.schemas import Permission
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.idempotency import SECRET_SHOWN_ONCE
from fixdesk.platform.pagination import Page, PageParams, page_params, paginate
from fixdesk.platform.permissions import Principal, public, require
from fixdesk.platform.schemas import CamelModel, InputModel, control_character_problem
from fixdesk.platform.security import TokenService, hash_secret, new_secret

CLIENT_ID_PREFIX = "fdc_"
CLIENT_SECRET_PREFIX = "fds_"
CLIENT_CREDENTIALS = "client_credentials"
# 32 bytes = 256 bits of randomness: hashing with SHA-256 is enough for a secret nobody can guess.
SECRET_BYTES = 32

router = APIRouter()
ApiClientsManage = Annotated[Principal, Depends(require(API_CLIENTS_MANAGE))]
Pagination = Annotated[PageParams, Depends(page_params)]


# --- schemas -------------------------------------------------------------------------------------------


ClientName = Annotated[str, Field(min_length=1, max_length=100)]


class ApiClientCreate(InputModel):
    """A new API client: a name for people and the scopes (permission strings) it may request."""

    name: ClientName
    scopes: list[Permission] = Field(
        default_factory=list, description="Permission strings, e.g. customers:read"
    )


class ApiClientUpdate(InputModel):
    """Changes to an API client; absent fields stay as they are."""

    name: ClientName | None = None
    scopes: list[Permission] | None = None
    is_active: bool | None = None


class ApiClientRead(CamelModel):
    """An API client (never its secret)."""

    id: uuid.UUID
    name: str
    client_id: str
    scopes: list[str]
    is_active: bool
    created_by_id: uuid.UUID | None
    created_at: datetime
    last_used_at: datetime | None


class ApiClientWithSecret(ApiClientRead):
    """An API client with its secret: only in the answer that created or rotated it."""

    client_secret: str = Field(description="Shown only now; store it safely, it cannot be read again")


class OAuthTokenRead(BaseModel):
    """RFC 6749 §5.1 access token response (snake_case, as OAuth client libraries expect)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds")
    scope: str = Field(description="The granted scopes, space-separated")


class OAuthErrorRead(BaseModel):
    """RFC 6749 §5.2 error response."""

    error: Literal["invalid_request", "invalid_client", "invalid_scope", "unsupported_grant_type"]
    error_description: str


TOKEN_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": [CLIENT_CREDENTIALS]},
                    "client_id": {"type": "string", "description": "Or HTTP Basic (RFC 6749 §2.3.1)"},
                    "client_secret": {"type": "string", "description": "Or HTTP Basic"},
                    "scope": {
                        "type": "string",
                        "description": "Space-separated subset of the client's scopes (default: all)",
                    },
                },
            },
            "example": {
                "grant_type": CLIENT_CREDENTIALS,
                "client_id": "fdc_3q2Yb7Kx",
                "client_secret": "fds_wJx9T0k2hR5vQ8nB",
                "scope": "repairs:read customers:read",
            },
        }
    },
}


# --- service -------------------------------------------------------------------------------------------


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - all_permissions())
    if unknown:
        raise ValidationFailed.for_field(
            "scopes", f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(sorted(all_permissions()))}"
        )
    return sorted(set(scopes))


async def create_client(
    session: AsyncSession, data: ApiClientCreate, *, creator: Principal | None
) -> tuple[ApiClient, str]:
    """Register a client; returns it and its plain secret (which is not stored).

    Raises :class:`ValidationFailed` (400) for a scope that is not a known permission.
    """
    secret = new_secret(CLIENT_SECRET_PREFIX, SECRET_BYTES)
    api_client = ApiClient(
        name=data.name,
        client_id=new_secret(CLIENT_ID_PREFIX, 16),
        secret_hash=hash_secret(secret),
        scopes=_check_scopes(data.scopes),
        is_active=True,
        created_by_id=creator.id if creator is not None and creator.is_staff else None,
        created_at=utcnow(),
    )
    session.add(api_client)
    await session.flush()
    return api_client, secret


async def get_client(session: AsyncSession, api_client_id: uuid.UUID) -> ApiClient:
    """One API client; :class:`NotFound` (404)."""
    api_client = await session.get(ApiClient, api_client_id)
    if api_client is None:
        raise NotFound(f"API client {api_client_id} not found.")
    return api_client


async def update_client(session: AsyncSession, api_client_id: uuid.UUID, data: ApiClientUpdate) -> ApiClient:
    """Rename, re-scope, deactivate or reactivate a client; scope changes apply to live tokens at once."""
    api_client = await get_client(session, api_client_id)
    if data.name is not None:
        api_client.name = data.name
    if data.scopes is not None:
        api_client.scopes = _check_scopes(data.scopes)
    if data.is_active is not None:
        api_client.is_active = data.is_active
    await session.flush()
    return api_client


async def rotate_secret(session: AsyncSession, api_client_id: uuid.UUID) -> tuple[ApiClient, str]:
    """Give the client a new secret; the old one stops working at once (tokens already issued live on
    until they expire; deactivate the client to end those too)."""
    api_client = await get_client(session, api_client_id)
    secret = new_secret(CLIENT_SECRET_PREFIX, SECRET_BYTES)
    api_client.secret_hash = hash_secret(secret)
    await session.flush()
    return api_client, secret


class OAuthError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint."""

    def __init__(self, error: str, description: str, status_code: int = 400, basic: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code
        self.basic = basic

    def response(self) -> JSONResponse:
        headers = dict(NO_STORE)
        if self.status_code == 401 and self.basic:
            headers["WWW-Authenticate"] = 'Basic realm="fixdesk"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status_code,
            headers=headers,
        )


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def authenticate_client(
    session: AsyncSession, client_id: str, client_secret: str, *, basic: bool
) -> ApiClient:
    """The active client with these credentials; :class:`OAuthError` ``invalid_client`` (401) otherwise."""
    api_client = (
        await session.execute(select(ApiClient).where(ApiClient.client_id == client_id))
    ).scalar_one_or_none()
    presented = hash_secret(client_secret)
    # Compare even without a client, so the answer takes as long whether or not the id exists.
    stored = api_client.secret_hash if api_client is not None else hash_secret(new_secret())
    if not hmac.compare_digest(presented, stored) or api_client is None or not api_client.is_active:
        raise OAuthError("invalid_client", "Client authentication failed.", 401, basic=basic)
    return api_client


async def issue_token(
    session: AsyncSession, api_client: ApiClient, requested_scope: str | None, tokens: TokenService
) -> dict[str, Any]:
    """The RFC 6749 §5.1 body for ``api_client``: all its scopes, or the requested subset of them."""
    granted = set(api_client.scopes)
    if requested_scope is not None and requested_scope.strip():
        requested = set(requested_scope.split())
        if not requested <= granted:
            missing = ", ".join(sorted(requested - granted))
            raise OAuthError("invalid_scope", f"Scope not granted to this client: {missing}.")
        granted = requested
    scopes = sorted(granted)
    api_client.last_used_at = utcnow()
    await session.flush()
    return {
        "access_token": tokens.issue_access_token(api_client.id, "client", "client", scopes=scopes),
        "token_type": "Bearer",
        "expires_in": int(tokens.lifetime.total_seconds()),
        "scope": " ".join(scopes),
    }


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from ``Authorization: Basic`` (both form-urlencoded, §2.3.1)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401, basic=True) from exc
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401, basic=True)
    client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
    if control_character_problem(client_id) or control_character_problem(client_secret):
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401, basic=True)
    return client_id, client_secret


# --- endpoints -----------------------------------------------------------------------------------------


@router.post(
    "/oauth/token",
    operation_id="oauth-token",
    dependencies=[Depends(public)],
    tags=["oauth"],
    openapi_extra={"requestBody": TOKEN_REQUEST_BODY},
    responses={
        200: {"description": "RFC 6749 §5.1 access token response", "model": OAuthTokenRead},
        400: {
            "description": "RFC 6749 §5.2 error (invalid_request, invalid_scope, unsupported_grant_type)",
            "model": OAuthErrorRead,
        },
        401: {"description": "RFC 6749 §5.2 invalid_client", "model": OAuthErrorRead},
    },
)
async def token(request: Request, session: SessionDep) -> Response:
    """OAuth2 client credentials: a form body with ``grant_type=client_credentials``, the client's
    credentials (``client_id``/``client_secret`` in the body or HTTP Basic) and optionally ``scope``
    (space-separated, a subset of the client's scopes). Answers and errors follow RFC 6749 §5.1/§5.2."""
    try:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "Send an application/x-www-form-urlencoded body.")
        form = await request.form()
        values: dict[str, str] = {key: value for key, value in form.items() if isinstance(value, str)}
        for name, value in values.items():
            if problem := control_character_problem(name) or control_character_problem(value):
                raise OAuthError("invalid_request", f"{name!r}: {problem}.")
        grant_type = values.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "The grant_type parameter is missing.")
        if grant_type != CLIENT_CREDENTIALS:
            raise OAuthError("unsupported_grant_type", "Only grant_type=client_credentials is supported.")
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None:
            if "client_secret" in values:
                raise OAuthError("invalid_request", "Use one client authentication method, not two.")
            client_id, client_secret = basic
        else:
            client_id, client_secret = values.get("client_id") or "", values.get("client_secret") or ""
            if not client_id or not client_secret:
                # RFC 6749 §5.2: a request without client authentication is invalid_client.
                raise OAuthError("invalid_client", "Send client_id and client_secret, or HTTP Basic.", 401)
        api_client = await authenticate_client(session, client_id, client_secret, basic=basic is not None)
        body = await issue_token(session, api_client, values.get("scope"), request.app.state.tokens)
    except OAuthError as error:
        return error.response()
    return JSONResponse(body, headers=NO_STORE)


@router.get(
    "/api-clients", operation_id="api-clients-list", response_model=Page[ApiClientRead], tags=["api-clients"]
)
async def list_clients(session: SessionDep, _: ApiClientsManage, params: Pagination):
    """List API clients, newest first (secrets are never shown)."""
    statement = select(ApiClient).order_by(ApiClient.created_at.desc(), ApiClient.id.desc())
    rows, total = await paginate(session, statement, params)
    return Page[ApiClientRead].build([ApiClientRead.model_validate(row) for row in rows], total, params)


@router.post(
    "/api-clients",
    operation_id="api-clients-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientWithSecret,
    tags=["api-clients"],
    openapi_extra=SECRET_SHOWN_ONCE,
)
async def create(body: ApiClientCreate, session: SessionDep, principal: ApiClientsManage):
    """Register an API client; the answer holds ``clientSecret``, shown this once."""
    api_client, secret = await create_client(session, body, creator=principal)
    return ApiClientWithSecret(**ApiClientRead.model_validate(api_client).model_dump(), client_secret=secret)


@router.get(
    "/api-clients/{api_client_id}",
    operation_id="api-clients-get",
    response_model=ApiClientRead,
    tags=["api-clients"],
)
async def get(api_client_id: uuid.UUID, session: SessionDep, _: ApiClientsManage):
    """One API client (without its secret)."""
    return ApiClientRead.model_validate(await get_client(session, api_client_id))


@router.patch(
    "/api-clients/{api_client_id}",
    operation_id="api-clients-update",
    response_model=ApiClientRead,
    tags=["api-clients"],
)
async def update(api_client_id: uuid.UUID, body: ApiClientUpdate, session: SessionDep, _: ApiClientsManage):
    """Change name, scopes or isActive; takes effect on the client's live tokens at once."""
    return ApiClientRead.model_validate(await update_client(session, api_client_id, body))


@router.delete(
    "/api-clients/{api_client_id}",
    operation_id="api-clients-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["api-clients"],
)
async def delete(api_client_id: uuid.UUID, session: SessionDep, _: ApiClientsManage) -> Response:
    """Deactivate an API client: its secret and its live tokens stop working at once."""
    await update_client(session, api_client_id, ApiClientUpdate(is_active=False))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api-clients/{api_client_id}/rotate-secret",
    operation_id="api-clients-rotate-secret",
    response_model=ApiClientWithSecret,
    tags=["api-clients"],
    openapi_extra=SECRET_SHOWN_ONCE,
)
async def rotate(api_client_id: uuid.UUID, session: SessionDep, _: ApiClientsManage):
    """Replace the client's secret; the new one is shown this once and the old one fails at once."""
    api_client, secret = await rotate_secret(session, api_client_id)
    return ApiClientWithSecret(**ApiClientRead.model_validate(api_client).model_dump(), client_secret=secret)
