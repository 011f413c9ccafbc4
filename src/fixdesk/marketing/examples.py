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
