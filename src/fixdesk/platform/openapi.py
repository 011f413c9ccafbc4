"""The OpenAPI document, corrected to describe what the API really answers.

FastAPI documents request validation as ``422 HTTPValidationError``; Fixdesk answers ``400`` problem
details (``application/problem+json``), so every operation's 422 entry is replaced by that, and the
problem-details schema is published under ``components.schemas.ProblemDetails``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from fixdesk.platform.errors import PROBLEM_MEDIA_TYPE


class FieldProblem(BaseModel):
    field: str
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details with Fixdesk's members (``code``, ``requestId``, ``timestamp``, ``errors``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(examples=["VALIDATION_ERROR"])
    requestId: str | None = None
    timestamp: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with a generator that documents our error responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["FieldProblem"] = FieldProblem.model_json_schema()
        problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        problem.pop("$defs", None)
        components["ProblemDetails"] = problem
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        reference = {"$ref": "#/components/schemas/ProblemDetails"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses["400"] = {
                        "description": "Validation failed (problem details with the field list)",
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": reference}},
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
