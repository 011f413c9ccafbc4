"""The billing pages of the staff app (issue 12, item 10): the invoices list (``/app/invoices``: status,
overdue and issue-date filters, paged), an invoice's page (``/app/invoices/{id}``: lines, taxes, totals,
balance, payments, credit notes, and the actions its status allows: finalise, send, record a payment, mark
paid, void with a reason, a credit note, the PDF), "Create invoice" from a repair's page in one click
(``POST /app/invoices/from-repair``) and the receivables (``/app/receivables``: the aging per customer and
in total, revenue invoiced versus collected per month drawn by Chart.js).

Handlers are as thin as the API routers (:mod:`fixdesk.billing.invoices.router`,
:mod:`fixdesk.billing.payments.router`, :mod:`fixdesk.billing.receivables.router`): the same permissions
(``invoices:read`` to look, ``invoices:write``, ``invoices:void``, ``payments:write``, ``analytics:read``
for the receivables), the same input models and services, so a refusal (400, 409) comes back as the API's
problem on the page and nothing changes.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.billing import ledger, lifecycle
from fixdesk.billing.exports import router as exports_router
from fixdesk.billing.invoices import pdf
from fixdesk.billing.invoices import service as invoices
from fixdesk.billing.links import portal_url
from fixdesk.billing.models import InvoiceStatus
from fixdesk.billing.payments import service as payments
from fixdesk.billing.permissions import INVOICES_READ, INVOICES_VOID, INVOICES_WRITE, PAYMENTS_WRITE
from fixdesk.billing.receivables import service as receivables
from fixdesk.billing.schemas import CreditNoteCreate, InvoiceCreate, InvoiceVoid, MarkPaid, PaymentCreate
from fixdesk.db import utcnow
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Conflict, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.web.forms import PROBLEMS_SHOWN_ON_PAGE, Problem, form_values, parse, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

InvoicesRead = Annotated[Principal, Depends(require(INVOICES_READ))]
InvoicesWrite = Annotated[Principal, Depends(require(INVOICES_WRITE))]
InvoicesVoid = Annotated[Principal, Depends(require(INVOICES_VOID))]
PaymentsWrite = Annotated[Principal, Depends(require(PAYMENTS_WRITE))]
AnalyticsRead = Annotated[Principal, Depends(require(ANALYTICS_READ))]

PAGE_SIZE = 25
RECEIVABLES_CUSTOMERS_SHOWN = 50
"""The receivables page lists the customers who owe the most; the API lists every one."""
STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "partially_paid": N_("Partially paid"),
    "paid": N_("Paid"),
    "overdue": N_("Overdue"),
    "void": N_("Void"),
}
STATUS_COLOURS: dict[str, str] = {
    "draft": "secondary",
    "sent": "blue",
    "partially_paid": "orange",
    "paid": "green",
    "overdue": "red",
    "void": "dark",
}
METHOD_LABELS: dict[str, str] = {
    "cash": N_("Cash"),
    "card": N_("Card"),
    "check": N_("Check"),
    "bank_transfer": N_("Bank transfer"),
    "other": N_("Other"),
    "stripe": N_("Online (Stripe)"),
}
RECORDED_METHODS = ("cash", "card", "check", "bank_transfer", "other")
BUCKET_LABELS: dict[str, str] = {
    "current": N_("Current"),
    "days_1_30": N_("1–30 days"),
    "days_31_60": N_("31–60 days"),
    "days_61_90": N_("61–90 days"),
    "over_90": N_("Over 90 days"),
}
NOTICES = {
    "finalized": N_("The invoice is issued."),
    "sent": N_("The invoice is on its way to the customer."),
    "paid": N_("The payment is recorded."),
    "voided": N_("The invoice is void."),
    "credited": N_("The credit note is issued."),
    "created": N_("The draft invoice is ready: check it, then issue or send it."),
    "existing": N_("This repair is invoiced already: here is its invoice."),
    "existing_order": N_("This order is invoiced already: here is its invoice."),
}


def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "method_labels": METHOD_LABELS,
    }


def _plain_number(rate: Any) -> str:
    """A rate or quantity as people write it: ``8.25``, ``10``, ``0.5`` (not ``10.0000`` or ``1E+1``)."""
    return format(Decimal(str(rate)).normalize(), "f")


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_field(field, "must be a date (YYYY-MM-DD)") from None


@router.get("/invoices")
async def invoice_list(
    request: Request,
    session: SessionDep,
    principal: InvoicesRead,
    settings: SettingsDep,
    status: Annotated[str, Query(max_length=20)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The invoices, newest first, 25 a page, filtered like the API's list: status (as of the shop's
    today: an owing invoice past its due date is ``overdue``), overdue only, issue days (the shop's
    calendar). A filter the service refuses shows as the API's problem above an empty list (400)."""
    problem: Problem | None = None
    rows: list[Any] = []
    total = 0
    today = settings.shop_today(utcnow())
    try:
        if status and status not in STATUS_LABELS:
            raise ValidationFailed.for_field("status", "unknown status")
        filters = invoices.InvoiceFilters(
            status=status or None,
            overdue=True if overdue == "1" else None,
            date_from=_day(date_from, "from"),
            date_to=_day(date_to, "to"),
        )
        rows, total = await invoices.list_invoices(
            session, principal, filters, PageParams(page=page, page_size=PAGE_SIZE), today=today
        )
    except PROBLEMS_SHOWN_ON_PAGE as error:
        problem = problem_of(error)
    query = {
        key: value
        for key, value in {"status": status, "overdue": overdue, "from": date_from, "to": date_to}.items()
        if value
    }

    def link(**changes: Any) -> str:
        values = {key: value for key, value in {**query, **changes}.items() if value not in ("", None, 1)}
        return "/app/invoices" + (f"?{urlencode(values)}" if values else "")

    export_query = {
        "status": status,
        "overdue": "true" if overdue == "1" else "",
        "dateFrom": date_from,
        "dateTo": date_to,
    }
    context = {
        **_labels(),
        "invoices": [(row, ledger.current_status(row, today)) for row in rows],
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "filters": {"status": status, "overdue": overdue, "from": date_from, "to": date_to},
        "problem": problem,
        "link": link,
        "export_url": "/app/invoices/export.csv"
        + (
            "?" + urlencode({key: value for key, value in export_query.items() if value})
            if any(export_query.values())
            else ""
        ),
    }
    return render(request, "billing/list.html", context, status_code=problem.status if problem else 200)


