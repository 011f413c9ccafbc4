"""Notification endpoints for staff (``/api/v1/notifications``) and customers (``/api/v1/customer/…``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["notifications"])
portal_router = APIRouter(tags=["customer portal"])
