"""Repair line item and labour endpoints (/api/v1/repairs/{id}/items, /labour)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["repairs"])
