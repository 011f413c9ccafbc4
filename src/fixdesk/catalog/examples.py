"""Examples of the price estimator in the OpenAPI document, taken from real answers of the API (tests/platform/test_openapi.py checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

ESTIMATE_RESPONSE: dict[str, Any] = {
    "deviceModelId": "01a24c2e-4b9b-71b0-9490-843815fc4f99",
    "repairTypeId": "01a24c2e-47a8-7351-8228-9c5dcfe52d8b",
    "partQuality": "aftermarket_standard",
    "price": 129.0,
    "currency": "USD",
    "confidence": 1.0,
    "method": "exact",
    "basis": ["01a24c2e-4c11-7516-8cea-bd099a01f888"],
    "pricingId": "01a24c2e-4c11-7516-8cea-bd099a01f888",
    "partTypeId": "01a24c2e-4a31-7c52-9f0e-2b7d5e7f0a13",
    "matchingPrices": 1,
    "reason": "The shop's price for this device, repair and part type.",
}
"""GET /catalog/pricing/estimate?deviceModelId=…&repairTypeId=…"""
