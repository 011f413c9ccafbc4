"""Forms on pages: read a posted form, validate it with the API's own input model, and turn a failure into
the API's problem details for the page to show next to the fields (``shared/problem.html``).

A page handler validates exactly as the API router does, by the same Pydantic model, so a form cannot
accept what the API refuses::

    values = await form_values(request)
    try:
        change = parse(StatusChange, {"status": values.get("status"), ...})
        await service.change_status(session, principal, repair_id, change)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        await session.rollback()
        return render(..., {"problem": problem_of(error)}, status_code=problem_of(error).status)

:class:`Problem` carries ``status``, ``title``, ``detail`` and ``errors`` (``[{field, message}]`` with the
API's camelCase field names) and :meth:`Problem.for_field` gives the message of one field. Only what a
person can fix on the page (400 invalid input, 409 a state that does not allow it) is shown that way;
403 and 404 stay the error page (:mod:`fixdesk.web.errors`), and the transaction is rolled back either way.

Forms built field by field use :func:`form_problems` (the same :class:`Problem`, plus a conflict's named
field) and :data:`NO_PROBLEMS` for a form shown for the first time; their templates import the
one-message-per-field macros of ``shared/form_errors.html`` (``problems.fields``), the others those of
``shared/problem.html`` (``problem.for_field``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from starlette.datastructures import FormData

from fixdesk.platform.errors import Conflict, FixdeskError, ValidationFailed
from fixdesk.web.templating import CSRF_FIELD_NAME

Model = TypeVar("Model", bound=BaseModel)

PROBLEMS_SHOWN_ON_PAGE = (ValidationFailed, Conflict)
"""The service errors a form shows on its page (400, 409); others become the error page."""


@dataclass(frozen=True)
class Problem:
    """RFC 9457 problem details as a page shows them (the API's ``status``, ``title``, ``detail``,
    ``code`` and field ``errors``)."""

    status: int
    title: str
    detail: str
    code: str = ""
    errors: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        # NO_PROBLEMS, the "nothing wrong" of a form shown for the first time, is falsy.
        return bool(self.detail or self.errors)

    @property
    def fields(self) -> dict[str, str]:
        """Field name (camelCase) → its first message, for forms that show one message per field."""
        fields: dict[str, str] = {}
        for error in self.errors:
            if "field" in error:
                fields.setdefault(error["field"], error.get("message", ""))
        return fields

    def for_field(self, name: str) -> str | None:
        """The message of field ``name`` (camelCase, as the API names it; ``items.0.unitPrice``), or
        ``None``. Messages of nested fields (``name.…``) count for ``name``."""
        for error in self.errors:
            if error.get("field") == name or str(error.get("field", "")).startswith(name + "."):
                return error.get("message")
        return None


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(to_camel(part) if isinstance(part, str) else str(part) for part in location) or "form"


def problem_of(error: Exception) -> Problem:
    """The problem details of a service error (:class:`FixdeskError`) or of an input model's
    ``ValidationError`` (400 ``VALIDATION_ERROR``, one entry per field, as the API answers)."""
    if isinstance(error, ValidationError):
        errors = tuple(
            {
                "field": _field_name(tuple(item.get("loc", ()))),
                "message": str(item.get("msg", "Invalid value")).removeprefix("Value error, "),
            }
            for item in error.errors()
        )
        detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors[:5])
        return Problem(400, "Validation failed", detail, "VALIDATION_ERROR", errors)
    if isinstance(error, FixdeskError):
        return Problem(error.status, error.title, error.detail, error.code, tuple(error.errors or ()))
    raise TypeError(f"not a problem a page shows: {error!r}")


async def form_values(request: Request) -> dict[str, str]:
    """The posted form's text fields (without the CSRF token), blank ones as ``None``-free empty
    strings stripped of surrounding spaces. Files are left out (read them with ``request.form()``)."""
    form = await request.form()
    return {
        key: value.strip()
        for key, value in form.multi_items()
        if isinstance(value, str) and key != CSRF_FIELD_NAME
    }


def optional(value: str | None) -> str | None:
    """A form field's text, ``None`` when left blank."""
    return value if value else None


def parse(model: type[Model], values: Mapping[str, Any]) -> Model:
    """``values`` (snake_case or camelCase keys) validated by the API's input ``model``; raises
    ``ValidationError`` like the API's request validation (see :func:`problem_of`)."""
    return model.model_validate(dict(values))


NO_PROBLEMS = Problem(status=200, title="", detail="")
"""A form shown for the first time: falsy, status 200."""


def form_problems(error: Exception) -> Problem:
    """:func:`problem_of` for a posted form: also files a conflict that names its field outside ``errors``
    (a custom field's taken ``key``) under that field. Anything but a ``ValidationError`` or a
    :class:`FixdeskError` is re-raised: a bug is a 500, not a form message."""
    if not isinstance(error, ValidationError | FixdeskError):
        raise error
    problem = problem_of(error)
    named = error.extra.get("field") if isinstance(error, FixdeskError) else None
    if isinstance(named, str) and named not in problem.fields:
        problem = replace(problem, errors=(*problem.errors, {"field": named, "message": error.detail}))
    return problem


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