@router.get("/invoices/export.csv")
async def invoices_csv(
    request: Request,
    settings: SettingsDep,
    principal: InvoicesRead,
    filters: Annotated[invoices.InvoiceFilters, Depends(exports_router.invoice_filters)],
) -> StreamingResponse:
    """The API's ``GET /api/v1/invoices/export.csv`` on the page's session (the list's "Export CSV")."""
    return await exports_router.export_invoices(request, settings, principal, filters)


@router.get("/payments/export.csv")
async def payments_csv(
    request: Request,
    settings: SettingsDep,
    principal: InvoicesRead,
    filters: Annotated[payments.PaymentFilters, Depends(exports_router.payment_filters)],
) -> StreamingResponse:
    """The API's ``GET /api/v1/payments/export.csv`` on the page's session."""
    return await exports_router.export_payments(request, settings, principal, filters)


async def _show(
    request: Request,
    session: Any,
    principal: Principal,
    settings: Any,
    invoice_id: uuid.UUID,
    *,
    problem: Problem | None = None,
    section: str = "",
    notice: str | None = None,
) -> HTMLResponse:
    invoice = await invoices.get_invoice(session, principal, invoice_id)
    status = ledger.current_status(invoice, settings.shop_today(utcnow()))
    issued = status in {value.value for value in lifecycle.ISSUED}
    owing = status in {value.value for value in lifecycle.OWING}
    can_write = principal.has(INVOICES_WRITE)
    forms = {
        "payment": principal.has(PAYMENTS_WRITE) and owing,
        "credit": can_write and issued and invoice.balance_due > 0,
        "void": principal.has(INVOICES_VOID) and issued and invoice.amount_paid <= 0,
    }
    context = {
        **_labels(),
        "invoice": invoice,
        "status": status,
        "issued": issued,
        "owing": owing,
        "can_write": can_write,
        "can_void": forms["void"],
        "can_pay": forms["payment"],
        "can_credit": forms["credit"],
        "recorded_methods": RECORDED_METHODS,
        "plain_number": _plain_number,
        "tax_groups": [{**group, "rate": _plain_number(group["rate"])} for group in invoice.tax_breakdown],
        "portal_url": portal_url(settings, invoice.id) if issued else None,
        "problem": problem,
        # A refusal of a form the page no longer offers (a void after a payment) shows with the actions.
        "problem_section": section if forms.get(section) else "actions",
        "notice": NOTICES.get(notice or ""),
    }
    return render(request, "billing/detail.html", context, status_code=problem.status if problem else 200)


