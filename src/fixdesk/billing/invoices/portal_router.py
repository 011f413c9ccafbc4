"""The customer's invoices (``/api/v1/customer/invoices``, issue 12 item 7): a customer reads only their
own issued invoices (:func:`fixdesk.billing.access.visible_invoices`); another's id, or a draft, is 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from fixdesk.billing import ledger
from fixdesk.billing.checkout.service import can_pay_online
from fixdesk.billing.invoices import pdf, service
from fixdesk.billing.invoices.router import invoice_detail, invoice_read
from fixdesk.billing.links import portal_url
from fixdesk.billing.models import Invoice, InvoiceStatus
from fixdesk.billing.schemas import InvoiceRead, PortalInvoiceDetail
from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal

router = APIRouter(tags=["customer portal"])

CUSTOMER_PATH = "/api/v1/customer/invoices/"


def portal_detail(invoice: Invoice, settings: Settings) -> PortalInvoiceDetail:
    """The customer's view of a loaded invoice (see :class:`PortalInvoiceDetail`)."""
    staff_view = invoice_detail(invoice, settings)
    detail = {name: getattr(staff_view, name) for name in type(staff_view).model_fields}
    detail["payments"] = [
        payment.model_copy(update={"notes": None, "recorded_by_id": None}) for payment in staff_view.payments
    ]
    detail["allowed_transitions"] = []
    detail["pdf_url"] = f"{CUSTOMER_PATH}{invoice.id}/pdf"
    return PortalInvoiceDetail(
        **detail,
        can_pay_online=can_pay_online(invoice, settings),
        checkout_path=f"{CUSTOMER_PATH}{invoice.id}/checkout",
    )


@router.get("/customer/invoices", operation_id="portal-invoices-list", response_model=Page[InvoiceRead])
async def list_my_invoices(
    session: SessionDep,
    principal: CustomerPortal,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    status_filter: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
):
    """The signed-in customer's issued invoices, newest first (status filter as on /invoices)."""
    filters = service.InvoiceFilters(status=status_filter.value if status_filter else None)
    rows, total = await service.list_invoices(
        session, principal, filters, params, today=settings.shop_today(utcnow())
    )
    return Page[InvoiceRead].build([invoice_read(row, settings) for row in rows], total, params)


@router.get(
    "/customer/invoices/{invoice_id}", operation_id="portal-invoices-get", response_model=PortalInvoiceDetail
)
async def get_my_invoice(
    invoice_id: uuid.UUID, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
):
    """One of my invoices: lines, taxes, credit notes, payments, balance (another's id answers 404)."""
    return portal_detail(await service.get_invoice(session, principal, invoice_id), settings)


async def invoice_pdf_response(invoice: Invoice, settings: Settings) -> Response:
    """The invoice (loaded ``for_print``) as an inline PDF answer, drawn off the event loop."""
    document = pdf.invoice_document(
        invoice,
        settings,
        status=ledger.current_status(invoice, settings.shop_today(utcnow())),
        pay_url=portal_url(settings, invoice.id),
    )
    content = await pdf.render_in_thread(document)
    return Response(
        content,
        media_type=pdf.PDF_CONTENT_TYPE,
        headers={"Content-Disposition": f'inline; filename="{invoice.invoice_number or invoice.id}.pdf"'},
    )


@router.get(
    "/customer/invoices/{invoice_id}/pdf",
    operation_id="portal-invoices-pdf",
    response_class=Response,
    responses={200: {"content": {pdf.PDF_CONTENT_TYPE: {}}, "description": "The invoice as a PDF"}},
)
async def my_invoice_pdf(
    invoice_id: uuid.UUID, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
):
    """One of my invoices as a printable PDF (another's id answers 404)."""
    invoice = await service.get_invoice(session, principal, invoice_id, for_print=True)
    return await invoice_pdf_response(invoice, settings)
