"""The settings pages of the staff app (``/app/settings``), for admins: staff (invite, change role,
deactivate or reactivate), webhooks (list, create, deliveries, redeliver), API clients (create, with the
secret shown once; revoke), custom fields (define, deactivate) and the shop's details.

Each page requires the permission its API requires (``users:manage``, ``webhooks:manage``,
``api_clients:manage``, ``custom_fields:manage``); only admins hold all of them by default, and the menu
entry carries ``users:manage`` so nobody else sees it. The shop's details are environment settings
(``FIXDESK_SHOP_NAME`` …) with no API to change them, so the page shows them read-only and says so.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit.service import ClientInfo, request_client
from fixdesk.customfields import registry as custom_field_entities
from fixdesk.customfields import service as custom_fields
from fixdesk.customfields.models import CustomFieldType
from fixdesk.customfields.permissions import CUSTOM_FIELDS_MANAGE
from fixdesk.customfields.schemas import CustomFieldDefinitionCreate
from fixdesk.identity import staff
from fixdesk.identity.accounts import user_read_values
from fixdesk.identity.api_clients import service as api_clients
from fixdesk.identity.api_clients.schemas import ApiClientCreate, ApiClientRead, ApiClientUpdate
from fixdesk.identity.models import ApiClient
from fixdesk.identity.permissions import API_CLIENTS_MANAGE, USERS_MANAGE, all_permissions
from fixdesk.identity.schemas import UserAdminUpdate, UserInvite, UserRead
from fixdesk.platform.crypto import Keyring
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import FixdeskError
from fixdesk.platform.events import CATALOG as EVENT_CATALOG
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal, require
from fixdesk.web.forms import NO_PROBLEMS, Problem, checkbox, form_problems, text_values
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render
from fixdesk.webhooks import service as webhooks
from fixdesk.webhooks.permissions import WEBHOOKS_MANAGE
from fixdesk.webhooks.router import delivery_network
from fixdesk.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead
from fixdesk.webhooks.targets import DeliveryNetwork

router = APIRouter()

UsersManage = Annotated[Principal, Depends(require(USERS_MANAGE))]
WebhooksManage = Annotated[Principal, Depends(require(WEBHOOKS_MANAGE))]
ApiClientsManage = Annotated[Principal, Depends(require(API_CLIENTS_MANAGE))]
CustomFieldsManage = Annotated[Principal, Depends(require(CUSTOM_FIELDS_MANAGE))]
Client = Annotated[ClientInfo, Depends(request_client)]
NetworkDep = Annotated[DeliveryNetwork, Depends(delivery_network)]

STAFF_ROLES = ("admin", "manager", "technician", "agent")
# Settings lists are short (a shop's staff, hooks, clients, fields): one page of the API's largest size.
ALL = PageParams(page=1, page_size=100)
SAVED_MESSAGES = {
    "invited": N_("The invitation is on its way."),
    "role": N_("The role was changed."),
    "deactivated": N_("The user was deactivated; their sessions have ended."),
    "activated": N_("The user was reactivated."),
    "revoked": N_("The API client was revoked; its secret and tokens no longer work."),
    "redelivered": N_("The delivery was queued again."),
    "field": N_("The custom field was defined."),
    "field-off": N_("The custom field was deactivated."),
}


def _saved(request: Request) -> str | None:
    return SAVED_MESSAGES.get(request.query_params.get("saved", ""))


def _settings_page(
    request: Request, template: str, section: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    principal: Principal = request.state.principal
    sections = [
        ("staff", N_("Staff"), "/app/settings/staff", USERS_MANAGE),
        ("webhooks", N_("Webhooks"), "/app/settings/webhooks", WEBHOOKS_MANAGE),
        ("api-clients", N_("API clients"), "/app/settings/api-clients", API_CLIENTS_MANAGE),
        ("custom-fields", N_("Custom fields"), "/app/settings/custom-fields", CUSTOM_FIELDS_MANAGE),
        ("shop", N_("The shop"), "/app/settings/shop", USERS_MANAGE),
    ]
    visible = [entry for entry in sections if principal.has(entry[3])]
    values = {"sections": visible, "section": section, "message": _saved(request), **context}
    return render(request, template, values, status_code=status_code)


@router.get("/settings")
async def settings_home(_: UsersManage) -> RedirectResponse:
    """The settings open on the staff page."""
    return RedirectResponse("/app/settings/staff", status_code=303)


# --- staff -----------------------------------------------------------------------------------------------


async def _staff_page(
    request: Request,
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    problems: Problem = NO_PROBLEMS,
) -> HTMLResponse:
    rows, _ = await staff.list_users(session, ALL)
    users = [UserRead(**user_read_values(user)) for user in rows]
    context = {
        "users": users,
        "roles": STAFF_ROLES,
        "values": values or {"email": "", "firstName": "", "lastName": "", "role": "agent", "phone": ""},
        "problems": problems,
    }
    return _settings_page(request, "settings/staff.html", "staff", context, problems.status)


@router.get("/settings/staff")
async def staff_list(request: Request, session: SessionDep, _: UsersManage) -> HTMLResponse:
    """The shop's staff with their roles and state, and the invitation form."""
    return await _staff_page(request, session)


