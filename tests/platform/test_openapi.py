"""The published OpenAPI document matches what the API answers."""

from __future__ import annotations


async def test_validation_errors_are_documented_as_400_problem_details(client) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/api/v1/customers"]["post"]["responses"]
    assert "422" not in responses
    assert responses["400"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemDetails"
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert {"type", "title", "status", "detail", "code", "requestId", "timestamp", "errors"} <= set(
        problem["properties"]
    )


async def test_every_operation_has_a_stable_id_and_a_summary(client) -> None:
    document = (await client.get("/openapi.json")).json()
    seen: set[str] = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation_id = operation.get("operationId")
            assert operation_id, f"{method.upper()} {path} has no operationId"
            assert operation_id not in seen, f"duplicate operationId {operation_id}"
            seen.add(operation_id)
            assert operation.get("description") or operation.get("summary"), (
                f"{operation_id} has no docstring"
            )
    assert {"repairs-list", "repairs-update-status", "auth-login", "customers-create"} <= seen
