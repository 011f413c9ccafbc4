"""The printable invoice: an A4 PDF drawn with fpdf2 (pure Python, installs from PyPI alone).

:func:`invoice_document` gathers what is printed from the loaded invoice (no database access after it);
:func:`render` draws it and is CPU work, so callers run it off the event loop
(:func:`render_in_thread`, ``anyio.to_thread``). The built-in Helvetica font covers Latin-1; a character
outside it (a name in another script) is printed as ``?`` rather than failing the invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import anyio
from babel.numbers import format_currency

from fixdesk.billing.models import Invoice, InvoiceStatus
from fixdesk.config import Settings

PDF_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class PrintedLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax_exempt: bool
    net_amount: Decimal


@dataclass(frozen=True)
class PrintedCredit:
    number: str
    issue_date: date
    reason: str
    total: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything an invoice PDF shows, in plain values (amounts in ``currency``)."""

    shop_name: str
    shop_address: str
    shop_email: str
    shop_phone: str
    number: str | None
    status: str
    currency: str
    issue_date: date | None
    due_date: date | None
    customer_name: str
    customer_address: tuple[str, ...]
    customer_email: str | None
    lines: tuple[PrintedLine, ...]
    subtotal: Decimal
    tax_breakdown: tuple[tuple[Decimal, bool, Decimal, Decimal], ...]
    tax_amount: Decimal
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    balance_due: Decimal
    credits: tuple[PrintedCredit, ...]
    payment_instructions: str
    pay_url: str | None
    notes: str | None
    void_reason: str | None


def invoice_document(
    invoice: Invoice, settings: Settings, *, status: str, pay_url: str | None
) -> InvoiceDocument:
    """The printed view of ``invoice``, loaded with its customer, lines and credit notes."""
    customer = invoice.customer
    address = tuple(
        part
        for part in (
            getattr(customer, "company_name", None),
            getattr(customer, "address_line1", None),
            getattr(customer, "address_line2", None),
            " ".join(
                p for p in (getattr(customer, "postal_code", None), getattr(customer, "city", None)) if p
            ),
        )
        if part
    )
    return InvoiceDocument(
        shop_name=settings.shop_name,
        shop_address=settings.shop_address,
        shop_email=settings.shop_email,
        shop_phone=settings.shop_phone,
        number=invoice.invoice_number,
        status=status,
        currency=invoice.currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        customer_name=f"{customer.first_name} {customer.last_name}".strip(),
        customer_address=address,
        customer_email=customer.email,
        lines=tuple(
            PrintedLine(
                line.description,
                line.quantity,
                line.unit_price,
                line.discount,
                line.tax_rate,
                line.tax_exempt,
                line.net_amount,
            )
            for line in invoice.lines
        ),
        subtotal=invoice.subtotal,
        tax_breakdown=tuple(
            (
                Decimal(group["rate"]),
                bool(group["exempt"]),
                Decimal(group["taxableAmount"]),
                Decimal(group["taxAmount"]),
            )
            for group in invoice.tax_breakdown
        ),
        tax_amount=invoice.tax_amount,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_credited=invoice.amount_credited,
        balance_due=invoice.balance_due,
        credits=tuple(
            PrintedCredit(note.credit_note_number, note.issue_date, note.reason, note.total)
            for note in invoice.credit_notes
        ),
        payment_instructions=settings.invoice_payment_instructions,
        pay_url=pay_url,
        notes=invoice.notes,
        void_reason=invoice.void_reason,
    )


def _text(value: str) -> str:
    """``value`` in the core fonts' Latin-1, unknown characters as ``?``."""
    return value.encode("latin-1", "replace").decode("latin-1")


def format_money(amount: Decimal, currency: str) -> str:
    """``amount`` with its currency's symbol where the core fonts' Latin-1 has it ($, £, ¥), else with
    the ISO 4217 code (``EUR 1,234.50``): a symbol the font cannot draw would print as ``?``."""
    with_symbol = format_currency(amount, currency, locale="en_US")
    try:
        with_symbol.encode("latin-1")
    except UnicodeEncodeError:
        return format_currency(amount, currency, locale="en_US", format="¤¤\xa0#,##0.00")
    return with_symbol


def _rate(rate: Decimal) -> str:
    text = format(rate.normalize(), "f")
    return f"{text}%"