@router.get("/invoices/{invoice_id}")
async def invoice_page(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: InvoicesRead,
    settings: SettingsDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """An invoice: customer, dates, lines, taxes by rate, totals, paid, credited and balance, payments,
    credit notes, and the actions its status allows to who may take them. 404 for an unknown invoice."""
    return await _show(request, session, principal, settings, invoice_id, notice=done)


@router.get("/invoices/{invoice_id}/pdf")
async def invoice_pdf(
    invoice_id: uuid.UUID, session: SessionDep, principal: InvoicesRead, settings: SettingsDep
) -> Response:
    """The printable invoice on the page's session: the API's ``GET /api/v1/invoices/{id}/pdf``."""
    invoice = await invoices.get_invoice(session, principal, invoice_id, for_print=True)
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


def _done(invoice_id: uuid.UUID, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/app/invoices/{invoice_id}?done={what}{anchor}", status_code=303)


async def _refused(request, session, principal, settings, invoice_id, error, section) -> HTMLResponse:
    await session.rollback()
    return await _show(
        request, session, principal, settings, invoice_id, problem=problem_of(error), section=section
    )


@router.post("/invoices/{invoice_id}/finalize")
async def finalize(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: InvoicesWrite,
    settings: SettingsDep,
) -> Response:
    """Issue a draft (number, issue and due dates; frozen from then on)."""
    try:
        await invoices.finalize_invoice(session, principal, invoice_id, settings=settings)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, invoice_id, error, "actions")
    return _done(invoice_id, "finalized")


@router.post("/invoices/{invoice_id}/send")
async def send(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: InvoicesWrite,
    settings: SettingsDep,
) -> Response:
    """Email the invoice with its PDF and a link to pay (a draft is issued first); a customer without
    email is the API's 409 on the page."""
    try:
        await invoices.send_invoice(session, principal, invoice_id, settings=settings)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        return await _refused(request, session, principal, settings, invoice_id, error, "actions")
    return _done(invoice_id, "sent")


@router.post("/invoices/{invoice_id}/payments")
async def record_payment(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: PaymentsWrite,
    settings: SettingsDep,
) -> Response:
    """Record a payment (amount, method, reference) as the API's ``POST /payments``; above the balance
    is the API's 409 on the page."""
    values = await form_values(request)
    try:
        body = parse(
            PaymentCreate,
            {
                "invoice_id": str(invoice_id),
                "amount": values.get("amount") or None,
                "method": values.get("method") or None,
                "reference": values.get("reference") or None,
            },
        )
        await payments.create_payment(session, principal, body, settings=settings)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        return await _refused(request, session, principal, settings, invoice_id, error, "payment")
    return _done(invoice_id, "paid", "#payments")


@router.post("/invoices/{invoice_id}/mark-paid")
async def mark_paid(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: PaymentsWrite,
    settings: SettingsDep,
) -> Response:
    """Record the whole balance as one payment (the method posted, cash by default)."""
    values = await form_values(request)
    try:
        body = parse(MarkPaid, {"method": values.get("method") or "cash"})
        await invoices.mark_paid(
            session, principal, invoice_id, method=body.method, reference=body.reference, settings=settings
        )
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        return await _refused(request, session, principal, settings, invoice_id, error, "payment")
    return _done(invoice_id, "paid", "#payments")


@router.post("/invoices/{invoice_id}/void")
async def void(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: InvoicesVoid,
    settings: SettingsDep,
) -> Response:
    """Void an issued invoice with a reason (kept); with payments standing it is the API's 409."""
    values = await form_values(request)
    try:
        body = parse(InvoiceVoid, {"reason": values.get("reason", "")})
        await invoices.void_invoice(session, principal, invoice_id, body.reason, settings=settings)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        return await _refused(request, session, principal, settings, invoice_id, error, "void")
    return _done(invoice_id, "voided")


@router.post("/invoices/{invoice_id}/credit-notes")
async def credit_note(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: InvoicesWrite,
    settings: SettingsDep,
) -> Response:
    """Issue a credit note of one line (description, amount, taxed at the shop's rate unless exempt)
    with a reason; above the balance is the API's 409 on the page."""
    values = await form_values(request)
    try:
        body = parse(
            CreditNoteCreate,
            {
                "reason": values.get("reason", ""),
                "lines": [
                    {
                        "description": values.get("description") or values.get("reason", ""),
                        "unit_price": values.get("amount") or None,
                        "tax_exempt": values.get("tax_exempt") == "on",
                    }
                ],
            },
        )
        await invoices.create_credit_note(session, principal, invoice_id, body, settings=settings)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        return await _refused(request, session, principal, settings, invoice_id, error, "credit")
    return _done(invoice_id, "credited", "#credit-notes")


@router.post("/invoices/from-repair")
async def from_repair(
    request: Request, session: SessionDep, principal: InvoicesWrite, settings: SettingsDep
) -> Response:
    """ "Create invoice" on a repair's page: a draft of the repair's parts and labour (its deposit as a
    payment), then its page. A repair invoiced already opens the invoice it has; a refusal (nothing to
    bill, an unknown repair) is shown on the invoices list with the API's problem."""
    values = await form_values(request)
    try:
        body = parse(InvoiceCreate, {"repair_id": values.get("repair_id") or None})
        invoice = await invoices.create_invoice(session, principal, body, settings=settings)
    except Conflict as error:
        existing = error.extra.get("invoiceId")
        if existing:
            await session.rollback()
            return RedirectResponse(f"/app/invoices/{existing}?done=existing", status_code=303)
        return await _list_refused(request, session, error)
    except (ValidationFailed, ValidationError) as error:
        return await _list_refused(request, session, error)
    return RedirectResponse(f"/app/invoices/{invoice.id}?done=created", status_code=303)


async def _list_refused(request: Request, session: Any, error: Exception) -> HTMLResponse:
    await session.rollback()
    problem = problem_of(error)
    context = {
        **_labels(),
        "invoices": [],
        "total": 0,
        "page": 1,
        "pages": 1,
        "filters": {"status": "", "overdue": "", "from": "", "to": ""},
        "problem": problem,
        "link": lambda **_: "/app/invoices",
        "export_url": "/app/invoices/export.csv",
    }
    return render(request, "billing/list.html", context, status_code=problem.status)


@router.get("/receivables")
async def receivables_page(
    request: Request, session: SessionDep, _: AnalyticsRead, settings: SettingsDep
) -> HTMLResponse:
    """The receivables on the shop's today: what each customer owes by days past due and the totals, and
    the last 12 months' revenue invoiced versus collected (a chart and its table), as the API's
    ``GET /api/v1/analytics/receivables`` defines them."""
    report = await receivables.receivables(
        session, today=settings.shop_today(utcnow()), zone=settings.shop_timezone
    )
    chart = {
        "currency": settings.currency,
        "months": [row.month.isoformat() for row in report.months],
        "invoiced": [str(row.invoiced) for row in report.months],
        "collected": [str(row.collected) for row in report.months],
    }
    context = {
        **_labels(),
        "report": report,
        "buckets": receivables.AGING_BUCKETS,
        "bucket_labels": BUCKET_LABELS,
        "chart": chart,
        "customers_shown": RECEIVABLES_CUSTOMERS_SHOWN,
    }
    return render(request, "billing/receivables.html", context)


pages = WebPages(
    name="billing",
    staff=router,
    navigation=(
        NavItem(N_("Invoices"), "/app/invoices", "file-invoice", permission=INVOICES_READ, order=35),
        NavItem(N_("Receivables"), "/app/receivables", "chart-bar", permission=ANALYTICS_READ, order=36),
    ),
)

__all__ = ["STATUS_LABELS", "pages"]
