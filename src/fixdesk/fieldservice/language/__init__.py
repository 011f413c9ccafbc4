"""Plain-language scheduling (issue 11, item 7): understand "Schedule John for the Smith job tomorrow
morning" against a directory of technicians and work orders.

A pure package (no database, no HTTP of its own): :func:`understand` reads a request offline;
:func:`understand_with_model` asks an OpenAI-compatible model for the fields first and falls back to the
offline parser; both check the fields with the same :func:`resolve`. See
:mod:`fixdesk.fieldservice.language.engine` for the answer and its confidence,
:mod:`~fixdesk.fieldservice.language.when` for the day parts' hours.
"""

from fixdesk.fieldservice.language.directory import Directory, TechnicianEntry, WorkOrderEntry
from fixdesk.fieldservice.language.engine import (
    Candidate,
    Proposal,
    TimeWindow,
    Understanding,
    resolve,
    understand,
)
from fixdesk.fieldservice.language.model import EXTRACTION_TOOL, understand_with_model
from fixdesk.fieldservice.language.parser import ExtractedFields, Intent, extract_fields

__all__ = [
    "EXTRACTION_TOOL",
    "Candidate",
    "Directory",
    "ExtractedFields",
    "Intent",
    "Proposal",
    "TechnicianEntry",
    "TimeWindow",
    "Understanding",
    "WorkOrderEntry",
    "extract_fields",
    "resolve",
    "understand",
    "understand_with_model",
]
