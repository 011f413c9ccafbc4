"""Examples of the webhook subscription request and answer in the OpenAPI document
(tests/platform/test_openapi.py checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

WEBHOOK_CREATE_REQUEST: dict[str, Any] = {
    "url": "https://crm.example.com/hooks/fixdesk",
    "events": ["repair.created", "repair.status_changed"],
    "description": "CRM sync",
    "active": True,
}
"""POST /webhooks."""

WEBHOOK_CREATED_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-5a10-7c3e-8f21-6b0d9e4c1a77",
    "url": "https://crm.example.com/hooks/fixdesk",
    "events": ["repair.created", "repair.status_changed"],
    "description": "CRM sync",
    "active": True,
    "createdById": "01a24c2e-47a3-735c-85e9-4c17060bcefb",
    "secretRotatedAt": None,
    "firstFailureAt": None,
    "lastFailureAt": None,
    "lastSuccessAt": None,
    "disabledAt": None,
    "disabledReason": None,
    "createdAt": "2026-12-06T16:27:13.101245Z",
    "updatedAt": "2026-12-06T16:27:13.101245Z",
    "secret": "whsec_MfKQ9r0k2hR5vQ8nBwJx9T0k2hR5vQ8nBwJx9T0=",
}
"""Its answer: the subscription and its signing secret, shown this once."""
