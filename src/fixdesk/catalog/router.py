"""Catalog endpoints (/api/v1/catalog/…): brands, device models, repair types, part types, pricing, estimates."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["catalog"])
