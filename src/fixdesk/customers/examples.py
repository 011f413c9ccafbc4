"""Examples of the customer requests and answers in the OpenAPI document, taken from real answers of the API (tests/platform/test_openapi.py checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

CUSTOMER_CREATE_REQUEST: dict[str, Any] = {
    "firstName": "Maria",
    "lastName": "Silva",
    "email": "maria.silva@example.com",
    "phone": "+351 912 345 678",
    "city": "Lisboa",
    "country": "PT",
    "language": "pt",
    "notifyEmail": True,
    "notifySms": True,
    "tags": ["vip"],
}
"""POST /customers."""

CUSTOMER_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-49b0-746a-97d4-693de12ae838",
    "firstName": "Maria",
    "lastName": "Silva",
    "fullName": "Maria Silva",
    "email": "maria.silva@example.com",
    "phone": "+351912345678",
    "companyName": None,
    "addressLine1": None,
    "addressLine2": None,
    "city": "Lisboa",
    "region": None,
    "postalCode": None,
    "country": "PT",
    "language": "pt",
    "timezone": None,
    "notifyEmail": True,
    "notifySms": True,
    "notes": None,
    "status": "active",
    "tags": ["vip"],
    "customFields": {},
    "hasPortalAccess": False,
    "archivedAt": None,
    "lastLoginAt": None,
    "createdAt": "2026-12-06T16:27:11.664759Z",
    "updatedAt": "2026-12-06T16:27:11.664763Z",
}
"""A customer as the API answers it."""

CUSTOMER_PAGE_RESPONSE: dict[str, Any] = {
    "items": [
        {
            "id": "01a24c2e-49b0-746a-97d4-693de12ae838",
            "firstName": "Maria",
            "lastName": "Silva",
            "fullName": "Maria Silva",
            "email": "maria.silva@example.com",
            "phone": "+351912345678",
            "companyName": None,
            "addressLine1": None,
            "addressLine2": None,
            "city": "Lisboa",
            "region": None,
            "postalCode": None,
            "country": "PT",
            "language": "pt",
            "timezone": None,
            "notifyEmail": True,
            "notifySms": True,
            "notes": None,
            "status": "active",
            "tags": ["vip"],
            "customFields": {},
            "hasPortalAccess": False,
            "archivedAt": None,
            "lastLoginAt": None,
            "createdAt": "2026-12-06T16:27:11.664759Z",
            "updatedAt": "2026-12-06T16:27:11.664763Z",
        }
    ],
    "total": 1,
    "totalIsEstimate": False,
    "page": 1,
    "pageSize": 20,
    "totalPages": 1,
}
"""GET /customers?search=silva."""
