"""OpenAPI examples of the broadcast endpoints (validated against their schemas by the tests)."""

from __future__ import annotations

SEND_REQUEST = {
    "type": "sms",
    "content": "Hi {{ first_name }}, your battery check is due. Book at {{ shop_phone }}.",
    "recipientType": "segment",
    "segmentId": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e20",
    "scheduleAt": "2027-03-01T09:00:00Z",
}

ESTIMATE_REQUEST = {
    "type": "sms",
    "content": "Hi {{ first_name }}, your battery check is due. Book at {{ shop_phone }}.",
    "recipientType": "all",
}

ESTIMATE_RESPONSE = {
    "type": "sms",
    "recipients": 82,
    "segmentsPerMessage": 1,
    "encoding": "GSM-7",
    "characters": 66,
    "pricePerSegment": 0.0079,
    "estimatedCost": 0.65,
    "currency": "USD",
    "preview": "Hi Rita, your battery check is due. Book at +1 512 555 0100.",
}

BROADCAST_RESPONSE = {
    "id": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e30",
    "type": "sms",
    "content": "Hi {{ first_name }}, your battery check is due. Book at {{ shop_phone }}.",
    "templateId": None,
    "recipientType": "segment",
    "segmentId": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e20",
    "customerIds": None,
    "status": "sent",
    "scheduleAt": "2026-12-02T09:00:00Z",
    "startedAt": "2026-12-02T09:00:01Z",
    "sentAt": "2026-12-02T09:00:09Z",
    "recipientCount": 52,
    "sentCount": 50,
    "deliveredCount": 48,
    "failedCount": 2,
    "skippedCount": 2,
    "deliveryRate": 96.0,
    "estimatedRecipients": 52,
    "segmentsPerMessage": 1,
    "estimatedCost": 0.41,
    "currency": "USD",
    "createdById": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e01",
    "createdAt": "2026-12-01T11:15:00Z",
}

CANCELLED_RESPONSE = {
    **BROADCAST_RESPONSE,
    "status": "cancelled",
    "scheduleAt": "2027-03-01T09:00:00Z",
    "startedAt": None,
    "sentAt": None,
    "recipientCount": 0,
    "sentCount": 0,
    "deliveredCount": 0,
    "failedCount": 0,
    "skippedCount": 0,
    "deliveryRate": 0.0,
}

RECIPIENT_PAGE = {
    "items": [
        {
            "customerId": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e41",
            "firstName": "Rita",
            "lastName": "Nunes",
            "address": "+351912345678",
            "status": "delivered",
            "providerStatus": "delivered",
            "error": None,
            "sentAt": "2026-12-02T09:00:02Z",
            "deliveredAt": "2026-12-02T09:00:06Z",
        },
        {
            "customerId": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e42",
            "firstName": "Ana",
            "lastName": "Example",
            "address": "+15125550147",
            "status": "undelivered",
            "providerStatus": "undelivered",
            "error": "twilio undelivered (error 30003)",
            "sentAt": "2026-12-02T09:00:02Z",
            "deliveredAt": None,
        },
    ],
    "total": 2,
    "totalIsEstimate": False,
    "page": 1,
    "pageSize": 20,
    "totalPages": 1,
}

BROADCAST_PAGE = {
    "items": [BROADCAST_RESPONSE],
    "total": 1,
    "totalIsEstimate": False,
    "page": 1,
    "pageSize": 20,
    "totalPages": 1,
    "stats": {
        "totalSmsSent": 500,
        "totalWhatsAppSent": 320,
        "averageDeliveryRate": 95.49,
        "sms": {"sent": 500, "delivered": 478, "failed": 22, "deliveryRate": 95.6},
        "whatsapp": {"sent": 320, "delivered": 305, "failed": 15, "deliveryRate": 95.31},
    },
}

TEMPLATE_REQUEST = {
    "name": "Battery check due",
    "type": "sms",
    "content": "Hi {{ customer_name }}, your battery check is due. Reply STOP to opt out.",
}
