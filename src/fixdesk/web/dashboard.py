"""The staff dashboard at ``/app`` (issue 10, item 3): the counter at a glance.

* today's intake (repairs taken in on the shop's today) and the repairs due by the end of today, overdue
  ones (due before now and still open) marked;
* how many repairs are in each status now (links to the board filtered by it);
* for who may read analytics (``analytics:read``): revenue and repairs per day over the last 30 days,
  from :func:`fixdesk.analytics.service.repair_overview`, drawn by Chart.js from a JSON block
  (``static/fixdesk/dashboard.js``).

Someone not signed in is sent to the sign-in page first.

The summary (everything but the charts) is also served alone at ``/app/dashboard/summary``: the page's
script listens to the live events of ``/api/v1/ws`` and, when a ``repair.*`` event arrives, has htmx fetch
that part again, so the counter updates without a reload.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.analytics import service as analytics
from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.repairs import lifecycle
from fixdesk.repairs import service as repairs
from fixdesk.repairs.permissions import REPAIRS_READ
from fixdesk.web.pages import WebPages
from fixdesk.web.repairs import labels
from fixdesk.web.templating import render

router = APIRouter()

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]

CHART_PERIOD: analytics.PeriodLabel = "30d"
TODAY_LIST_SIZE = 10


def shop_day_bounds(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """The first and last instant (aware, UTC) of the shop's today at ``now``."""
    zone = ZoneInfo(settings.shop_timezone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)
    return start, end


async def summary_context(
    session: AsyncSession, principal: Principal, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """The dashboard's summary: ``intake`` (today's repairs, newest first, at most 10) and
    ``intake_total``, ``due`` (open repairs due by the end of today, soonest first) and ``due_total``,
    ``overdue`` (how many of them were due before ``now``), ``counts`` (repairs per status now) and
    ``open_total``. Five queries."""
    now = now or utcnow()
    start, end = shop_day_bounds(settings, now)
    intake, intake_total = await repairs.list_repairs(
        session,
        principal,
        repairs.RepairFilters(date_from=start, date_to=end),
        PageParams(page=1, page_size=TODAY_LIST_SIZE),
    )
    due, due_total = await repairs.due_repairs(session, principal, end, limit=TODAY_LIST_SIZE)
    _, overdue = await repairs.due_repairs(session, principal, now, limit=0)
    counts = await repairs.status_counts(session, principal)
    open_statuses = {status.value for status in lifecycle.OPEN_STATUSES}
    return {
        **labels(),
        "intake": intake,
        "intake_total": intake_total,
        "due": due,
        "due_total": due_total,
        "overdue": overdue,
        "now": now,
        "counts": counts,
        "open_total": sum(count for status, count in counts.items() if status in open_statuses),
    }


def chart_data(overview: analytics.RepairOverview, currency: str) -> dict[str, Any]:
    """The charts' data, oldest day first: ``days`` (ISO dates), ``repairs`` (taken in per day) and
    ``revenue`` (per day, in ``currency``, as strings of the exact amounts)."""
    daily = list(reversed(overview.daily_metrics))
    return {
        "currency": currency,
        "days": [metrics.day.isoformat() for metrics in daily],
        "repairs": [metrics.repairs for metrics in daily],
        "revenue": [str(metrics.revenue) for metrics in daily],
    }


@router.get("", dependencies=[Depends(require(REPAIRS_READ))])
async def dashboard(
    request: Request, session: SessionDep, principal: RepairsRead, settings: SettingsDep
) -> HTMLResponse:
    """The dashboard: the summary, and the 30-day charts for who may read analytics.

    The staff app's front door: every staff role holds ``repairs:read``; someone not signed in is sent to
    the sign-in page (and back here after it), a customer gets the 403 page."""
    context = await summary_context(session, principal, settings)
    overview = None
    if principal.has(ANALYTICS_READ):
        overview = await analytics.repair_overview(session, CHART_PERIOD, zone=settings.shop_timezone)
    context.update(
        overview=overview,
        charts=chart_data(overview, settings.currency) if overview is not None else None,
    )
    return render(request, "dashboard/dashboard.html", context)


@router.get("/dashboard/summary", dependencies=[Depends(require(REPAIRS_READ))])
async def summary(
    request: Request, session: SessionDep, principal: RepairsRead, settings: SettingsDep
) -> HTMLResponse:
    """The dashboard's summary alone (for the live refresh)."""
    return render(request, "dashboard/_summary.html", await summary_context(session, principal, settings))


pages = WebPages(name="dashboard", staff=router)
