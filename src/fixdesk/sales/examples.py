"""Examples of the sales requests and answers in the OpenAPI document (tests/platform/test_openapi.py
checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

PRODUCT_CREATE_REQUEST: dict[str, Any] = {
    "name": "iPhone 13 OLED screen",
    "sku": "SCR-IP13-OLED",
    "barcode": "0194252708309",
    "category": "Screens",
    "price": 129.0,
    "cost": 61.5,
    "lowStockThreshold": 3,
    "stockQuantity": 12,
}

PRODUCT_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-5a10-7c55-8a0e-5f3b2c1d0e31",
    "name": "iPhone 13 OLED screen",
    "sku": "SCR-IP13-OLED",
    "description": None,
    "barcode": "0194252708309",
    "category": "Screens",
    "imageUrl": None,
    "price": 129.0,
    "cost": 61.5,
    "currency": "USD",
    "onHand": 12,
    "stockQuantity": 12,
    "lowStockThreshold": 3,
    "lowStock": False,
    "salesCount": 0,
    "isActive": True,
    "createdAt": "2026-06-17T14:30:00Z",
    "updatedAt": "2026-06-17T14:30:00Z",
}

ORDER_CREATE_REQUEST: dict[str, Any] = {
    "customerId": "01a24c2e-4b00-7a3e-9b1f-2a6c0d9e4b01",
    "orderType": "offline",
    "items": [
        {"productId": "01a24c2e-5a10-7c55-8a0e-5f3b2c1d0e31", "quantity": 1, "price": 129.0},
        {"productId": "01a24c2e-5a11-7c55-8a0e-5f3b2c1d0e32", "quantity": 2},
    ],
    "totalAmount": 153.9,
}

ORDER_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-6c20-7d11-9e0f-1a2b3c4d5e61",
    "orderNumber": "ORD-2026-000042",
    "customerId": "01a24c2e-4b00-7a3e-9b1f-2a6c0d9e4b01",
    "customer": {
        "id": "01a24c2e-4b00-7a3e-9b1f-2a6c0d9e4b01",
        "firstName": "Alice",
        "lastName": "Johnson",
        "email": "alice.johnson@example.com",
        "phone": "+15125550123",
    },
    "orderType": "offline",
    "status": "pending",
    "paymentStatus": "unpaid",
    "items": [
        {
            "productId": "01a24c2e-5a10-7c55-8a0e-5f3b2c1d0e31",
            "name": "iPhone 13 OLED screen",
            "sku": "SCR-IP13-OLED",
            "quantity": 1,
            "price": 129.0,
            "lineTotal": 129.0,
        },
        {
            "productId": "01a24c2e-5a11-7c55-8a0e-5f3b2c1d0e32",
            "name": "Clear case",
            "sku": "CASE-IP13-CLR",
            "quantity": 2,
            "price": 12.45,
            "lineTotal": 24.9,
        },
    ],
    "subtotal": 153.9,
    "taxRate": 0.0,
    "taxAmount": 0.0,
    "totalAmount": 153.9,
    "currency": "USD",
    "notes": None,
    "allowedTransitions": ["processing", "completed", "cancelled"],
    "createdAt": "2026-06-17T14:30:00Z",
    "updatedAt": "2026-06-17T14:30:00Z",
    "completedAt": None,
    "cancelledAt": None,
}

ORDER_STATUS_REQUEST: dict[str, Any] = {"status": "completed", "paymentStatus": "paid"}

METRICS_RESPONSE: dict[str, Any] = {
    "startDate": "2026-05-19",
    "endDate": "2026-06-17",
    "previousStartDate": "2026-04-19",
    "previousEndDate": "2026-05-18",
    "totalSales": {
        "value": 1000.0,
        "previous": 925.93,
        "currency": "USD",
        "change": 8.0,
        "changeType": "increase",
    },
    "totalOrders": {"value": 300, "previous": 286, "change": 4.9, "changeType": "increase"},
    "productsSold": {"value": 5, "previous": 5, "change": 0.0, "changeType": "unchanged"},
    "newCustomers": {"value": 8, "previous": 0, "change": None, "changeType": "increase"},
}
