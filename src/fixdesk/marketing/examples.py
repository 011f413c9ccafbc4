"""OpenAPI examples of the marketing endpoints (validated against their schemas by the tests)."""

from __future__ import annotations

CONSENT_UPDATE_REQUEST = {
    "granted": True,
    "source": "staff",
    "evidence": "Signed the consent form at the desk",
}

CONSENTS_RESPONSE = {
    "customerId": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e1f",
    "consents": [
        {
            "channel": "email",
            "granted": True,
            "changedAt": "2026-03-02T10:15:00Z",
            "source": "staff",
            "evidence": "Signed the consent form at the desk",
            "address": "rita.nunes@example.com",
            "suppressed": False,
        },
        {
            "channel": "sms",
            "granted": False,
            "changedAt": None,
            "source": None,
            "evidence": None,
            "address": "+351912345678",
            "suppressed": False,
        },
        {
            "channel": "whatsapp",
            "granted": False,
            "changedAt": None,
            "source": None,
            "evidence": None,
            "address": "+351912345678",
            "suppressed": False,
        },
    ],
    "history": [
        {
            "channel": "email",
            "granted": True,
            "source": "staff",
            "evidence": "Signed the consent form at the desk",
            "actorType": "user",
            "actorId": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e20",
            "changedAt": "2026-03-02T10:15:00Z",
        }
    ],
}

SUPPRESSION_CREATE_REQUEST = {"channel": "email", "address": "rita.nunes@example.com", "reason": "bounced"}

SEGMENT_FILTER_REQUEST = {
    "tagsAny": ["vip", "corporate"],
    "minTotalSpend": 250,
    "lastVisitAfter": "2026-01-01T00:00:00Z",
    "rfmSegments": ["champions", "loyal"],
}

SEGMENT_CREATE_REQUEST = {
    "name": "Best customers this year",
    "description": "For the battery check campaign",
    "filter": SEGMENT_FILTER_REQUEST,
}

SEGMENTATION_RESPONSE = {
    "withOrders": {
        "count": 2,
        "customers": [
            {
                "id": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e1f",
                "firstName": "Rita",
                "lastName": "Nunes",
                "email": "rita.nunes@example.com",
                "orderCount": 3,
                "totalRevenue": 412.5,
            },
            {
                "id": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e2a",
                "firstName": "Jon",
                "lastName": "Reyes",
                "email": "jon.reyes@example.com",
                "orderCount": 1,
                "totalRevenue": 89.9,
            },
        ],
        "totalRevenue": 502.4,
        "averageOrderValue": 125.6,
    },
    "withoutOrders": {
        "count": 1,
        "customers": [
            {
                "id": "01937c8e-5f3a-7b6e-9c1d-2a4b6c8d0e3b",
                "firstName": "Ana",
                "lastName": "Silva",
                "email": None,
                "orderCount": 0,
                "totalRevenue": 0,
            }
        ],
    },
    "conversionRate": 66.67,
}
