"""The API clients' endpoints (``/api-clients``, admins only) and the OAuth2 token endpoint
(``POST /oauth/token``, RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from fixdesk.identity.api_clients.schemas import (
    ApiClientCreate,
    ApiClientRead,
    ApiClientUpdate,
    ApiClientWithSecret,
    OAuthErrorRead,
    OAuthTokenRead,
)
from fixdesk.identity.api_clients.service import (
    CLIENT_CREDENTIALS,
    NO_STORE,
    OAuthError,
    authenticate_client,
    create_client,
    get_client,
    issue_token,
    rotate_secret,
    update_client,
)
from fixdesk.identity.models import ApiClient
from fixdesk.identity.permissions import API_CLIENTS_MANAGE
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.idempotency import SECRET_SHOWN_ONCE
from fixdesk.platform.pagination import Page, PageParams, page_params, paginate
from fixdesk.platform.permissions import Principal, public, require
from fixdesk.platform.schemas import control_character_problem

router = APIRouter()
ApiClientsManage = Annotated[Principal, Depends(require(API_CLIENTS_MANAGE))]
Pagination = Annotated[PageParams, Depends(page_params)]


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
