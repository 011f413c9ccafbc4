"""Request and response models of the API clients and of the OAuth2 token endpoint."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from fixdesk.identity.schemas import Permission
from fixdesk.platform.schemas import CamelModel, InputModel

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
