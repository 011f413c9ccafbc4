"""Response models of the sales dashboard (seed 002's ``/dashboard/*`` shapes, returned bare) and the
visit beacon's request."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from fixdesk.platform.schemas import CamelModel, DecimalNumber, InputModel, MoneyOut

VISITOR_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"

ChangeType = Literal["increase", "decrease", "unchanged"]


class CountMetric(CamelModel):
    """A figure of the period, and its change against the previous period of the same length:
    ``change`` in percent (one decimal), ``null`` when the previous period had none."""

    value: int
    previous: int
    change: DecimalNumber | None
    change_type: ChangeType


class MoneyMetric(CamelModel):
    """An amount of the period (shop currency) and its change, as :class:`CountMetric`."""

    value: MoneyOut
    previous: MoneyOut
    currency: str
    change: DecimalNumber | None
    change_type: ChangeType


class DashboardMetrics(CamelModel):
    """Seed 002's four cards for ``startDate``..``endDate`` (shop days, inclusive) against the same number
    of days just before."""

    start_date: date
    end_date: date
    previous_start_date: date
    previous_end_date: date
    total_sales: MoneyMetric
    total_orders: CountMetric
    products_sold: CountMetric
    new_customers: CountMetric


class RevenueChart(CamelModel):
    """Sales per point of the chart (shop currency): ``online`` orders and ``offline`` ones (counter
    orders, completed repairs and work orders); ``labels[i]`` names point ``i``."""

    period: str
    currency: str
    labels: list[str]
    online: list[MoneyOut]
    offline: list[MoneyOut]


class VisitorPercentages(CamelModel):
    loyal: DecimalNumber = Field(description="Returning visitors' share of the period's visitors, percent")
    new: DecimalNumber = Field(description="First-time visitors' share of the period's visitors, percent")
    unique: DecimalNumber = Field(description="Always 100: unique visitors are loyal plus new")


class VisitorInsights(CamelModel):
    """Visitors per shop day (``dates[i]``, labelled ``labels[i]``): ``uniqueCustomers`` distinct visitors,
    of whom ``newCustomers`` came for the first time and ``loyalCustomers`` had come on an earlier day."""

    period: str
    labels: list[str]
    dates: list[date]
    loyal_customers: list[int]
    new_customers: list[int]
    unique_customers: list[int]
    percentages: VisitorPercentages


class TopProduct(CamelModel):
    """A product's rank by units sold (``sales``) in orders that were not cancelled; ``revenue`` in the
    shop's currency; ``popularity`` its units as a percentage of the best seller's (0..100)."""

    id: uuid.UUID
    rank: int
    name: str
    sku: str
    popularity: int
    sales: int
    revenue: MoneyOut


class VisitCreate(InputModel):
    """A page view reported by a page: an opaque ``visitorId`` the page keeps for its visitor (a random id
    in the browser's storage; never an IP address or an email) and where the view happened."""

    visitor_id: str = Field(min_length=8, max_length=128, pattern=VISITOR_ID_PATTERN)
    source: Literal["website", "portal", "tracking"] = "website"
