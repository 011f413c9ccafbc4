"""The repair lifecycle (DESIGN.md, "Lifecycles").

``received → diagnosing → quoted → approved → repairing → testing → completed → delivered``, with
``waiting_parts`` beside ``repairing`` (seed 003), ``completed`` meaning ready for pickup and ``delivered``
meaning collected. ``cancelled`` is reachable from every open state. Two steps back are allowed because
shops need them: a declined quote goes back to ``diagnosing`` for a new one, a failed test goes back to
``repairing``.
"""

from __future__ import annotations

from fixdesk.repairs.models import RepairStatus as S

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.received: (S.diagnosing, S.cancelled),
    S.diagnosing: (S.quoted, S.cancelled),
    S.quoted: (S.approved, S.diagnosing, S.cancelled),
    S.approved: (S.repairing, S.waiting_parts, S.cancelled),
    S.repairing: (S.waiting_parts, S.testing, S.cancelled),
    S.waiting_parts: (S.repairing, S.cancelled),
    S.testing: (S.completed, S.repairing, S.cancelled),
    S.completed: (S.delivered,),
    S.delivered: (),
    S.cancelled: (),
}

# Seed 003's status names, accepted on input and mapped onto ours.
ALIASES: dict[str, S] = {"pending": S.received, "in_progress": S.repairing, "ready_pickup": S.completed}

STATUS_GROUPS: dict[str, tuple[S, ...]] = {
    "active": (S.received, S.diagnosing, S.quoted, S.approved, S.repairing, S.waiting_parts, S.testing),
    "completed": (S.completed, S.delivered),
    "cancelled": (S.cancelled,),
}

OPEN_STATUSES = STATUS_GROUPS["active"]


def allowed_next(current: str) -> list[str]:
    """The statuses a repair in ``current`` may move to, in lifecycle order."""
    return [s.value for s in TRANSITIONS[S(current)]]


def resolve(status: str) -> S:
    """Our status for a name, accepting seed 003's aliases; raises ``ValueError`` for an unknown one."""
    if status in ALIASES:
        return ALIASES[status]
    return S(status)
