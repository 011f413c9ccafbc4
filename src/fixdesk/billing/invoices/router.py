"""Invoice endpoints (``/api/v1/invoices``, seed 001) and customers' payment terms."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from fixdesk.billing import ledger, lifecycle
from fixdesk.billing.invoices import pdf, service
from fixdesk.billing.links import portal_url
from fixdesk.billing.models import Invoice, InvoiceStatus
from fixdesk.billing.permissions import INVOICES_READ, INVOICES_VOID, INVOICES_WRITE, PAYMENTS_WRITE
from fixdesk.billing.schemas import (
    CreditNoteCreate,
    CreditNoteRead,
    InvoiceCreate,
    InvoiceDetail,
    InvoiceRead,
    InvoiceUpdate,
    InvoiceVoid,
    LineRead,
    MarkPaid,
    PaymentRead,
    PaymentTermsRead,
    PaymentTermsUpdate,
    TaxLine,
)
from fixdesk.config import Settings
from fixdesk.customers.schemas import CustomerBrief
from fixdesk.db import utcnow
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["invoices"])

InvoicesRead = Annotated[Principal, Depends(require(INVOICES_READ))]
InvoicesWrite = Annotated[Principal, Depends(require(INVOICES_WRITE))]
InvoicesVoid = Annotated[Principal, Depends(require(INVOICES_VOID))]
PaymentsWrite = Annotated[Principal, Depends(require(PAYMENTS_WRITE))]


def _tax_lines(breakdown: list[dict]) -> list[TaxLine]:
    return [
        TaxLine(
            rate=group["rate"],
            exempt=group["exempt"],
            taxable_amount=group["taxableAmount"],
            tax_amount=group["taxAmount"],
        )
        for group in breakdown
    ]


def invoice_read(invoice: Invoice, settings: Settings) -> InvoiceRead:
    """The list view of an invoice loaded with its customer; ``status`` as of the shop's today."""
    return InvoiceRead(
        id=invoice.id,
        invoice_number=invoice.invoice_number,
        customer_id=invoice.customer_id,
        customer=CustomerBrief.model_validate(invoice.customer),
        source=invoice.source,
        repair_id=invoice.repair_id,
        work_order_id=invoice.work_order_id,
        status=ledger.current_status(invoice, settings.shop_today(utcnow())),
        currency=invoice.currency,
        rounding=invoice.rounding,
        subtotal=invoice.subtotal,
        tax=invoice.tax_amount,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_credited=invoice.amount_credited,
        balance_due=invoice.balance_due,
        payment_terms_days=invoice.payment_terms_days,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        finalized_at=invoice.finalized_at,
        sent_at=invoice.sent_at,
        paid_at=invoice.paid_at,
        voided_at=invoice.voided_at,
        void_reason=invoice.void_reason,
        notes=invoice.notes,
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
    )


def invoice_detail(invoice: Invoice, settings: Settings) -> InvoiceDetail:
    read = invoice_read(invoice, settings)
    return InvoiceDetail(
        **read.model_dump(),
        lines=[LineRead.model_validate(line) for line in invoice.lines],
        tax_breakdown=_tax_lines(invoice.tax_breakdown),
        credit_notes=[
            CreditNoteRead(
                id=note.id,
                credit_note_number=note.credit_note_number,
                invoice_id=note.invoice_id,
                currency=note.currency,
                issue_date=note.issue_date,
                reason=note.reason,
                subtotal=note.subtotal,
                tax=note.tax_amount,
                total=note.total,
                tax_breakdown=_tax_lines(note.tax_breakdown),
                lines=[LineRead.model_validate(line) for line in note.lines],
                created_at=note.created_at,
            )
            for note in invoice.credit_notes
        ],
        payments=[PaymentRead.model_validate(payment) for payment in invoice.payments],
        allowed_transitions=lifecycle.allowed_next(read.status),
        pdf_url=f"/api/v1/invoices/{invoice.id}/pdf",
        portal_url=portal_url(settings, invoice.id),
    )


async def _detail(session: SessionDep, principal: Principal, invoice_id: uuid.UUID, settings: Settings):
    return invoice_detail(await service.get_invoice(session, principal, invoice_id), settings)


@router.get("/invoices", operation_id="invoices-list", response_model=Page[InvoiceRead])
async def list_invoices(
    session: SessionDep,
    principal: InvoicesRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
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
):
    """List invoices, newest first (status, customer, repair, work order, issue dates, overdue)."""
    filters = service.InvoiceFilters(
        status=status_filter.value if status_filter else None,
        customer_id=customer_id or customer_id_snake,
        repair_id=repair_id,
        work_order_id=work_order_id or work_order_id_snake,
        date_from=date_from,
        date_to=date_to,
        overdue=overdue,
    )
    rows, total = await service.list_invoices(
        session, principal, filters, params, today=settings.shop_today(utcnow())
    )
    return Page[InvoiceRead].build([invoice_read(row, settings) for row in rows], total, params)


@router.post(
    "/invoices",
    operation_id="invoices-create",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceDetail,
)
async def create_invoice(
    body: InvoiceCreate, session: SessionDep, principal: InvoicesWrite, settings: SettingsDep
):
    """Create a draft invoice from a repair, a work order or free lines (no number until finalised)."""
    invoice = await service.create_invoice(session, principal, body, settings=settings)
    return await _detail(session, principal, invoice.id, settings)


@router.get("/invoices/{invoice_id:uuid}", operation_id="invoices-get", response_model=InvoiceDetail)
async def get_invoice(
    invoice_id: uuid.UUID, session: SessionDep, principal: InvoicesRead, settings: SettingsDep
):
    """One invoice with lines, taxes, credit notes, payments and balance."""
    return await _detail(session, principal, invoice_id, settings)


