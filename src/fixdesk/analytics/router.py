"""Analytics endpoints (/api/v1/analytics/…)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["analytics"])
