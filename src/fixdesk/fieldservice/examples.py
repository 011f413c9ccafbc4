"""Examples of the field service requests and answers in the OpenAPI document (tests/platform/
test_openapi.py checks that each one matches its schema)."""

from __future__ import annotations

from typing import Any

TECHNICIAN_CREATE_REQUEST: dict[str, Any] = {
    "userId": "01a24c2e-41c8-7a3e-9b1f-2a6c0d9e4b11",
    "phone": "512-555-0101",
    "skills": ["HVAC", "Plumbing", "Septic"],
    "hourlyRate": 45.0,
    "homeAddress": "1100 Congress Ave, Austin, TX 78701",
    "homeLatitude": 30.2747,
    "homeLongitude": -97.7404,
    "workingHours": [
        {"weekday": 1, "start": "08:00", "end": "17:00", "breaks": [{"start": "12:00", "end": "12:30"}]},
        {"weekday": 2, "start": "08:00", "end": "17:00", "breaks": [{"start": "12:00", "end": "12:30"}]},
    ],
    "timeOff": [{"startsAt": "2026-12-24T00:00:00Z", "endsAt": "2026-12-27T00:00:00Z", "reason": "Holiday"}],
}

TECHNICIAN_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-43d1-7c55-8a0e-5f3b2c1d0e22",
    "userId": "01a24c2e-41c8-7a3e-9b1f-2a6c0d9e4b11",
    "firstName": "Mike",
    "lastName": "Johnson",
    "email": "mike@example.com",
    "phone": "512-555-0101",
    "skills": ["HVAC", "Plumbing", "Septic"],
    "hourlyRate": 45.0,
    "currency": "USD",
    "homeAddress": "1100 Congress Ave, Austin, TX 78701",
    "homeLatitude": 30.2747,
    "homeLongitude": -97.7404,
    "homeGeocodeStatus": "given",
    "workingHours": [
        {
            "weekday": 1,
            "start": "08:00",
            "end": "17:00",
            "breaks": [{"start": "12:00", "end": "12:30"}],
        },
        {
            "weekday": 2,
            "start": "08:00",
            "end": "17:00",
            "breaks": [{"start": "12:00", "end": "12:30"}],
        },
    ],
    "timeZone": "America/Chicago",
    "timeOff": [
        {
            "id": "01a24c2e-43d2-7f01-b3c4-7d8e9f0a1b33",
            "startsAt": "2026-12-24T00:00:00Z",
            "endsAt": "2026-12-27T00:00:00Z",
            "reason": "Holiday",
        }
    ],
    "isActive": True,
    "notes": None,
    "createdAt": "2026-12-01T15:00:00Z",
    "updatedAt": "2026-12-01T15:00:00Z",
}

TECHNICIAN_PAGE_RESPONSE: dict[str, Any] = {
    "items": [TECHNICIAN_RESPONSE],
    "total": 1,
    "totalIsEstimate": False,
    "page": 1,
    "pageSize": 20,
    "totalPages": 1,
}

LOCATION_CREATE_REQUEST: dict[str, Any] = {
    "name": "Home",
    "addressLine1": "123 Main St",
    "city": "Austin",
    "region": "TX",
    "postalCode": "78701",
    "country": "US",
    "latitude": 30.2672,
    "longitude": -97.7431,
    "accessNotes": "Gate code 4321; the tank lid is behind the shed.",
}

LOCATION_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-45e0-7b12-9c3d-4e5f6a7b8c44",
    "customerId": "01a24c2e-49b0-746a-97d4-693de12ae838",
    "name": "Home",
    "addressLine1": "123 Main St",
    "addressLine2": None,
    "city": "Austin",
    "region": "TX",
    "postalCode": "78701",
    "country": "US",
    "address": "123 Main St, Austin, TX, 78701, US",
    "latitude": 30.2672,
    "longitude": -97.7431,
    "geocodeStatus": "given",
    "accessNotes": "Gate code 4321; the tank lid is behind the shed.",
    "createdAt": "2026-12-01T15:00:00Z",
    "updatedAt": "2026-12-01T15:00:00Z",
}

EQUIPMENT_CREATE_REQUEST: dict[str, Any] = {
    "equipmentType": "Septic tank",
    "make": "Norwesco",
    "model": "1000 gal",
    "serialNumber": "NW-1000-88231",
    "installedOn": "2015-06-01",
}

EQUIPMENT_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-46f0-7c23-8d4e-5f6a7b8c9d55",
    "locationId": LOCATION_RESPONSE["id"],
    **EQUIPMENT_CREATE_REQUEST,
    "notes": None,
    "createdAt": "2026-12-01T15:00:00Z",
    "updatedAt": "2026-12-01T15:00:00Z",
}

