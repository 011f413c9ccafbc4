"""Warranty and warranty-claim endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["warranty"])
