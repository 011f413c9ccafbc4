"""Request and answer of the dispatcher's plain-language requests (seed 001, ``POST /ai/dispatch/query``:
``query`` and ``context.current_date``; the answer is ours, seed 001 does not show one)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AliasChoices, Field

from fixdesk.fieldservice.language import Candidate, Proposal, TechnicianEntry, Understanding, WorkOrderEntry
from fixdesk.platform.schemas import CamelModel, InputModel


class QueryContext(InputModel):
    current_date: date | None = Field(
        default=None,
        description="The day the request is said on (the shop's calendar); today when left out",
        validation_alias=AliasChoices("currentDate", "current_date"),
    )


class DispatchQuery(InputModel):
    """A request in plain words, e.g. "Schedule John for the Smith job tomorrow morning"."""

    query: str = Field(min_length=1, max_length=500)
    context: QueryContext = Field(default_factory=QueryContext)


class TechnicianBrief(CamelModel):
    id: str
    first_name: str
    last_name: str


class WorkOrderBrief(CamelModel):
    id: str
    number: str
    customer_name: str
    service_type: str
    street_address: str
    scheduled_date: date | None


class WindowRead(CamelModel):
    start: datetime = Field(description="In the shop's time zone")
    end: datetime
    label: str = Field(description='How the request named it: "morning", "at 3pm", "as booked"')


class CandidateRead(CamelModel):
    kind: str
    id: str
    label: str
    score: float = Field(description="How well the words matched, 0..1")


class ProposalBody(InputModel):
    """The change a request proposes, sent back unchanged to apply it. Times are aware date-times."""

    action: Literal["assign", "reschedule", "unassign"]
    work_order_id: uuid.UUID
    technician_id: uuid.UUID | None = None
    scheduled_date: date | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None

    def as_proposal(self) -> Proposal:
        return Proposal(
            action=self.action,
            work_order_id=str(self.work_order_id),
            technician_id=str(self.technician_id) if self.technician_id else None,
            scheduled_date=self.scheduled_date,
            window_start=self.window_start,
            window_end=self.window_end,
        )


class ProposalRead(CamelModel):
    action: str
    work_order_id: str
    technician_id: str | None
    scheduled_date: date | None
    window_start: datetime | None
    window_end: datetime | None


class DispatchAnswer(CamelModel):
    """What the request was understood to mean: ``intent`` (schedule, reschedule, availability, unassign,
    unknown), the resolved work order, technician, day and window, a ``confidence`` in 0..1 (see
    :mod:`fixdesk.fieldservice.language.engine`), a ``summary`` sentence, the ``candidates`` when the words
    fit several, what is ``missing``, the technicians free in the window (for availability), ``notes``, and
    the ``proposal`` that ``POST /ai/dispatch/query/apply`` applies. ``source`` says whether the model or the
    offline parser read it (``fallbackReason`` why the model was not used)."""

    query: str
    intent: str
    confidence: float
    summary: str
    technician: TechnicianBrief | None
    work_order: WorkOrderBrief | None
    date: date | None
    window: WindowRead | None
    technician_candidates: list[CandidateRead]
    work_order_candidates: list[CandidateRead]
    missing: list[str]
    available_technicians: list[TechnicianBrief]
    notes: list[str]
    proposal: ProposalRead | None
    source: str
    fallback_reason: str | None

    @classmethod
    def of(cls, understanding: Understanding) -> DispatchAnswer:
        def technician(entry: TechnicianEntry) -> TechnicianBrief:
            return TechnicianBrief(id=entry.id, first_name=entry.first_name, last_name=entry.last_name)

        def work_order(entry: WorkOrderEntry) -> WorkOrderBrief:
            return WorkOrderBrief(
                id=entry.id,
                number=entry.number,
                customer_name=entry.customer_name,
                service_type=entry.service_type,
                street_address=entry.street_address,
                scheduled_date=entry.scheduled_date,
            )

        def candidate(entry: Candidate) -> CandidateRead:
            return CandidateRead(kind=entry.kind, id=entry.id, label=entry.label, score=entry.score)

        proposal = understanding.proposal
        window = understanding.window
        return cls(
            query=understanding.query,
            intent=str(getattr(understanding.intent, "value", understanding.intent)),
            confidence=round(understanding.confidence, 3),
            summary=understanding.summary,
            technician=technician(understanding.technician) if understanding.technician else None,
            work_order=work_order(understanding.work_order) if understanding.work_order else None,
            date=understanding.date,
            window=WindowRead(start=window.start, end=window.end, label=window.label) if window else None,
            technician_candidates=[candidate(c) for c in understanding.technician_candidates],
            work_order_candidates=[candidate(c) for c in understanding.work_order_candidates],
            missing=list(understanding.missing),
            available_technicians=[technician(t) for t in understanding.available_technicians],
            notes=list(understanding.notes),
            proposal=ProposalRead(
                action=proposal.action,
                work_order_id=proposal.work_order_id,
                technician_id=proposal.technician_id,
                scheduled_date=proposal.scheduled_date,
                window_start=proposal.window_start,
                window_end=proposal.window_end,
            )
            if proposal
            else None,
            source=understanding.fields.source,
            fallback_reason=understanding.fallback_reason,
        )
