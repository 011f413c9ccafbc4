"""``GET /api/v1/invoices/export.csv`` and ``/payments/export.csv``: the lists as CSV for the accountant
(issue 12, item 8), with the lists' filters. Mounted before the invoice and payment routers (whose
``{id}`` paths take UUIDs only), so ``export.csv`` is never read as an id and other methods on it answer 405."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from fixdesk.billing.exports import service
from fixdesk.billing.invoices import service as invoices
from fixdesk.billing.models import InvoiceStatus, PaymentMethod
from fixdesk.billing.payments import service as payments
from fixdesk.billing.permissions import INVOICES_READ
from fixdesk.db import utcnow
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.deps import SettingsDep
from fixdesk.platform.permissions import Principal, require

router = APIRouter()

InvoicesRead = Annotated[Principal, Depends(require(INVOICES_READ))]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8, header row"}}


def invoice_filters(
    status_filter: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    customer_id_snake: Annotated[
        uuid.UUID | None, Query(alias="customer_id", include_in_schema=False)
    ] = None,
    repair_id: Annotated[uuid.UUID | None, Query(alias="repairId")] = None,
    work_order_id: Annotated[uuid.UUID | None, Query(alias="workOrderId")] = None,
    work_order_id_snake: Annotated[
        uuid.UUID | None, Query(alias="work_order_id", include_in_schema=False)
    ] = None,
    date_from: Annotated[
        CalendarDay | None, Query(alias="dateFrom", description="Issued on/after (shop day)")
    ] = None,
    date_to: Annotated[
        CalendarDay | None, Query(alias="dateTo", description="Issued on/before (shop day)")
    ] = None,
    overdue: Annotated[bool | None, Query(description="Only owing invoices past their due date")] = None,
) -> invoices.InvoiceFilters:
    """The invoices list's filters (``GET /invoices``; seed 001's snake_case names accepted too)."""
    return invoices.InvoiceFilters(
        status=status_filter.value if status_filter else None,
        customer_id=customer_id or customer_id_snake,
        repair_id=repair_id,
        work_order_id=work_order_id or work_order_id_snake,
        date_from=date_from,
        date_to=date_to,
        overdue=overdue,
    )


def payment_filters(
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
) -> payments.PaymentFilters:
    """The payments list's filters (``GET /payments``; seed 001's snake_case names accepted too)."""
    return payments.PaymentFilters(
        invoice_id=invoice_id or invoice_id_snake,
        customer_id=customer_id or customer_id_snake,
        method=method.value if method else None,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
    )


def _download(chunks, name: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/invoices/export.csv",
    operation_id="invoices-export",
    tags=["invoices"],
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
async def export_invoices(
    request: Request,
    settings: SettingsDep,
    principal: InvoicesRead,
    filters: Annotated[invoices.InvoiceFilters, Depends(invoice_filters)],
) -> StreamingResponse:
    """The invoices as CSV (the list's filters and order), cells escaped against spreadsheet formulas."""
    today = settings.shop_today(utcnow())
    chunks = service.stream_csv(
        request.app.state.read_sessionmaker,
        service.invoice_statement(principal, filters, today),
        service.INVOICE_COLUMNS,
        lambda row: service.invoice_cells(row, today),
    )
    return _download(chunks, f"fixdesk-invoices-{today.isoformat()}.csv")


@router.get(
    "/payments/export.csv",
    operation_id="payments-export",
    tags=["payments"],
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
async def export_payments(
    request: Request,
    settings: SettingsDep,
    principal: InvoicesRead,
    filters: Annotated[payments.PaymentFilters, Depends(payment_filters)],
) -> StreamingResponse:
    """The payments and refunds as CSV (the list's filters and order), cells escaped against formulas."""
    chunks = service.stream_csv(
        request.app.state.read_sessionmaker,
        service.payment_statement(principal, filters, settings.shop_timezone),
        service.PAYMENT_COLUMNS,
        service.payment_cells,
    )
    return _download(chunks, f"fixdesk-payments-{settings.shop_today(utcnow()).isoformat()}.csv")
