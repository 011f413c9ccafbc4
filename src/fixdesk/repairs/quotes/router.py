"""Quote endpoints for staff and for customers in the portal."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["quotes"])
portal_router = APIRouter(tags=["quotes"])
