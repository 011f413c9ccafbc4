"""Quote endpoints for staff (``/api/v1/repairs/{id}/quotes``) and for customers in the portal
(``/api/v1/customer/repairs/{id}/quotes``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from fixdesk.config import Settings
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, require
from fixdesk.repairs.models import Quote
from fixdesk.repairs.permissions import REPAIRS_READ, REPAIRS_UPDATE
from fixdesk.repairs.quotes import examples, service
from fixdesk.repairs.quotes.events import quote_number
from fixdesk.repairs.quotes.schemas import QuoteCreate, QuoteDecline, QuoteRead, QuoteStaffRead

router = APIRouter(tags=["quotes"])
portal_router = APIRouter(tags=["quotes"])

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]
RepairsUpdate = Annotated[Principal, Depends(require(REPAIRS_UPDATE))]
Pagination = Annotated[PageParams, Depends(page_params)]


def _read(model: type[QuoteRead], quote: Quote, settings: Settings) -> QuoteRead:
    # number, expired and currency are not columns: they come from the version and the settings.
    return model.model_validate(
        {
            **{name: getattr(quote, name) for name in model.model_fields if hasattr(quote, name)},
            "number": quote_number(quote),
            "expired": service.is_expired(quote, settings.shop_today()),
            "currency": settings.currency,
        }
    )


def _staff(quote: Quote, settings: Settings) -> QuoteStaffRead:
    read = _read(QuoteStaffRead, quote, settings)
    assert isinstance(read, QuoteStaffRead)
    return read


def _customer(quote: Quote, settings: Settings) -> QuoteRead:
    return _read(QuoteRead, quote, settings)


@router.post(
    "/repairs/{repair_id}/quotes",
    operation_id="repairs-quotes-create",
    status_code=status.HTTP_201_CREATED,
    response_model=QuoteStaffRead,
    responses=response_example(201, examples.QUOTE_RESPONSE),
    openapi_extra=request_example(examples.QUOTE_CREATE_REQUEST),
)
async def create_quote(
    repair_id: uuid.UUID,
    body: QuoteCreate,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Create a quote (a draft, or sent at once with send: true) with server-computed totals."""
    quote = await service.create_quote(session, principal, repair_id, body, settings=settings)
    return _staff(quote, settings)


@router.get(
    "/repairs/{repair_id}/quotes",
    operation_id="repairs-quotes-list",
    response_model=Page[QuoteStaffRead],
)
async def list_quotes(
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsRead,
    params: Pagination,
    settings: SettingsDep,
):
    """List a repair's quotes, newest first, drafts included."""
    rows, total = await service.list_quotes(session, principal, repair_id, params)
    return Page[QuoteStaffRead].build([_staff(quote, settings) for quote in rows], total, params)


@router.get(
    "/repairs/{repair_id}/quotes/{quote_id}",
    operation_id="repairs-quotes-get",
    response_model=QuoteStaffRead,
)
async def get_quote(
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsRead,
    settings: SettingsDep,
):
    """One quote of a repair with its parts and labour breakdown."""
    return _staff(await service.get_quote(session, principal, repair_id, quote_id), settings)


@router.post(
    "/repairs/{repair_id}/quotes/{quote_id}/send",
    operation_id="repairs-quotes-send",
    response_model=QuoteStaffRead,
)
async def send_quote(
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Send a draft quote to the customer; the repair moves to quoted and the customer is notified."""
    quote = await service.send_quote(session, principal, repair_id, quote_id, settings=settings)
    return _staff(quote, settings)


@portal_router.get(
    "/customer/repairs/{repair_id}/quotes",
    operation_id="portal-quotes-list",
    response_model=Page[QuoteRead],
)
async def list_my_quotes(
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    params: Pagination,
    settings: SettingsDep,
):
    """The quotes the shop sent for one of the signed-in customer's repairs, newest first (no drafts)."""
    rows, total = await service.list_quotes(session, principal, repair_id, params)
    return Page[QuoteRead].build([_customer(quote, settings) for quote in rows], total, params)


@portal_router.post(
    "/customer/repairs/{repair_id}/quotes/{quote_id}/approve",
    operation_id="portal-quotes-approve",
    response_model=QuoteRead,
)
async def approve_quote(
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    settings: SettingsDep,
):
    """Approve a sent quote: the repair is approved and the quote's lines become its items."""
    quote = await service.approve_quote(session, principal, repair_id, quote_id, settings=settings)
    return _customer(quote, settings)


@portal_router.post(
    "/customer/repairs/{repair_id}/quotes/{quote_id}/decline",
    operation_id="portal-quotes-decline",
    response_model=QuoteRead,
)
async def decline_quote(
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    settings: SettingsDep,
    body: QuoteDecline | None = None,
):
    """Decline a sent quote, optionally saying why; the repair stays quoted."""
    reason = body.reason if body is not None else None
    quote = await service.decline_quote(session, principal, repair_id, quote_id, reason, settings=settings)
    return _customer(quote, settings)