@router.post("/settings/staff")
async def invite_staff(
    request: Request, session: SessionDep, settings: SettingsDep, principal: UsersManage, client: Client
) -> Response:
    """Invite a staff member (the API's ``POST /users``): the account is made and a link emailed."""
    values = text_values(await request.form(), ("email", "firstName", "lastName", "role", "phone"))
    try:
        body = UserInvite.model_validate({key: value for key, value in values.items() if value is not None})
        await staff.invite_user(session, body, inviter=principal, client=client, settings=settings)
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        shown = {key: value or "" for key, value in values.items()}
        return await _staff_page(request, session, values=shown, problems=form_problems(error))
    return RedirectResponse("/app/settings/staff?saved=invited", status_code=303)


async def _change_user(
    request: Request,
    session: AsyncSession,
    user_id: uuid.UUID,
    change: dict[str, Any],
    principal: Principal,
    client: ClientInfo,
    saved: str,
) -> Response:
    try:
        await staff.update_user(
            session, user_id, UserAdminUpdate.model_validate(change), actor=principal, client=client
        )
    except (ValidationError, FixdeskError) as error:
        if isinstance(error, FixdeskError) and error.status == 404:
            raise
        await session.rollback()
        return await _staff_page(request, session, problems=form_problems(error))
    return RedirectResponse(f"/app/settings/staff?saved={saved}", status_code=303)


@router.post("/settings/staff/{user_id}/role")
async def change_role(
    request: Request, user_id: uuid.UUID, session: SessionDep, principal: UsersManage, client: Client
) -> Response:
    """Change a user's role (the API's ``PATCH /users/{id}``; the last admin cannot be demoted: 409)."""
    role = (await request.form()).get("role")
    return await _change_user(request, session, user_id, {"role": role}, principal, client, "role")


@router.post("/settings/staff/{user_id}/deactivate")
async def deactivate_user(
    request: Request, user_id: uuid.UUID, session: SessionDep, principal: UsersManage, client: Client
) -> Response:
    """Deactivate a user: their sessions end at once (the last admin cannot be deactivated: 409)."""
    return await _change_user(
        request, session, user_id, {"isActive": False}, principal, client, "deactivated"
    )


@router.post("/settings/staff/{user_id}/activate")
async def activate_user(
    request: Request, user_id: uuid.UUID, session: SessionDep, principal: UsersManage, client: Client
) -> Response:
    """Let a deactivated user sign in again."""
    return await _change_user(request, session, user_id, {"isActive": True}, principal, client, "activated")


# --- webhooks --------------------------------------------------------------------------------------------


def _event_names() -> list[str]:
    return sorted(EVENT_CATALOG)


async def _webhooks_page(
    request: Request,
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    problems: Problem = NO_PROBLEMS,
    created: dict[str, str] | None = None,
) -> HTMLResponse:
    rows, _ = await webhooks.list_subscriptions(session, ALL)
    context = {
        "webhooks": [WebhookRead.model_validate(row) for row in rows],
        "event_names": _event_names(),
        "values": values or {"url": "", "description": "", "events": []},
        "problems": problems,
        "created": created,
    }
    return _settings_page(request, "settings/webhooks.html", "webhooks", context, problems.status)


