"""Analytics endpoints (/api/v1/analytics/…)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fixdesk.analytics import service
from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.analytics.schemas import AnalyticsOverview
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["analytics"])

AnalyticsRead = Annotated[Principal, Depends(require(ANALYTICS_READ))]


@router.get("/analytics/overview", operation_id="analytics-overview", response_model=AnalyticsOverview)
async def analytics_overview(
    session: SessionDep,
    settings: SettingsDep,
    _principal: AnalyticsRead,
    period: Annotated[
        service.PeriodLabel,
        Query(description="The last 7, 30 or 90 days, or the last 365 days (1y), up to now"),
    ] = service.DEFAULT_PERIOD,
):
    """Revenue, repairs by status, turnaround, satisfaction and daily figures of a recent period.

    The period is the last 7, 30 (default) or 90 days, or 365 (``1y``), of 24 hours each, up to now; any
    other value answers 400. Revenue and average completion time (days) cover the repairs completed or
    delivered in the period, the repair counts the repairs taken in during it, satisfaction (mean rating
    1–5) the reviews written in it. Daily figures cover every date of the period on the shop's calendar
    (``FIXDESK_SHOP_TIMEZONE``), newest first, with zeros on days without intake; means are rounded half-up to two places, amounts are in ``currency``.
    """
    result = await service.repair_overview(session, period, zone=settings.shop_timezone)
    return AnalyticsOverview.of(result, settings.currency)
