"""Helpers shared by the staff pages' forms: reading a posted form into the API's input model and turning
what the services refuse into problems shown next to the fields.

A page form posts ``application/x-www-form-urlencoded`` fields named like the API's body (camelCase); the
page builds the same input model the API router takes (``CustomerCreate`` …) and calls the same service.
When the model or the service refuses the input, :func:`form_problems` gives the API's problem details as
``FormProblems``: ``fields`` maps a camelCase field name to its message (shown under that control by the
``shared/form_errors.html`` macros) and ``detail`` is the problem's sentence for the top of the form. The
page answers with the form again, the values typed kept, status 400/409/422 as the API would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel
from starlette.datastructures import FormData

from fixdesk.platform.errors import FixdeskError


@dataclass
class FormProblems:
    """What was wrong with a posted form: ``status`` (the API's status code), ``detail`` (a sentence) and
    ``fields`` (camelCase field name → message)."""

    status: int = 400
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.detail or self.fields)


NO_PROBLEMS = FormProblems(status=200)


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(to_camel(part) if isinstance(part, str) else str(part) for part in location) or "request"


def form_problems(error: Exception) -> FormProblems:
    """The problems of ``error``: a Pydantic ``ValidationError`` from building an input model (400, one
    message per field, as the API's ``VALIDATION_ERROR``) or a service's :class:`FixdeskError` (its status,
    detail and field errors). Anything else is re-raised: a bug is a 500, not a form message."""
    if isinstance(error, ValidationError):
        fields: dict[str, str] = {}
        for item in error.errors():
            name = _field_name(tuple(item.get("loc", ())))
            fields.setdefault(name, str(item.get("msg", "Invalid value")).removeprefix("Value error, "))
        return FormProblems(400, "Validation failed", fields)
    if isinstance(error, FixdeskError):
        fields = {item["field"]: item["message"] for item in (error.errors or []) if "field" in item}
        # Some conflicts name their field outside ``errors`` (a custom field's taken ``key``).
        named = error.extra.get("field")
        if isinstance(named, str) and named not in fields:
            fields[named] = error.detail
        return FormProblems(error.status, error.detail, fields)
    raise error


def text_values(form: FormData, names: tuple[str, ...]) -> dict[str, str | None]:
    """The text fields ``names`` of ``form``, stripped; an empty field is ``None`` (the API's "not given" or
    "clear it")."""
    values: dict[str, str | None] = {}
    for name in names:
        raw = form.get(name)
        text = raw.strip() if isinstance(raw, str) else ""
        values[name] = text or None
    return values


def checkbox(form: FormData, name: str) -> bool:
    """Whether checkbox ``name`` was ticked (an unticked box is not posted at all)."""
    return form.get(name) in ("on", "true", "1")
