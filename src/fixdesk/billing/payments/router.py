"""Payment endpoints (``/api/v1/payments``, seed 001): record payments, refund them, list them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from fixdesk.billing.models import PaymentMethod
from fixdesk.billing.payments import service
from fixdesk.billing.permissions import INVOICES_READ, PAYMENTS_REFUND, PAYMENTS_WRITE
from fixdesk.billing.schemas import PaymentCreate, PaymentRead, RefundCreate
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["payments"])

InvoicesRead = Annotated[Principal, Depends(require(INVOICES_READ))]
PaymentsWrite = Annotated[Principal, Depends(require(PAYMENTS_WRITE))]
PaymentsRefund = Annotated[Principal, Depends(require(PAYMENTS_REFUND))]


@router.get("/payments", operation_id="payments-list", response_model=Page[PaymentRead])
async def list_payments(
    session: SessionDep,
    principal: InvoicesRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    invoice_id: Annotated[uuid.UUID | None, Query(alias="invoiceId")] = None,
    invoice_id_snake: Annotated[uuid.UUID | None, Query(alias="invoice_id", include_in_schema=False)] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    customer_id_snake: Annotated[
        uuid.UUID | None, Query(alias="customer_id", include_in_schema=False)
    ] = None,
    method: PaymentMethod | None = None,
    kind: Literal["payment", "refund"] | None = None,
    date_from: Annotated[
        CalendarDay | None, Query(alias="dateFrom", description="Received on/after (shop day)")
    ] = None,
    date_to: Annotated[
        CalendarDay | None, Query(alias="dateTo", description="Received on/before (shop day)")
    ] = None,
):
    """List payments and refunds, newest first."""
    filters = service.PaymentFilters(
        invoice_id=invoice_id or invoice_id_snake,
        customer_id=customer_id or customer_id_snake,
        method=method.value if method else None,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
    )
    rows, total = await service.list_payments(session, principal, filters, params, settings=settings)
    return Page[PaymentRead].build([PaymentRead.model_validate(row) for row in rows], total, params)


@router.post(
    "/payments",
    operation_id="payments-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRead,
)
async def create_payment(
    body: PaymentCreate, session: SessionDep, principal: PaymentsWrite, settings: SettingsDep
):
    """Record a payment for an invoice (409 above its balance due)."""
    return await service.create_payment(session, principal, body, settings=settings)


@router.get("/payments/{payment_id:uuid}", operation_id="payments-get", response_model=PaymentRead)
async def get_payment(payment_id: uuid.UUID, session: SessionDep, principal: InvoicesRead):
    """One payment or refund."""
    return await service.get_payment(session, principal, payment_id)


@router.post(
    "/payments/{payment_id}/refund",
    operation_id="payments-refund",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRead,
)
async def refund_payment(
    payment_id: uuid.UUID,
    body: RefundCreate,
    session: SessionDep,
    principal: PaymentsRefund,
    settings: SettingsDep,
):
    """Refund part or all of a payment (409 above what is left of it)."""
    return await service.refund_payment(session, principal, payment_id, body, settings=settings)
