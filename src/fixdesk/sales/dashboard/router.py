"""Sales dashboard endpoints (``/api/v1/dashboard/*``, seed 002) and the visit beacon
(``POST /api/v1/visits``)."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from fixdesk.db import transaction
from fixdesk.fieldservice.schemas import CalendarDay
from fixdesk.platform.deps import SessionDep, SettingsDep, app_sessionmaker
from fixdesk.platform.openapi import response_example
from fixdesk.platform.permissions import Principal, public, require
from fixdesk.sales import examples
from fixdesk.sales.dashboard import service
from fixdesk.sales.dashboard.periods import Period
from fixdesk.sales.dashboard.schemas import (
    VISITOR_ID_PATTERN,
    DashboardMetrics,
    RevenueChart,
    TopProduct,
    VisitCreate,
    VisitorInsights,
)
from fixdesk.sales.permissions import DASHBOARD_READ

router = APIRouter(tags=["sales dashboard"])

DashboardRead = Annotated[Principal, Depends(require(DASHBOARD_READ))]


@router.get(
    "/dashboard/metrics",
    operation_id="dashboard-metrics",
    response_model=DashboardMetrics,
    responses=response_example(200, examples.METRICS_RESPONSE),
)
async def dashboard_metrics(
    session: SessionDep,
    _: DashboardRead,
    settings: SettingsDep,
    start_date: Annotated[CalendarDay | None, Query(alias="startDate", description="First shop day")] = None,
    end_date: Annotated[
        CalendarDay | None, Query(alias="endDate", description="Last shop day (default today)")
    ] = None,
):
    """Total sales, orders, products sold and new customers, against the previous period."""
    return await service.metrics(session, settings, start_date, end_date)


@router.get("/dashboard/revenue", operation_id="dashboard-revenue", response_model=RevenueChart)
async def dashboard_revenue(
    session: SessionDep,
    _: DashboardRead,
    settings: SettingsDep,
    period: Period = "week",
    start_date: Annotated[CalendarDay | None, Query(alias="startDate", description="First shop day")] = None,
    end_date: Annotated[CalendarDay | None, Query(alias="endDate", description="Last shop day")] = None,
):
    """Online and offline sales per hour, day or month of the period."""
    return await service.revenue(session, settings, period, start_date, end_date)


@router.get("/dashboard/visitors", operation_id="dashboard-visitors", response_model=VisitorInsights)
async def dashboard_visitors(
    session: SessionDep,
    _: DashboardRead,
    settings: SettingsDep,
    period: Literal["day", "week", "month"] = "week",
):
    """Loyal, new and unique visitors per day over the last 1, 7 or 30 days."""
    return await service.visitors(session, settings, period)


@router.get("/dashboard/top-products", operation_id="dashboard-top-products", response_model=list[TopProduct])
async def dashboard_top_products(
    session: SessionDep,
    _: DashboardRead,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    period: Period | None = None,
):
    """The best-selling products by units, with revenue and popularity."""
    return await service.top_products(session, settings, limit, period)


@router.post(
    "/visits",
    operation_id="visits-record",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(public)],
)
async def record_visit(body: VisitCreate, session: SessionDep, settings: SettingsDep) -> Response:
    """Count a page view of the shop's website, portal or tracking page (public beacon)."""
    await service.record_visit(session, settings, body.visitor_id, body.source)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@router.get(
    "/visits/pixel.gif",
    operation_id="visits-pixel",
    response_class=Response,
    dependencies=[Depends(public)],
    responses={200: {"description": "A transparent 1×1 GIF", "content": {"image/gif": {}}}},
)
async def visit_pixel(
    request: Request,
    settings: SettingsDep,
    visitor: Annotated[str, Query(min_length=8, max_length=128, pattern=VISITOR_ID_PATTERN)],
    source: Literal["website", "portal", "tracking"] = "tracking",
) -> Response:
    """Count a page view from a page without scripts (the tracking page's image)."""
    # A GET's session is read-only; the count is written in a transaction of its own.
    async with transaction(app_sessionmaker(request)) as session:
        await service.record_visit(session, settings, visitor, source)
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})
