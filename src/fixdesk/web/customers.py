"""The customers pages of the staff app (``/app/customers``): the list with search and paging, a customer's
page (their repairs, what they spent, the messages sent to them, their account activity), the create and
edit forms, and the portal invitation and password-reset links.

Handlers are as thin as the API router's (:mod:`fixdesk.customers.router`): the same permissions
(``customers:read`` to look, ``customers:write`` to change), the same input models and services. A form
the service refuses comes back with the API's problem details next to its fields and nothing stored.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit import service as audit
from fixdesk.audit.service import AuditActor, ClientInfo, request_client
from fixdesk.credentials.service import PASSWORD_RESET, PORTAL_INVITATION
from fixdesk.customers import service
from fixdesk.customers.permissions import CUSTOMERS_READ, CUSTOMERS_WRITE
from fixdesk.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from fixdesk.identity import portal_access
from fixdesk.marketing import service as marketing
from fixdesk.marketing.permissions import CONSENTS_READ, CONSENTS_WRITE
from fixdesk.marketing.schemas import CHANNELS, ConsentUpdate
from fixdesk.messaging import service as messaging
from fixdesk.messaging.permissions import NOTIFICATIONS_READ
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import FixdeskError, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.repairs.access import visible_repairs
from fixdesk.repairs.models import Repair, RepairStatus
from fixdesk.web.forms import (
    NO_PROBLEMS,
    PROBLEMS_SHOWN_ON_PAGE,
    Problem,
    checkbox,
    form_problems,
    form_values,
    parse,
    problem_of,
    text_values,
)
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

CustomersRead = Annotated[Principal, Depends(require(CUSTOMERS_READ))]
CustomersWrite = Annotated[Principal, Depends(require(CUSTOMERS_WRITE))]
ConsentsWrite = Annotated[Principal, Depends(require(CONSENTS_WRITE))]
Client = Annotated[ClientInfo, Depends(request_client)]

PAGE_SIZE = 25
# What a customer has spent: the totals of the repairs finished for them (ready for pickup or collected).
SPENDING_STATUSES = (RepairStatus.completed.value, RepairStatus.delivered.value)
# The text fields of the customer form, named as the API's body.
TEXT_FIELDS = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "companyName",
    "addressLine1",
    "addressLine2",
    "city",
    "region",
    "postalCode",
    "country",
    "language",
    "notes",
    "tags",
)
LINK_MESSAGES = {
    PORTAL_INVITATION: N_("A portal invitation is on its way to the customer's email address."),
    PASSWORD_RESET: N_("A password-reset link is on its way to the customer's email address."),
    "consent": N_("The marketing consent is recorded."),
}
CHANNEL_LABELS = {"email": N_("Email"), "sms": N_("SMS"), "whatsapp": N_("WhatsApp")}
CONSENT_SOURCE_LABELS = {
    "portal": N_("Customer portal"),
    "staff": N_("Staff"),
    "import": N_("Import"),
    "web_form": N_("Web form"),
    "sms_keyword": N_("SMS keyword (STOP or START)"),
    "unsubscribe_link": N_("Unsubscribe link"),
    "list_unsubscribe": N_("One-click unsubscribe"),
    "complaint": N_("Spam complaint"),
    "api": N_("API"),
}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/customers")
async def customer_list(
    request: Request,
    session: SessionDep,
    _: CustomersRead,
    search: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """The customers, newest first, 25 a page; ``search`` matches name, email or phone. An htmx request
    (the search box as one types) gets only the results table."""
    params = PageParams(page=page, page_size=PAGE_SIZE)
    rows, total = await service.list_customers(session, params, search=search.strip() or None)
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "customers": [CustomerRead.model_validate(row) for row in rows],
        "total": total,
        "page": page,
        "pages": pages,
        "search": search,
    }
    template = "customers/_results.html" if _is_htmx(request) else "customers/list.html"
    return render(request, template, context)


def _blank_customer() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
    values.update(language="en", notifyEmail=True, notifySms=True)
    return values


def _form_customer(customer: CustomerRead) -> dict[str, Any]:
    values = customer.model_dump(by_alias=True)
    values["tags"] = ", ".join(customer.tags)
    return {key: ("" if value is None else value) for key, value in values.items()}


@router.get("/customers/new")
async def new_customer(request: Request, _: CustomersWrite) -> HTMLResponse:
    """The empty customer form."""
    return render(request, "customers/form.html", {"values": _blank_customer(), "problems": NO_PROBLEMS})


def _posted_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = text_values(form, TEXT_FIELDS)
    values["tags"] = [tag.strip() for tag in (values["tags"] or "").split(",") if tag.strip()]
    values["notifyEmail"] = checkbox(form, "notifyEmail")
    values["notifySms"] = checkbox(form, "notifySms")
    return values


def _redisplay(values: dict[str, Any]) -> dict[str, Any]:
    shown = {key: ("" if value is None else value) for key, value in values.items()}
    shown["tags"] = ", ".join(values.get("tags") or [])
    return shown


@router.post("/customers/new")
async def create_customer(
    request: Request, session: SessionDep, settings: SettingsDep, _: CustomersWrite
) -> Response:
    """Create a customer from the form (the API's ``POST /customers``); on success open their page."""
    values = _posted_values(await request.form())
    body = {key: value for key, value in values.items() if value is not None}
    try:
        customer = await service.create_customer(
            session, CustomerCreate.model_validate(body), default_region=settings.default_phone_region
        )
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        problems = form_problems(error)
        context = {"values": _redisplay(values), "problems": problems}
        return render(request, "customers/form.html", context, status_code=problems.status)
    return RedirectResponse(f"/app/customers/{customer.id}", status_code=303)


@router.get("/customers/{customer_id}/edit")
async def edit_customer(
    request: Request, customer_id: uuid.UUID, session: SessionDep, _: CustomersWrite
) -> HTMLResponse:
    """The customer form filled with what is stored."""
    customer = CustomerRead.model_validate(await service.get_customer(session, customer_id))
    context = {"customer": customer, "values": _form_customer(customer), "problems": NO_PROBLEMS}
    return render(request, "customers/form.html", context)


@router.post("/customers/{customer_id}/edit")
async def update_customer(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: CustomersWrite,
    client: Client,
) -> Response:
    """Save the form (the API's ``PATCH /customers/{id}``; an emptied optional field is cleared)."""
    values = _posted_values(await request.form())
    # Fields that cannot be cleared are left as they are when the form leaves them out.
    change = {key: value for key, value in values.items() if value is not None or key != "language"}
    try:
        await service.update_customer(
            session,
            customer_id,
            CustomerUpdate.model_validate(change),
            default_region=settings.default_phone_region,
            actor=AuditActor.of(principal, client),
        )
    except (ValidationError, FixdeskError) as error:
        await session.rollback()
        problems = form_problems(error)
        customer = CustomerRead.model_validate(await service.get_customer(session, customer_id))
        context = {"customer": customer, "values": _redisplay(values), "problems": problems}
        return render(request, "customers/form.html", context, status_code=problems.status)
    return RedirectResponse(f"/app/customers/{customer_id}", status_code=303)


async def _repairs_and_totals(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> tuple[list[Repair], dict[str, Any]]:
    statement = visible_repairs(principal).where(Repair.customer_id == customer_id)
    repairs = list((await session.execute(statement.order_by(Repair.created_at.desc()).limit(50))).scalars())
    counted = statement.with_only_columns(
        func.count(Repair.id),
        func.coalesce(func.sum(Repair.total_cost).filter(Repair.status.in_(SPENDING_STATUSES)), Decimal("0")),
        func.count(Repair.id).filter(
            Repair.status.not_in((*SPENDING_STATUSES, RepairStatus.cancelled.value))
        ),
    ).order_by(None)
    count, spent, open_count = (await session.execute(counted)).one()
    return repairs, {"repairs": count, "spent": Decimal(spent or 0), "open": open_count}


async def _customer_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    customer_id: uuid.UUID,
    *,
    message: str | None = None,
    problems: Problem = NO_PROBLEMS,
    consent_problem: Problem = NO_PROBLEMS,
    consent_values: dict[str, str] | None = None,
) -> HTMLResponse:
    customer = CustomerRead.model_validate(await service.get_customer(session, customer_id))
    consents = None
    if principal.has(CONSENTS_READ):
        consents = await marketing.read_consents(session, principal, customer_id)
    repairs, totals = await _repairs_and_totals(session, principal, customer_id)
    first_ten = PageParams(page=1, page_size=10)
    notifications: list[Any] | None = None
    if principal.has(NOTIFICATIONS_READ):
        notifications, _ = await messaging.list_notifications(
            session, messaging.NotificationFilters(customer_id=customer_id), first_ten
        )
    activity, _ = await audit.customer_activity(session, customer_id, first_ten)
    context = {
        "customer": customer,
        "repairs": repairs,
        "totals": totals,
        "notifications": notifications,
        "activity": activity,
        "message": message,
        "problems": problems,
        "can_write": principal.has(CUSTOMERS_WRITE),
        "consents": consents,
        "can_change_consent": principal.has(CONSENTS_WRITE) and customer.archived_at is None,
        "consent_problem": consent_problem,
        "consent_values": {"channel": "email", "granted": "yes", "evidence": "", **(consent_values or {})},
        "channel_labels": CHANNEL_LABELS,
        "consent_source_labels": CONSENT_SOURCE_LABELS,
    }
    status = problems.status if problems else consent_problem.status
    return render(request, "customers/detail.html", context, status_code=status)


@router.get("/customers/{customer_id}")
async def customer_detail(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: CustomersRead,
    sent: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """A customer's page: contacts, their repairs (newest 50), what they spent (the totals of repairs
    completed or collected), the messages sent to them (for those who may read notifications) and their
    account activity, and their marketing consent per channel (email, SMS, WhatsApp: given or withdrawn,
    when and how) with a form to record a change, for those who may read and change consent.
    ``?sent=portal_invitation|password_reset|consent`` confirms a link just sent or a consent recorded."""
    message = LINK_MESSAGES.get(sent or "")
    return await _customer_page(request, session, principal, customer_id, message=message)


async def _send_link(
    request: Request,
    customer_id: uuid.UUID,
    purpose: str,
    session: AsyncSession,
    settings: Any,
    principal: Principal,
    client: ClientInfo,
) -> Response:
    try:
        await portal_access.send_link(
            session, customer_id, purpose, actor=AuditActor.of(principal, client), settings=settings
        )
    except FixdeskError as error:
        if error.status == 404:
            raise
        await session.rollback()
        return await _customer_page(request, session, principal, customer_id, problems=form_problems(error))
    return RedirectResponse(f"/app/customers/{customer_id}?sent={purpose}", status_code=303)


@router.post("/customers/{customer_id}/portal-invitation")
async def send_portal_invitation(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: CustomersWrite,
    client: Client,
) -> Response:
    """Email the customer a link to choose their portal password (the API's ``portal-invitation``; 409 on
    the customer's page when they already have one, are not active or have no email)."""
    return await _send_link(request, customer_id, PORTAL_INVITATION, session, settings, principal, client)


@router.post("/customers/{customer_id}/password-reset")
async def send_password_reset(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: CustomersWrite,
    client: Client,
) -> Response:
    """Email the customer a link to choose a new portal password (409 when they have none yet)."""
    return await _send_link(request, customer_id, PASSWORD_RESET, session, settings, principal, client)


@router.post("/customers/{customer_id}/consents")
async def change_consent(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: ConsentsWrite,
    client: Client,
) -> Response:
    """Record a change of the customer's marketing consent on a channel as staff (the API's
    ``PUT /customers/{id}/consents/{channel}`` with source ``staff``): ``channel``, ``granted`` (``yes`` or
    ``no``) and the evidence (what the customer signed or said). Audited with the customer's activity; a
    refusal (an unknown channel, evidence too long) is the API's problem on the customer's page."""
    values = await form_values(request)
    try:
        channel = values.get("channel", "")
        if channel not in CHANNELS:
            raise ValidationFailed.for_field("channel", f"must be one of: {', '.join(CHANNELS)}")
        if values.get("granted") not in ("yes", "no"):
            raise ValidationFailed.for_field("granted", "must be yes or no")
        body = parse(
            ConsentUpdate,
            {
                "granted": values["granted"] == "yes",
                "source": "staff",
                "evidence": values.get("evidence") or None,
            },
        )
        await marketing.change_consent(
            session,
            principal,
            AuditActor.of(principal, client),
            customer_id,
            channel,
            granted=body.granted,
            source=body.source,
            evidence=body.evidence,
        )
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _customer_page(
            request, session, principal, customer_id, consent_problem=problem_of(error), consent_values=values
        )
    return RedirectResponse(f"/app/customers/{customer_id}?sent=consent#consent", status_code=303)


pages = WebPages(
    name="customers",
    staff=router,
    navigation=(NavItem(N_("Customers"), "/app/customers", "users", permission=CUSTOMERS_READ, order=30),),
)
