"""Custom field definitions (/api/v1/custom-fields)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["custom fields"])
