"""Response models of the analytics endpoints (seed 000's ``GET /api/admin/analytics/overview`` shape)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from fixdesk.analytics.service import DayMetrics, RepairOverview
from fixdesk.platform.schemas import CamelModel, DecimalNumber, MoneyOut


class OverviewTotals(CamelModel):
    """The period's headline figures."""

    total_revenue: MoneyOut = Field(
        description="Sum of the total cost of repairs completed or delivered in the period, shop currency"
    )
    total_repairs: int = Field(description="Repairs created in the period, whatever their status")
    avg_completion_time: DecimalNumber = Field(
        description="Mean days from intake to completion of the repairs completed in the period (two "
        "places, half-up; 0 when none)"
    )
    customer_satisfaction: DecimalNumber = Field(
        description="Mean rating (1–5) of the reviews written in the period (two places, half-up; 0 when none)"
    )
    satisfaction_count: int = Field(description="Number of reviews written in the period")


class DailyMetric(CamelModel):
    """One UTC calendar day of the period: the repairs created that day."""

    date: dt.date = Field(description="Calendar date in the shop's time zone, YYYY-MM-DD")
    repairs: int = Field(description="Repairs created that day")
    revenue: MoneyOut = Field(
        description="Total cost of those of them now completed or delivered, shop currency"
    )
    avg_completion_time: DecimalNumber = Field(
        description="Mean completion days of those of them now completed or delivered (0 when none)"
    )

    @classmethod
    def of(cls, metrics: DayMetrics) -> DailyMetric:
        return cls(
            date=metrics.day,
            repairs=metrics.repairs,
            revenue=metrics.revenue,
            avg_completion_time=metrics.average_completion_days,
        )


class AnalyticsPeriod(CamelModel):
    """The window the figures cover: ``days × 24 h`` up to the moment of the request, both ends included."""

    label: str = Field(description="7d, 30d, 90d or 1y")
    start_date: dt.datetime = Field(description="Start of the window, UTC")
    end_date: dt.datetime = Field(description="End of the window (the time of the request), UTC")


class AnalyticsOverview(CamelModel):
    """Revenue, intake, turnaround and satisfaction of one period (``GET /analytics/overview``)."""

    overview: OverviewTotals
    repairs_by_status: dict[str, int] = Field(
        description="Repairs created in the period by current status; every status is present, 0 when none"
    )
    daily_metrics: list[DailyMetric] = Field(
        description="Every date of the shop's calendar from the period's start to its end, newest first, zeros included"
    )
    period: AnalyticsPeriod
    currency: str = Field(description="ISO 4217 currency of every amount")

    @classmethod
    def of(cls, overview: RepairOverview, currency: str) -> AnalyticsOverview:
        """The wire shape of a :class:`fixdesk.analytics.service.RepairOverview`."""
        return cls(
            overview=OverviewTotals(
                total_revenue=overview.total_revenue,
                total_repairs=overview.total_repairs,
                avg_completion_time=overview.average_completion_days,
                customer_satisfaction=overview.customer_satisfaction,
                satisfaction_count=overview.satisfaction_count,
            ),
            repairs_by_status=overview.repairs_by_status,
            daily_metrics=[DailyMetric.of(day) for day in overview.daily_metrics],
            period=AnalyticsPeriod(
                label=overview.period.label,
                start_date=overview.period.start,
                end_date=overview.period.end,
            ),
            currency=currency,
        )