@router.get("/settings/webhooks")
async def webhook_list(request: Request, session: SessionDep, _: WebhooksManage) -> HTMLResponse:
    """The webhook subscriptions and the form to add one."""
    return await _webhooks_page(request, session)


@router.post("/settings/webhooks")
async def create_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebhooksManage,
    network: NetworkDep,
) -> HTMLResponse:
    """Subscribe an endpoint (the API's ``POST /webhooks``); the answer shows its signing secret once."""
    form = await request.form()
    values: dict[str, Any] = text_values(form, ("url", "description"))
    values["events"] = [str(name) for name in form.getlist("events")]
    try:
        body = WebhookCreate.model_validate(
            {key: value for key, value in values.items() if value is not None}
        )
        subscription, secret = await webhooks.create_subscription(
            session,
            body,
            owner_id=principal.staff_user_id,
            allow_private=settings.webhooks_allow_private,
            keyring=Keyring.from_settings(settings),
            network=network,
        )
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        shown = {**values, "url": values["url"] or "", "description": values["description"] or ""}
        return await _webhooks_page(request, session, values=shown, problems=form_problems(error))
    # Committed before the secret is shown: a secret on screen belongs to a stored subscription.
    await session.commit()
    created = {"url": subscription.url, "secret": secret}
    return await _webhooks_page(request, session, created=created)


@router.get("/settings/webhooks/{webhook_id}")
async def webhook_deliveries(
    request: Request, webhook_id: uuid.UUID, session: SessionDep, _: WebhooksManage
) -> HTMLResponse:
    """One subscription and its latest 100 deliveries with their attempts, each with a redeliver button."""
    subscription = WebhookRead.model_validate(await webhooks.get_subscription(session, webhook_id))
    rows, total = await webhooks.list_deliveries(session, webhook_id, ALL)
    context = {
        "webhook": subscription,
        "deliveries": [DeliveryRead.model_validate(row) for row in rows],
        "total": total,
    }
    return _settings_page(request, "settings/webhook.html", "webhooks", context)


@router.post("/settings/webhooks/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request, delivery_id: uuid.UUID, session: SessionDep, _: WebhooksManage
) -> Response:
    """Queue one more attempt of a delivery (the API's ``…/redeliver``) and go back to its subscription."""
    delivery = await webhooks.redeliver(session, delivery_id)
    return RedirectResponse(
        f"/app/settings/webhooks/{delivery.subscription_id}?saved=redelivered", status_code=303
    )


# --- API clients -----------------------------------------------------------------------------------------


async def _clients_page(
    request: Request,
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    problems: Problem = NO_PROBLEMS,
    created: dict[str, str] | None = None,
) -> HTMLResponse:
    # The API's list (GET /api-clients) is this statement too; identity has no service function for it.
    statement = select(ApiClient).order_by(ApiClient.created_at.desc(), ApiClient.id.desc())
    rows, _ = await paginate(session, statement, ALL)
    context = {
        "clients": [ApiClientRead.model_validate(row) for row in rows],
        "scopes": sorted(all_permissions()),
        "values": values or {"name": "", "scopes": []},
        "problems": problems,
        "created": created,
    }
    return _settings_page(request, "settings/api_clients.html", "api-clients", context, problems.status)


@router.get("/settings/api-clients")
async def client_list(request: Request, session: SessionDep, _: ApiClientsManage) -> HTMLResponse:
    """The API clients and the form to register one."""
    return await _clients_page(request, session)


@router.post("/settings/api-clients")
async def create_client(request: Request, session: SessionDep, principal: ApiClientsManage) -> HTMLResponse:
    """Register an API client (the API's ``POST /api-clients``); the answer shows its secret once."""
    form = await request.form()
    values: dict[str, Any] = {"name": (form.get("name") or "").strip(), "scopes": form.getlist("scopes")}
    try:
        body = ApiClientCreate.model_validate(values)
        api_client, secret = await api_clients.create_client(session, body, creator=principal)
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        return await _clients_page(request, session, values=values, problems=form_problems(error))
    await session.commit()
    created = {"name": api_client.name, "client_id": api_client.client_id, "secret": secret}
    return await _clients_page(request, session, created=created)


