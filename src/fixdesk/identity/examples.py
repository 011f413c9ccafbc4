"""Examples of the login and refresh requests and answers in the OpenAPI document, taken from real answers of the API (tests/platform/test_openapi.py checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

LOGIN_REQUEST: dict[str, Any] = {
    "email": "ana.front@shop.example.com",
    "password": "correct horse battery",
    "rememberMe": False,
}
"""POST /auth/login with a password."""

LOGIN_RESPONSE: dict[str, Any] = {
    "accessToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMWEyNGMyZS00N2EzIn0.2kq8H0o",
    "refreshToken": "rt_01a24c2e47a3.Lp9v2mXc0qN8sF4wTzB7yR1k",
    "expiresIn": 900,
    "refreshExpiresIn": 86400,
    "tokenType": "Bearer",
    "user": {
        "id": "01a24c2e-47a3-735c-85e9-4c17060bcefb",
        "email": "ana.front@shop.example.com",
        "firstName": "Ana",
        "lastName": "Costa",
        "role": "admin",
        "principalType": "user",
        "permissions": [
            "analytics:read",
            "api_clients:manage",
            "attachments:write",
            "audit:read",
            "catalog:read",
            "catalog:write",
            "custom_fields:manage",
            "custom_fields:read",
            "customers:read",
            "customers:write",
            "jobs:manage",
            "notifications:manage",
            "notifications:read",
            "repairs:assign",
            "repairs:create",
            "repairs:read",
            "repairs:update",
            "users:manage",
            "users:read",
            "webhooks:manage",
        ],
    },
}
"""Its answer: tokens and the account."""

REFRESH_REQUEST: dict[str, Any] = {"refreshToken": "rt_01a24c2e47a3.Lp9v2mXc0qN8sF4wTzB7yR1k"}
"""POST /auth/refresh."""

REFRESH_RESPONSE: dict[str, Any] = {
    "accessToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMWEyNGMyZS00N2EzIn0.2kq8H0o",
    "refreshToken": "rt_01a24c2e47a3.Lp9v2mXc0qN8sF4wTzB7yR1k",
    "expiresIn": 900,
    "refreshExpiresIn": 86400,
    "tokenType": "Bearer",
    "user": {
        "id": "01a24c2e-47a3-735c-85e9-4c17060bcefb",
        "email": "ana.front@shop.example.com",
        "firstName": "Ana",
        "lastName": "Costa",
        "role": "admin",
        "principalType": "user",
        "permissions": [
            "analytics:read",
            "api_clients:manage",
            "attachments:write",
            "audit:read",
            "catalog:read",
            "catalog:write",
            "custom_fields:manage",
            "custom_fields:read",
            "customers:read",
            "customers:write",
            "jobs:manage",
            "notifications:manage",
            "notifications:read",
            "repairs:assign",
            "repairs:create",
            "repairs:read",
            "repairs:update",
            "users:manage",
            "users:read",
            "webhooks:manage",
        ],
    },
}
"""Its answer: new tokens (the old refresh token stops working)."""
