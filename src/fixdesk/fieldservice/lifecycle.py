"""The work order lifecycle (DESIGN.md, "Lifecycles"): ``draft → scheduled → in_progress → completed``,
and ``cancelled`` from every open state.

A scheduled job may go back to ``draft`` (the customer wants to rebook later, the date is cleared by
hand), and a job in progress may go back to ``scheduled`` (the technician could not finish and a second
visit is booked). ``completed`` and ``cancelled`` are final.
"""

from __future__ import annotations

from fixdesk.fieldservice.models import WorkOrderStatus as S

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.draft: (S.scheduled, S.cancelled),
    S.scheduled: (S.in_progress, S.draft, S.cancelled),
    S.in_progress: (S.completed, S.scheduled, S.cancelled),
    S.completed: (),
    S.cancelled: (),
}

OPEN_STATUSES = (S.draft, S.scheduled, S.in_progress)


def allowed_next(current: str) -> list[str]:
    """The statuses a work order in ``current`` may move to, in lifecycle order."""
    return [status.value for status in TRANSITIONS[S(current)]]