@router.post("/settings/api-clients/{api_client_id}/revoke")
async def revoke_client(api_client_id: uuid.UUID, session: SessionDep, _: ApiClientsManage) -> Response:
    """Revoke a client (the API's ``DELETE /api-clients/{id}``): its secret and live tokens stop working."""
    await api_clients.update_client(session, api_client_id, ApiClientUpdate(is_active=False))
    return RedirectResponse("/app/settings/api-clients?saved=revoked", status_code=303)


# --- custom fields ---------------------------------------------------------------------------------------


async def _fields_page(
    request: Request,
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    problems: Problem = NO_PROBLEMS,
) -> HTMLResponse:
    rows, _ = await custom_fields.list_definitions(session, ALL, include_inactive=True)
    context = {
        "definitions": rows,
        "entities": custom_field_entities.names(),
        "types": [kind.value for kind in CustomFieldType],
        "values": values
        or {"entity": "repair", "key": "", "label": "", "type": "text", "options": "", "required": False},
        "problems": problems,
    }
    return _settings_page(request, "settings/custom_fields.html", "custom-fields", context, problems.status)


@router.get("/settings/custom-fields")
async def field_list(request: Request, session: SessionDep, _: CustomFieldsManage) -> HTMLResponse:
    """The custom fields of customers and repairs, and the form to define one."""
    return await _fields_page(request, session)


@router.post("/settings/custom-fields")
async def define_field(request: Request, session: SessionDep, _: CustomFieldsManage) -> Response:
    """Define a custom field (the API's ``POST /custom-fields``); ``options`` one per line for a select."""
    form = await request.form()
    values: dict[str, Any] = {
        key: value or ""
        for key, value in text_values(form, ("entity", "key", "label", "type", "options")).items()
    }
    values["required"] = checkbox(form, "required")
    body: dict[str, Any] = {key: value for key, value in values.items() if value not in ("", None)}
    body["required"] = values["required"]
    if values["options"]:
        body["options"] = [line.strip() for line in values["options"].splitlines() if line.strip()]
    try:
        await custom_fields.create_definition(session, CustomFieldDefinitionCreate.model_validate(body))
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        return await _fields_page(request, session, values=values, problems=form_problems(error))
    return RedirectResponse("/app/settings/custom-fields?saved=field", status_code=303)


@router.post("/settings/custom-fields/{definition_id}/deactivate")
async def deactivate_field(definition_id: uuid.UUID, session: SessionDep, _: CustomFieldsManage) -> Response:
    """Deactivate a custom field: hidden from forms, stored values kept (reactivate through the API)."""
    await custom_fields.deactivate_definition(session, definition_id)
    return RedirectResponse("/app/settings/custom-fields?saved=field-off", status_code=303)


# --- the shop --------------------------------------------------------------------------------------------


@router.get("/settings/shop")
async def shop_details(request: Request, settings: SettingsDep, _: UsersManage) -> HTMLResponse:
    """The shop's name, contacts, currency, tax rate, time zone and phone region: environment settings,
    shown read-only with the variable that sets each."""
    details = [
        (N_("Name"), settings.shop_name, "FIXDESK_SHOP_NAME"),
        (N_("Email"), settings.shop_email, "FIXDESK_SHOP_EMAIL"),
        (N_("Phone"), settings.shop_phone, "FIXDESK_SHOP_PHONE"),
        (N_("Currency"), settings.currency, "FIXDESK_CURRENCY"),
        (N_("Sales tax, percent"), str(settings.tax_rate), "FIXDESK_TAX_RATE"),
        (N_("Time zone"), settings.shop_timezone, "FIXDESK_SHOP_TIMEZONE"),
        (
            N_("Region of phone numbers without +"),
            settings.default_phone_region,
            "FIXDESK_DEFAULT_PHONE_REGION",
        ),
    ]
    return _settings_page(request, "settings/shop.html", "shop", {"details": details})


pages = WebPages(
    name="settings",
    staff=router,
    navigation=(NavItem(N_("Settings"), "/app/settings", "settings", permission=USERS_MANAGE, order=90),),
)