@router.patch("/invoices/{invoice_id:uuid}", operation_id="invoices-update", response_model=InvoiceDetail)
async def update_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceUpdate,
    session: SessionDep,
    principal: InvoicesWrite,
    settings: SettingsDep,
):
    """Change a draft's lines, notes or payment terms (409 once issued)."""
    await service.update_invoice(session, principal, invoice_id, body, settings=settings)
    return await _detail(session, principal, invoice_id, settings)


@router.delete(
    "/invoices/{invoice_id:uuid}", operation_id="invoices-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_invoice(invoice_id: uuid.UUID, session: SessionDep, principal: InvoicesWrite) -> None:
    """Delete a draft invoice (409 once issued: void it or issue a credit note)."""
    await service.delete_invoice(session, principal, invoice_id)


@router.post(
    "/invoices/{invoice_id}/finalize", operation_id="invoices-finalize", response_model=InvoiceDetail
)
async def finalize_invoice(
    invoice_id: uuid.UUID, session: SessionDep, principal: InvoicesWrite, settings: SettingsDep
):
    """Issue a draft: number INV-YYYY-NNNNNN, issue and due dates; frozen from then on."""
    await service.finalize_invoice(session, principal, invoice_id, settings=settings)
    return await _detail(session, principal, invoice_id, settings)


@router.post("/invoices/{invoice_id}/send", operation_id="invoices-send", response_model=InvoiceDetail)
async def send_invoice(
    invoice_id: uuid.UUID, session: SessionDep, principal: InvoicesWrite, settings: SettingsDep
):
    """Email the invoice with its PDF and a link to pay (a draft is finalised first)."""
    await service.send_invoice(session, principal, invoice_id, settings=settings)
    return await _detail(session, principal, invoice_id, settings)


@router.post("/invoices/{invoice_id}/void", operation_id="invoices-void", response_model=InvoiceDetail)
async def void_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceVoid,
    session: SessionDep,
    principal: InvoicesVoid,
    settings: SettingsDep,
):
    """Void an issued invoice with a reason (kept; 409 while payments stand on it)."""
    await service.void_invoice(session, principal, invoice_id, body.reason, settings=settings)
    return await _detail(session, principal, invoice_id, settings)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    operation_id="invoices-credit-note",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceDetail,
)
async def create_credit_note(
    invoice_id: uuid.UUID,
    body: CreditNoteCreate,
    session: SessionDep,
    principal: InvoicesWrite,
    settings: SettingsDep,
):
    """Correct an issued invoice with a credit note (CN-YYYY-NNNNNN) that reduces its balance."""
    await service.create_credit_note(session, principal, invoice_id, body, settings=settings)
    return await _detail(session, principal, invoice_id, settings)


@router.post(
    "/invoices/{invoice_id}/mark-paid", operation_id="invoices-mark-paid", response_model=InvoiceDetail
)
async def mark_paid(
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: PaymentsWrite,
    settings: SettingsDep,
    body: MarkPaid | None = None,
):
    """Record the whole balance due as one payment (method cash unless given)."""
    body = body or MarkPaid()
    await service.mark_paid(
        session, principal, invoice_id, method=body.method, reference=body.reference, settings=settings
    )
    return await _detail(session, principal, invoice_id, settings)


@router.get(
    "/invoices/{invoice_id}/pdf",
    operation_id="invoices-pdf",
    response_class=Response,
    responses={200: {"content": {pdf.PDF_CONTENT_TYPE: {}}, "description": "The invoice as a PDF"}},
)
async def invoice_pdf(
    invoice_id: uuid.UUID, session: SessionDep, principal: InvoicesRead, settings: SettingsDep
):
    """The printable invoice (PDF): shop, customer, lines, taxes, totals, balance, how to pay."""
    invoice = await service.get_invoice(session, principal, invoice_id, for_print=True)
    document = pdf.invoice_document(
        invoice,
        settings,
        status=ledger.current_status(invoice, settings.shop_today(utcnow())),
        pay_url=portal_url(settings, invoice.id) if invoice.status != InvoiceStatus.draft else None,
    )
    content = await pdf.render_in_thread(document)
    name = invoice.invoice_number or f"draft-{invoice.id}"
    return Response(
        content,
        media_type=pdf.PDF_CONTENT_TYPE,
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.get(
    "/customers/{customer_id}/payment-terms",
    operation_id="customers-payment-terms-get",
    response_model=PaymentTermsRead,
)
async def get_payment_terms(
    customer_id: uuid.UUID, session: SessionDep, principal: InvoicesRead, settings: SettingsDep
):
    """A customer's payment terms (net days), their own or the shop's default."""
    days, is_default = await service.get_payment_terms(session, principal, customer_id, settings)
    return PaymentTermsRead(customer_id=customer_id, payment_terms_days=days, is_default=is_default)


@router.put(
    "/customers/{customer_id}/payment-terms",
    operation_id="customers-payment-terms-set",
    response_model=PaymentTermsRead,
)
async def set_payment_terms(
    customer_id: uuid.UUID, body: PaymentTermsUpdate, session: SessionDep, principal: InvoicesWrite
):
    """Give a customer their own payment terms (net days) for new invoices."""
    await service.set_payment_terms(session, principal, customer_id, body.payment_terms_days)
    return PaymentTermsRead(
        customer_id=customer_id, payment_terms_days=body.payment_terms_days, is_default=False
    )
