"""The public tracking link (API and page) and customer reviews."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["tracking"])
portal_router = APIRouter(tags=["tracking"])
public_router = APIRouter(tags=["tracking"])
page_router = APIRouter(tags=["tracking"])
