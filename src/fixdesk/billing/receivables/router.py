"""``GET /api/v1/analytics/receivables``: the aging of what customers owe, revenue invoiced versus
collected per month, and payments by method (issue 12, item 8). Billing owns the data, so the report lives
here, under the analytics path and permission."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.billing.receivables import service
from fixdesk.billing.receivables.schemas import ReceivablesRead
from fixdesk.db import utcnow
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["analytics"])

AnalyticsRead = Annotated[Principal, Depends(require(ANALYTICS_READ))]


@router.get("/analytics/receivables", operation_id="analytics-receivables", response_model=ReceivablesRead)
async def receivables(
    session: SessionDep,
    settings: SettingsDep,
    _principal: AnalyticsRead,
    months: Annotated[
        int,
        Query(
            ge=1, le=service.MAX_MONTHS, description="Months of revenue and payments, the current one last"
        ),
    ] = service.DEFAULT_MONTHS,
):
    """Receivables: aging per customer and in total, revenue invoiced vs collected per month, payments by
    method.

    * Aging, on the shop's today (``FIXDESK_SHOP_TIMEZONE``): the balance due of every issued invoice
      still owing, by days past its due date: ``current`` (not yet due), ``days1To30``, ``days31To60``,
      ``days61To90``, ``over90``; per customer (most owed first) and in total. Drafts and void invoices
      owe nothing.
    * ``months``: the last ``months`` calendar months (default 12, at most 24), the current one last:
      ``invoiced`` the totals of invoices issued in the month (void ones left out), ``credited`` the credit
      notes issued in it, ``collected`` the payments received in it less the refunds given in it.
    * ``paymentMethods``: over the same months, per method the payments and refunds (count and amount) and
      the net; a refund counts under its payment's method.

    Amounts are in ``currency``, exact to the cent; the same rows give the same report on SQLite and
    PostgreSQL."""
    report = await service.receivables(
        session, today=settings.shop_today(utcnow()), zone=settings.shop_timezone, months=months
    )
    return ReceivablesRead.of(report, settings.currency)
