"""Catalog import (CSV upload) and price-list export endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["catalog"])
