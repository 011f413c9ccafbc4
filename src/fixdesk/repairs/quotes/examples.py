"""Examples of the quote requests and answers in the OpenAPI document, taken from real answers of the API (tests/platform/test_openapi.py checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

QUOTE_CREATE_REQUEST: dict[str, Any] = {
    "items": [
        {
            "repairTypeId": "01a24c2e-47a8-7351-8228-9c5dcfe52d8b",
            "partTypeId": "01a24c2e-47aa-70f8-96cb-38b7d27e82b2",
        }
    ],
    "labour": [{"description": "Diagnosis and fitting", "hours": "0.5", "rate": "40.00"}],
    "validUntil": "2026-12-20",
    "notes": "Includes a 6-month warranty on the screen",
    "send": False,
}
"""POST /repairs/{id}/quotes: a catalog line and labour, kept as a draft."""

QUOTE_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-4ebb-775e-be8f-57ee78ffb9f5",
    "repairId": "01a24c2e-4d9d-70bd-ae66-bd5c164522fe",
    "number": "Q1",
    "version": 1,
    "status": "draft",
    "validUntil": "2026-12-20",
    "expired": False,
    "notes": "Includes a 6-month warranty on the screen",
    "items": [
        {
            "id": "01a24c2e-4ebd-7769-9799-307a04849ffb",
            "position": 0,
            "repairTypeId": "01a24c2e-47a8-7351-8228-9c5dcfe52d8b",
            "partTypeId": "01a24c2e-47aa-70f8-96cb-38b7d27e82b2",
            "partQuality": "aftermarket_standard",
            "description": "Screen replacement (OLED screen)",
            "quantity": 1,
            "unitPrice": 129.0,
            "discount": 0.0,
            "lineTotal": 129.0,
            "pricingId": "01a24c2e-4c11-7516-8cea-bd099a01f888",
            "unitCost": 55.0,
            "priceSource": "catalog",
            "estimateConfidence": None,
        }
    ],
    "labour": [
        {
            "id": "01a24c2e-4ec3-757b-832c-52fdc0534a04",
            "position": 0,
            "description": "Diagnosis and fitting",
            "hours": 0.5,
            "rate": 40.0,
            "lineTotal": 20.0,
        }
    ],
    "subtotal": 149.0,
    "taxRate": 0.0,
    "taxAmount": 0.0,
    "total": 149.0,
    "currency": "USD",
    "sentAt": None,
    "decidedAt": None,
    "declineReason": None,
    "createdAt": "2026-12-06T16:27:12.940910Z",
    "updatedAt": "2026-12-06T16:27:12.940910Z",
    "createdById": "01a24c2e-47a3-735c-85e9-4c17060bcefb",
}
"""The quote as the API answers it."""
