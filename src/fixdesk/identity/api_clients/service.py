"""API clients' rules: registration, changes, secret rotation, and the client-credentials grant
(client authentication and the token it issues). See :mod:`fixdesk.identity.api_clients`."""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.db import utcnow
from fixdesk.identity.api_clients.schemas import (
    ApiClientCreate,
    ApiClientUpdate,
)
from fixdesk.identity.models import ApiClient
from fixdesk.identity.permissions import all_permissions
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.permissions import Principal
from fixdesk.platform.security import TokenService, hash_secret, new_secret

CLIENT_ID_PREFIX = "fdc_"
CLIENT_SECRET_PREFIX = "fds_"
CLIENT_CREDENTIALS = "client_credentials"
# 32 bytes = 256 bits of randomness: hashing with SHA-256 is enough for a secret nobody can guess.
SECRET_BYTES = 32


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
