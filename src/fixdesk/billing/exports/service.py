"""CSV exports of invoices and payments for the accountant (issue 12, item 8): the rows of the lists'
filters, every cell escaped against spreadsheet formulas (:func:`fixdesk.platform.csv_cells.escape_cell`),
streamed a chunk of rows at a time from a session of their own (the request's has closed by then).

Columns are named as the API names the fields (camelCase). Amounts are plain numbers with two decimals in
the row's ``currency`` and never carry a sign (a refund is a row of ``kind`` refund with its positive
amount), so no number is ever escaped; dates are the shop's calendar days (``YYYY-MM-DD``) and moments UTC
ISO 8601 (``…Z``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.billing import ledger
from fixdesk.billing.invoices import service as invoices
from fixdesk.billing.models import Invoice, Payment
from fixdesk.billing.payments import service as payments
from fixdesk.customers.models import Customer
from fixdesk.platform.csv_cells import escape_cell
from fixdesk.platform.permissions import Principal

EXPORT_CHUNK_ROWS = 500

INVOICE_COLUMNS: tuple[str, ...] = (
    "invoiceNumber",
    "status",
    "issueDate",
    "dueDate",
    "customerName",
    "customerEmail",
    "source",
    "currency",
    "subtotal",
    "tax",
    "total",
    "amountPaid",
    "amountCredited",
    "balanceDue",
    "paidAt",
    "voidedAt",
    "voidReason",
    "id",
)
PAYMENT_COLUMNS: tuple[str, ...] = (
    "receivedAt",
    "kind",
    "method",
    "source",
    "amount",
    "refundedAmount",
    "currency",
    "invoiceNumber",
    "customerName",
    "reference",
    "notes",
    "provider",
    "providerReference",
    "refundOfId",
    "id",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def invoice_statement(principal: Principal, filters: invoices.InvoiceFilters, today: date) -> Select[Any]:
    """The invoices list's rows (same scope, filters and order) with their customers' names and emails."""
    return (
        invoices.list_statement(principal, filters, today)
        .add_columns(Customer.first_name, Customer.last_name, Customer.email)
        .join(Customer, Customer.id == Invoice.customer_id)
    )


def invoice_cells(row: Any, today: date) -> list[str]:
    invoice: Invoice = row[0]
    return [
        _text(value)
        for value in (
            invoice.invoice_number,
            ledger.current_status(invoice, today),
            invoice.issue_date,
            invoice.due_date,
            _name(row.first_name, row.last_name),
            row.email,
            invoice.source,
            invoice.currency,
            invoice.subtotal,
            invoice.tax_amount,
            invoice.total,
            invoice.amount_paid,
            invoice.amount_credited,
            invoice.balance_due,
            invoice.paid_at,
            invoice.voided_at,
            invoice.void_reason,
            invoice.id,
        )
    ]


def payment_statement(principal: Principal, filters: payments.PaymentFilters, zone: str) -> Select[Any]:
    """The payments list's rows (same scope, filters and order) with their invoices' numbers and their
    customers' names."""
    return (
        payments.list_statement(principal, filters, zone)
        .add_columns(Invoice.invoice_number, Customer.first_name, Customer.last_name)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .join(Customer, Customer.id == Payment.customer_id)
    )


def payment_cells(row: Any) -> list[str]:
    payment: Payment = row[0]
    return [
        _text(value)
        for value in (
            payment.received_at,
            payment.kind,
            payment.method,
            payment.source,
            payment.amount,
            payment.refunded_amount,
            payment.currency,
            row.invoice_number,
            _name(row.first_name, row.last_name),
            payment.reference,
            payment.notes,
            payment.provider,
            payment.provider_reference,
            payment.refund_of_id,
            payment.id,
        )
    ]


async def stream_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    statement: Select[Any],
    columns: Sequence[str],
    cells: Callable[[Any], list[str]],
) -> AsyncIterator[str]:
    """Yield CSV text: the header, then the rows of ``statement`` as ``cells`` writes them, every cell
    escaped against formulas, :data:`EXPORT_CHUNK_ROWS` rows a chunk through a server-side cursor in a
    session of its own from ``sessionmaker`` (memory stays flat however many rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.getvalue()
    async with sessionmaker() as session:
        result = await session.stream(statement.execution_options(yield_per=EXPORT_CHUNK_ROWS))
        async for partition in result.partitions():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([escape_cell(cell) for cell in cells(row)] for row in partition)
            yield buffer.getvalue()
