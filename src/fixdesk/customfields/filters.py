"""The ``?customFields.<key>=<value>`` query parameters of list endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fixdesk.platform.errors import ValidationFailed

PREFIX = "customFields."
MAX_FILTERS = 10


async def custom_field_filters(request: Request) -> dict[str, str]:
    """``{key: value}`` of the request's ``customFields.<key>=<value>`` parameters (values as sent; the
    custom-fields service reads them by the field's type). Raises :class:`ValidationFailed` (400) for a
    key given twice or more than ten filters."""
    filters: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if not name.startswith(PREFIX):
            continue
        key = name.removeprefix(PREFIX)
        if not key or key in filters:
            raise ValidationFailed.for_field(name, "give each custom field filter once, with a key")
        filters[key] = value
    if len(filters) > MAX_FILTERS:
        raise ValidationFailed.for_field("customFields", f"at most {MAX_FILTERS} custom field filters")
    return filters


CustomFieldFilters = Annotated[dict[str, str], Depends(custom_field_filters)]
"""The request's custom field filters (see :func:`custom_field_filters`)."""