def render(document: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes (A4, one or more pages). CPU work: call it off the event loop."""

    # Imported here: fpdf2 loads fontTools (about a third of a second of CPU), which every process that
    # builds the app would pay at start; only the processes that print an invoice need it.
    from fpdf import FPDF

    def money(amount: Decimal) -> str:
        return format_money(amount, document.currency)

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(_text(f"Invoice {document.number or 'draft'}"))
    pdf.set_author(_text(document.shop_name))
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(width / 2, 8, _text(document.shop_name))
    title = "INVOICE" if document.number else "DRAFT INVOICE"
    pdf.cell(width / 2, 8, title, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    shop_lines = [*document.shop_address.splitlines(), document.shop_email, document.shop_phone]
    facts = [
        f"Invoice number: {document.number or '(draft, not numbered)'}",
        f"Issue date: {document.issue_date.isoformat() if document.issue_date else '-'}",
        f"Due date: {document.due_date.isoformat() if document.due_date else '-'}",
        f"Status: {document.status.replace('_', ' ')}",
    ]
    for index in range(max(len(shop_lines), len(facts))):
        left = shop_lines[index] if index < len(shop_lines) else ""
        right = facts[index] if index < len(facts) else ""
        pdf.cell(width / 2, 5, _text(left))
        pdf.cell(width / 2, 5, _text(right), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(width, 6, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for line in (document.customer_name, *document.customer_address, document.customer_email or ""):
        if line:
            pdf.cell(width, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    if document.status == InvoiceStatus.void:
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(width, 7, _text(f"VOID: {document.void_reason or ''}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    columns = (
        ("Description", 0.40),
        ("Qty", 0.09),
        ("Unit price", 0.14),
        ("Discount", 0.12),
        ("Tax", 0.09),
        ("Amount", 0.16),
    )
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(235, 235, 235)
    for index, (name, share) in enumerate(columns):
        last = index == len(columns) - 1
        pdf.cell(
            width * share,
            7,
            name,
            border="B",
            fill=True,
            align="L" if index == 0 else "R",
            new_x="LMARGIN" if last else "RIGHT",
            new_y="NEXT" if last else "TOP",
        )
    pdf.set_font("Helvetica", "", 9)
    for line in document.lines:
        values = (
            line.description,
            format(line.quantity.normalize(), "f"),
            money(line.unit_price),
            money(line.discount) if line.discount else "",
            "exempt" if line.tax_exempt else _rate(line.tax_rate),
            money(line.net_amount),
        )
        for index, ((_, share), value) in enumerate(zip(columns, values, strict=True)):
            last = index == len(columns) - 1
            text = _text(value)
            if index == 0:
                while text and pdf.get_string_width(text) > width * share - 2:
                    text = text[:-1]
            pdf.cell(
                width * share,
                6,
                text,
                align="L" if index == 0 else "R",
                new_x="LMARGIN" if last else "RIGHT",
                new_y="NEXT" if last else "TOP",
            )
    pdf.ln(3)

    def total_row(label: str, amount: Decimal, *, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10 if bold else 9)
        pdf.cell(width * 0.70, 6, _text(label), align="R")
        pdf.cell(width * 0.30, 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")

    total_row("Subtotal", document.subtotal)
    for rate, exempt, taxable, tax in document.tax_breakdown:
        label = f"Tax exempt on {money(taxable)}" if exempt else f"Tax {_rate(rate)} on {money(taxable)}"
        total_row(label, tax)
    total_row("Total tax", document.tax_amount)
    total_row("Total", document.total, bold=True)
    for credit in document.credits:
        total_row(f"Credit note {credit.number} ({credit.issue_date.isoformat()})", -credit.total)
    if document.amount_paid:
        total_row("Paid", -document.amount_paid)
    total_row("Balance due", document.balance_due, bold=True)
    pdf.ln(5)

    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(width, 6, "How to pay", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    instructions = document.payment_instructions or (
        f"Please pay at the shop or contact {document.shop_email}, quoting the invoice number."
    )
    pdf.multi_cell(width, 5, _text(instructions), new_x="LMARGIN", new_y="NEXT")
    if document.pay_url:
        pdf.multi_cell(width, 5, _text(f"Pay online: {document.pay_url}"), new_x="LMARGIN", new_y="NEXT")
    if document.notes:
        pdf.ln(3)
        pdf.multi_cell(width, 5, _text(document.notes), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


async def render_in_thread(document: InvoiceDocument) -> bytes:
    """:func:`render` in one of anyio's worker threads (its default limiter bounds how many at once)."""
    return await anyio.to_thread.run_sync(render, document)