WORK_ORDER_CREATE_REQUEST: dict[str, Any] = {
    "customerId": "01a24c2e-49b0-746a-97d4-693de12ae838",
    "locationId": LOCATION_RESPONSE["id"],
    "equipmentId": EQUIPMENT_RESPONSE["id"],
    "serviceType": "Pumping",
    "requiredSkills": ["Septic"],
    "priority": "normal",
    "scheduledDate": "2026-12-14",
    "timeWindowStart": "09:00",
    "timeWindowEnd": "11:00",
    "estimatedDurationMinutes": 120,
    "technicianIds": [TECHNICIAN_RESPONSE["id"]],
    "notes": "Customer requested morning appointment",
    "checklist": [{"label": "Locate and open the lid"}, {"label": "Pump and inspect baffles"}],
    "items": [{"description": "Riser lid", "partNumber": "RL-24", "quantity": 1, "unitPrice": "89.00"}],
    "labour": [{"description": "Pumping", "hours": "2", "rate": "80.00"}],
}

WORK_ORDER_RESPONSE: dict[str, Any] = {
    "id": "01a24c2e-48a0-7d34-9e5f-6a7b8c9d0e66",
    "workOrderNumber": "WO-2026-000001",
    "customerId": "01a24c2e-49b0-746a-97d4-693de12ae838",
    "customer": {
        "id": "01a24c2e-49b0-746a-97d4-693de12ae838",
        "firstName": "John",
        "lastName": "Doe",
        "email": "john@example.com",
        "phone": "+15125550100",
    },
    "locationId": LOCATION_RESPONSE["id"],
    "location": LOCATION_RESPONSE,
    "equipmentId": EQUIPMENT_RESPONSE["id"],
    "status": "scheduled",
    "priority": "normal",
    "serviceType": "Pumping",
    "requiredSkills": ["Septic"],
    "scheduledDate": "2026-12-14",
    "timeWindowStart": "09:00",
    "timeWindowEnd": "11:00",
    "estimatedDurationMinutes": 120,
    "estimatedDurationHours": 2.0,
    "technicianIds": [TECHNICIAN_RESPONSE["id"]],
    "assignedTechnician": TECHNICIAN_RESPONSE["id"],
    "technicians": [{"id": TECHNICIAN_RESPONSE["id"], "firstName": "Mike", "lastName": "Johnson"}],
    "notes": "Customer requested morning appointment",
    "checklist": [
        {"label": "Locate and open the lid", "done": False},
        {"label": "Pump and inspect baffles", "done": False},
    ],
    "subtotal": 249.0,
    "taxRate": 8.25,
    "taxAmount": 20.54,
    "total": 269.54,
    "currency": "USD",
    "startedAt": None,
    "completedAt": None,
    "cancelledAt": None,
    "createdAt": "2026-12-01T15:00:00Z",
    "updatedAt": "2026-12-01T15:00:00Z",
    "items": [
        {
            "id": "01a24c2e-48a1-7e45-8f60-7b8c9d0e1f77",
            "position": 0,
            "description": "Riser lid",
            "partNumber": "RL-24",
            "quantity": 1,
            "unitPrice": 89.0,
            "discount": 0.0,
            "lineTotal": 89.0,
        }
    ],
    "labour": [
        {
            "id": "01a24c2e-48a2-7f56-9071-8c9d0e1f2a88",
            "position": 0,
            "description": "Pumping",
            "hours": 2.0,
            "rate": 80.0,
            "lineTotal": 160.0,
        }
    ],
    "statusHistory": [
        {
            "id": "01a24c2e-48a3-7067-a182-9d0e1f2a3b99",
            "fromStatus": None,
            "toStatus": "scheduled",
            "changedById": "01a24c2e-41c8-7a3e-9b1f-2a6c0d9e4b00",
            "notes": None,
            "createdAt": "2026-12-01T15:00:00Z",
        }
    ],
    "allowedTransitions": ["in_progress", "draft", "cancelled"],
}

WORK_ORDER_PAGE_RESPONSE: dict[str, Any] = {
    "items": [
        {
            key: value
            for key, value in WORK_ORDER_RESPONSE.items()
            if key not in {"items", "labour", "statusHistory", "allowedTransitions"}
        }
    ],
    "total": 1,
    "totalIsEstimate": False,
    "page": 1,
    "pageSize": 20,
    "totalPages": 1,
}

WORK_ORDER_STATUS_REQUEST: dict[str, Any] = {"status": "in_progress", "notes": "On site"}
