"""The customer's invoices in the portal (issue 12, item 7), phone first, registered by the billing
manifest:

* ``GET /portal/invoices``: "My invoices", newest first, with status and balance (``?page=``);
* ``GET /portal/invoices/{id}``: one invoice: lines, totals, payments, balance due, the PDF link, and a
  Pay button while something is owed and Stripe is configured (the link in the invoice email and on the
  PDF opens this page);
* ``POST /portal/invoices/{id}/pay``: opens a Stripe Checkout Session for the balance
  (:func:`fixdesk.billing.checkout.service.open_checkout`) and answers ``303`` to Stripe's page; a refusal
  (nothing owed, Stripe unavailable) shows the invoice page with the problem;
* ``GET /portal/invoices/{id}/pdf``: the printable invoice.

The same services and the same scoping as ``/api/v1/customer/invoices``: another customer's invoice, or a
draft, is 404.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.billing import ledger
from fixdesk.billing.checkout import service as checkout
from fixdesk.billing.invoices import service as invoices
from fixdesk.billing.invoices.portal_router import invoice_pdf_response
from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Conflict, ServiceUnavailable
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import CustomerPortal, Principal
from fixdesk.web.forms import Problem, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.pages import WebPages
from fixdesk.web.templating import render

router = APIRouter()

PAGE_SIZE = 20
# How the portal names an invoice's status, and its badge colour (Tabler's).
INVOICE_STATUSES: dict[str, tuple[str, str]] = {
    "sent": (N_("Due"), "primary"),
    "partially_paid": (N_("Partly paid"), "info"),
    "paid": (N_("Paid"), "success"),
    "overdue": (N_("Overdue"), "danger"),
    "void": (N_("Cancelled"), "secondary"),
}
PAID_NOTICE = N_("Thank you! Your payment is being confirmed; this page shows it once Stripe tells us.")


@router.get("/invoices")
async def invoices_page(
    request: Request, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
) -> HTMLResponse:
    """My invoices, newest first, with their status and balance (``GET /api/v1/customer/invoices``)."""
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    today = settings.shop_today(utcnow())
    rows, total = await invoices.list_invoices(
        session,
        principal,
        invoices.InvoiceFilters(),
        PageParams(page=page, page_size=PAGE_SIZE),
        today=today,
    )
    return render(
        request,
        "portal/invoices.html",
        {
            "invoices": [(row, ledger.current_status(row, today)) for row in rows],
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "statuses": INVOICE_STATUSES,
        },
    )


async def _invoice_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    invoice_id: uuid.UUID,
    *,
    problem: Problem | None = None,
) -> HTMLResponse:
    invoice = await invoices.get_invoice(session, principal, invoice_id)
    return render(
        request,
        "portal/invoice.html",
        {
            "invoice": invoice,
            "status": ledger.current_status(invoice, settings.shop_today(utcnow())),
            "statuses": INVOICE_STATUSES,
            "can_pay": checkout.can_pay_online(invoice, settings),
            "notice": PAID_NOTICE if request.query_params.get("paid") and invoice.balance_due > 0 else None,
            "problem": problem,
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/invoices/{invoice_id}")
async def invoice_page(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    settings: SettingsDep,
) -> HTMLResponse:
    """One of my invoices: lines, totals, payments, balance, the PDF and the Pay button."""
    return await _invoice_page(request, session, principal, settings, invoice_id)


@router.post("/invoices/{invoice_id}/pay")
async def pay_invoice(
    request: Request,
    invoice_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    settings: SettingsDep,
) -> Response:
    """Open Stripe Checkout for the balance and go there (303); a refusal shows the invoice with it."""
    try:
        opened = await checkout.open_checkout(session, principal, invoice_id, settings=settings)
    except (Conflict, ServiceUnavailable) as error:
        await session.rollback()
        return await _invoice_page(
            request, session, principal, settings, invoice_id, problem=problem_of(error)
        )
    return RedirectResponse(opened.url, status_code=303)


@router.get("/invoices/{invoice_id}/pdf")
async def invoice_pdf(
    invoice_id: uuid.UUID, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
) -> Response:
    """One of my invoices as a PDF."""
    invoice = await invoices.get_invoice(session, principal, invoice_id, for_print=True)
    return await invoice_pdf_response(invoice, settings)


pages = WebPages(name="portal_invoices", portal=router)
