"""The receivables report's answer (camelCase; money as JSON numbers with two decimals in ``currency``)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from fixdesk.billing.receivables.service import AgingRow, Receivables
from fixdesk.platform.schemas import CamelModel, MoneyOut


class AgingRead(CamelModel):
    """Balances due by days past the due date (shop calendar)."""

    current: MoneyOut = Field(description="Not yet due (due today or later)")
    days_1_30: MoneyOut = Field(alias="days1To30", description="1 to 30 days past due")
    days_31_60: MoneyOut = Field(alias="days31To60", description="31 to 60 days past due")
    days_61_90: MoneyOut = Field(alias="days61To90", description="61 to 90 days past due")
    over_90: MoneyOut = Field(alias="over90", description="More than 90 days past due")
    total: MoneyOut
    invoices: int = Field(description="Invoices owing")

    @classmethod
    def of(cls, row: AgingRow) -> AgingRead:
        return cls(**row.buckets, total=row.total, invoices=row.invoices)


class CustomerAgingRead(AgingRead):
    customer_id: uuid.UUID
    customer_name: str

    @classmethod
    def of(cls, row: AgingRow) -> CustomerAgingRead:
        return cls(
            **row.buckets,
            total=row.total,
            invoices=row.invoices,
            customer_id=row.customer_id,
            customer_name=row.customer_name,
        )


class MonthRead(CamelModel):
    month: str = Field(description="YYYY-MM, shop calendar")
    invoiced: MoneyOut = Field(description="Totals of the invoices issued in the month (void ones left out)")
    credited: MoneyOut = Field(description="Totals of the credit notes issued in the month")
    collected: MoneyOut = Field(description="Payments received in the month less refunds given in it")


class MethodRead(CamelModel):
    method: str
    payments: int
    received: MoneyOut
    refunds: int
    refunded: MoneyOut
    net: MoneyOut


class ReceivablesRead(CamelModel):
    """The receivables report (see the operation's description)."""

    as_of: date = Field(description="The shop's today")
    currency: str
    period_start: date
    period_end: date
    totals: AgingRead
    customers: list[CustomerAgingRead]
    months: list[MonthRead]
    payment_methods: list[MethodRead]

    @classmethod
    def of(cls, report: Receivables, currency: str) -> ReceivablesRead:
        return cls(
            as_of=report.as_of,
            currency=currency,
            period_start=report.period_start,
            period_end=report.period_end,
            totals=AgingRead.of(report.totals),
            customers=[CustomerAgingRead.of(row) for row in report.customers],
            months=[
                MonthRead(
                    month=row.month.strftime("%Y-%m"),
                    invoiced=row.invoiced,
                    credited=row.credited,
                    collected=row.collected,
                )
                for row in report.months
            ],
            payment_methods=[
                MethodRead(
                    method=row.method,
                    payments=row.payments,
                    received=row.received,
                    refunds=row.refunds,
                    refunded=row.refunded,
                    net=row.net,
                )
                for row in report.methods
            ],
        )
