"""``GET /analytics/dashboard``, ``/analytics/equipment-health`` and ``/analytics/customer-intelligence``
(seed 001): the field side's figures, defined in :mod:`fixdesk.fieldservice.analytics.service`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.db import utcnow
from fixdesk.fieldservice.analytics import service
from fixdesk.fieldservice.analytics.schemas import (
    CustomerInsightRead,
    CustomerIntelligenceList,
    EquipmentHealthList,
    EquipmentHealthRead,
    FieldDashboardRead,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["analytics"])

AnalyticsRead = Annotated[Principal, Depends(require(ANALYTICS_READ))]


@router.get(
    "/analytics/dashboard", operation_id="field-analytics-dashboard", response_model=FieldDashboardRead
)
async def field_dashboard(session: SessionDep, _: AnalyticsRead, settings: SettingsDep):
    """Total customers, active work orders, revenue month to date, first-time fix rate, average response
    time and customer satisfaction (each defined in :func:`fixdesk.fieldservice.analytics.service.dashboard`)."""
    return FieldDashboardRead(**asdict(await service.dashboard(session, settings, utcnow())))


@router.get(
    "/analytics/equipment-health",
    operation_id="field-analytics-equipment-health",
    response_model=EquipmentHealthList,
)
async def equipment_health(session: SessionDep, _: AnalyticsRead, settings: SettingsDep):
    """Every piece of equipment with its age, services, corrective visits in 12 months, next due date and a
    health score 0–100, worst first (:func:`fixdesk.fieldservice.analytics.service.equipment_health`)."""
    rows = await service.equipment_health(session, settings, utcnow())
    return EquipmentHealthList(items=[EquipmentHealthRead(**asdict(row)) for row in rows])


@router.get(
    "/analytics/customer-intelligence",
    operation_id="field-analytics-customer-intelligence",
    response_model=CustomerIntelligenceList,
)
async def customer_intelligence(session: SessionDep, _: AnalyticsRead, settings: SettingsDep):
    """RFM segments by quintile, lifetime value and churn risk from each customer's usual service interval,
    highest risk first (:func:`fixdesk.fieldservice.analytics.service.customer_intelligence`)."""
    rows = await service.customer_intelligence(session, settings, utcnow())
    return CustomerIntelligenceList(items=[CustomerInsightRead(**asdict(row)) for row in rows])
