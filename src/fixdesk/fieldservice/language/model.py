"""Asking a language model for a request's fields, with the offline parser as the fallback.

The model gets one tool, :data:`EXTRACTION_TOOL`, whose parameters are the fields the offline parser
fills (:class:`~fixdesk.fieldservice.language.parser.ExtractedFields`): the intent and the words naming the
technician, the job, the day and the time, as the dispatcher wrote them. It resolves nothing: the same
:func:`~fixdesk.fieldservice.language.engine.resolve` checks its words against the directory and the
calendar, so a model cannot invent a technician, a work order or a date. On a timeout, an HTTP error or an
answer that is not the tool call with valid fields, :func:`understand_with_model` answers with the offline
parser and says why in ``fallback_reason``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from fixdesk.fieldservice.language.directory import Directory
from fixdesk.fieldservice.language.engine import Understanding, resolve
from fixdesk.fieldservice.language.parser import ExtractedFields, Intent, extract_fields
from fixdesk.integrations.llm import LlmError, ToolDefinition

MAX_FIELD_CHARACTERS = 200

EXTRACTION_TOOL = ToolDefinition(
    name="extract_scheduling_request",
    description=(
        "Extract the parts of a field-service dispatcher's scheduling request. Copy the words as written; "
        "do not resolve names or dates."
    ),
    parameters={
        "type": "object",
        "properties": {
            "intent": {
                "type": "string",
                "enum": [intent.value for intent in Intent],
                "description": "schedule: assign a technician to a job; reschedule: move a job to another "
                "day, time or technician; availability: who is free (or is someone free) when; unassign: take "
                "a technician off a job; unknown: anything else",
            },
            "technician_text": {
                "type": ["string", "null"],
                "description": "the words naming the technician (first name, last name or nickname), "
                "e.g. 'John' or 'Mike Johnson'; null when none",
            },
            "job_text": {
                "type": ["string", "null"],
                "description": "the words naming the job: customer name, work order number (WO-2026-000123), "
                "service type or street, e.g. 'Smith', 'Garcia pumping', 'Oak Street'; null when none",
            },
            "date_text": {
                "type": ["string", "null"],
                "description": "the words naming the day, e.g. 'tomorrow', 'next Tuesday', 'June 23', "
                "'in two days'; null when none",
            },
            "time_text": {
                "type": ["string", "null"],
                "description": "the words naming the time of day, e.g. 'morning', 'at 3pm', 'first thing', "
                "'end of day', 'between 1 and 3'; null when none",
            },
        },
        "required": ["intent", "technician_text", "job_text", "date_text", "time_text"],
        "additionalProperties": False,
    },
)


class ToolCaller(Protocol):
    """What :func:`understand_with_model` needs of a model client
    (:class:`fixdesk.integrations.llm.ChatCompletionsClient`)."""

    async def call_tool(self, messages: list[dict[str, Any]], tool: ToolDefinition) -> dict[str, Any]: ...


def messages_for(query: str, *, now: datetime, timezone: str) -> list[dict[str, Any]]:
    """The chat messages: the instructions with the shop's local date and time, then the request."""
    local = now.astimezone(ZoneInfo(timezone))
    return [
        {
            "role": "system",
            "content": (
                "You read scheduling requests for a field-service dispatcher (septic, HVAC, plumbing). "
                f"It is {local:%A %Y-%m-%d %H:%M} in the shop's time zone ({timezone}). Call "
                f"{EXTRACTION_TOOL.name} with the request's parts, copied as written."
            ),
        },
        {"role": "user", "content": query},
    ]


def fields_from_arguments(arguments: dict[str, Any]) -> ExtractedFields:
    """The tool call's arguments as fields. Raises ``ValueError`` for an unknown intent or a field that is
    not a short string or null."""
    try:
        intent = Intent(arguments.get("intent"))
    except ValueError:
        raise ValueError(f"unknown intent {arguments.get('intent')!r}") from None
    texts: dict[str, str | None] = {}
    for name in ("technician_text", "job_text", "date_text", "time_text"):
        value = arguments.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_FIELD_CHARACTERS):
            raise ValueError(f"{name} is not a short string")
        texts[name] = value.strip() or None if isinstance(value, str) else None
    return ExtractedFields(
        intent=intent,
        intent_score=0.0 if intent is Intent.unknown else 1.0,
        source="model",
        **texts,
    )


async def understand_with_model(
    query: str,
    *,
    now: datetime,
    timezone: str,
    directory: Directory,
    model: ToolCaller | None,
) -> Understanding:
    """Understand ``query`` with the model's fields when ``model`` is given (``build_llm_client(settings)``),
    else, or when the model fails, with the offline parser (``fallback_reason`` then says why: ``timeout``,
    ``unreachable``, ``http_error``, ``bad_answer``). Same arguments and answer as
    :func:`~fixdesk.fieldservice.language.engine.understand`."""
    fallback_reason: str | None = None
    if model is not None:
        try:
            arguments = await model.call_tool(
                messages_for(query, now=now, timezone=timezone), EXTRACTION_TOOL
            )
            fields = fields_from_arguments(arguments)
        except LlmError as error:
            fallback_reason = error.reason
        except ValueError:
            fallback_reason = "bad_answer"
        else:
            return resolve(fields, query=query, now=now, timezone=timezone, directory=directory)
    return resolve(
        extract_fields(query, directory),
        query=query,
        now=now,
        timezone=timezone,
        directory=directory,
        fallback_reason=fallback_reason,
    )
