"""Customer endpoints for staff (``/api/v1/customers``) and the customer's own profile in the portal
(``/api/v1/customer/profile``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from fixdesk.audit.service import AuditActor, ClientInfo, request_client
from fixdesk.customers import examples, service
from fixdesk.customers.models import Customer
from fixdesk.customers.permissions import CUSTOMERS_READ, CUSTOMERS_WRITE
from fixdesk.customers.schemas import (
    CustomerCreate,
    CustomerProfileRead,
    CustomerProfileUpdate,
    CustomerRead,
    CustomerUpdate,
)
from fixdesk.customfields.filters import CustomFieldFilters
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, require

router = APIRouter(tags=["customers"])
portal_router = APIRouter(tags=["customer portal"])

CustomersRead = Annotated[Principal, Depends(require(CUSTOMERS_READ))]
CustomersWrite = Annotated[Principal, Depends(require(CUSTOMERS_WRITE))]
Client = Annotated[ClientInfo, Depends(request_client)]


def _read(customer: Customer) -> CustomerRead:
    return CustomerRead.model_validate(customer)


@router.get(
    "/customers",
    operation_id="customers-list",
    response_model=Page[CustomerRead],
    responses=response_example(200, examples.CUSTOMER_PAGE_RESPONSE),
)
async def list_customers(
    session: SessionDep,
    _: CustomersRead,
    params: Annotated[PageParams, Depends(page_params)],
    custom_field_filters: CustomFieldFilters,
    search: Annotated[str | None, Query(max_length=200, description="Name, email or phone contains")] = None,
    status_filter: Annotated[
        Literal["active", "inactive", "archived"] | None,
        Query(alias="status", description="Default: not archived"),
    ] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    sort_by: Annotated[Literal["createdAt", "name", "lastName"], Query(alias="sortBy")] = "createdAt",
    sort_order: Annotated[Literal["asc", "desc"], Query(alias="sortOrder")] = "desc",
):
    """List customers (search, status, tag, sorting, ``?customFields.<key>=<value>``; archived only with
    status=archived)."""
    rows, total = await service.list_customers(
        session,
        params,
        search=search,
        status=status_filter,
        tag=tag,
        sort_by=sort_by,
        sort_order=sort_order,
        custom_field_filters=custom_field_filters,
    )
    return Page[CustomerRead].build([_read(c) for c in rows], total, params)


@router.post(
    "/customers",
    operation_id="customers-create",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerRead,
    responses=response_example(201, examples.CUSTOMER_RESPONSE),
    openapi_extra=request_example(examples.CUSTOMER_CREATE_REQUEST),
)
async def create_customer(
    body: CustomerCreate, session: SessionDep, settings: SettingsDep, _: CustomersWrite
):
    """Create a customer (email unique, phone stored in E.164)."""
    customer = await service.create_customer(session, body, default_region=settings.default_phone_region)
    return _read(customer)


@router.get("/customers/{customer_id:uuid}", operation_id="customers-get", response_model=CustomerRead)
async def get_customer(customer_id: uuid.UUID, session: SessionDep, _: CustomersRead):
    """One customer, archived ones included."""
    return _read(await service.get_customer(session, customer_id))


@router.patch("/customers/{customer_id:uuid}", operation_id="customers-update", response_model=CustomerRead)
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    session: SessionDep,
    settings: SettingsDep,
    principal: CustomersWrite,
    client: Client,
):
    """Change some of a customer's fields (a new email ends the customer's sessions; a portal password is
    never set here: send a portal invitation or a password-reset link)."""
    customer = await service.update_customer(
        session,
        customer_id,
        body,
        default_region=settings.default_phone_region,
        actor=AuditActor.of(principal, client),
    )
    return _read(customer)


@router.delete("/customers/{customer_id:uuid}", operation_id="customers-archive", response_model=CustomerRead)
async def archive_customer(customer_id: uuid.UUID, session: SessionDep, _: CustomersWrite):
    """Archive a customer: hidden from default lists, history kept, portal login disabled."""
    return _read(await service.archive_customer(session, customer_id))


@portal_router.get("/customer/profile", operation_id="portal-profile-get", response_model=CustomerProfileRead)
async def get_profile(session: SessionDep, principal: CustomerPortal):
    """The signed-in customer's own profile."""
    return await service.get_customer(session, principal.id, include_archived=False)


@portal_router.put(
    "/customer/profile", operation_id="portal-profile-update", response_model=CustomerProfileRead
)
async def update_profile(
    body: CustomerProfileUpdate, session: SessionDep, settings: SettingsDep, principal: CustomerPortal
):
    """Update the signed-in customer's name, phone, language, time zone or address."""
    return await service.update_customer(
        session, principal.id, body, default_region=settings.default_phone_region
    )
