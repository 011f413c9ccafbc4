"""Answers of the field analytics (seed 001's names, camelCase; money as Decimal strings)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from fixdesk.platform.schemas import CamelModel, MoneyOut


class FieldDashboardRead(CamelModel):
    total_customers: int
    active_work_orders: int
    revenue_mtd: MoneyOut = Field(description="Completed work orders since the 1st of the shop's month")
    first_time_fix_rate: float | None = Field(description="0..1, see the operation's description")
    average_response_time_hours: float | None
    customer_satisfaction: float | None = Field(description="Mean rating 1–5, last 90 days")


class EquipmentHealthRead(CamelModel):
    equipment_id: uuid.UUID
    customer_id: uuid.UUID
    equipment_type: str
    make: str | None
    model: str | None
    age_years: float | None
    services: int
    corrective_visits_12_months: int = Field(alias="correctiveVisits12Months")
    last_service_on: date | None
    next_due_on: date | None
    health_score: int = Field(description="0–100, see the operation's description")


class EquipmentHealthList(CamelModel):
    items: list[EquipmentHealthRead]


class CustomerInsightRead(CamelModel):
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    visits: int
    lifetime_value: MoneyOut
    last_visit_on: date | None
    recency_score: int
    frequency_score: int
    monetary_score: int
    segment: str = Field(description="champions, loyal, promising, at_risk, hibernating or needs_attention")
    usual_interval_days: int | None
    churn_risk: float | None = Field(description="0..1")


class CustomerIntelligenceList(CamelModel):
    items: list[CustomerInsightRead]
