"""What the language engine knows about the shop: its technicians and work orders.

The engine is pure (no database, no HTTP): the caller builds a :class:`Directory` from the fieldservice
domain's rows (through its access functions) and passes it in, so the same code serves the endpoint, the
tests and the benchmark. Times are aware datetimes; the shop's time zone decides which calendar day a
window falls on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class TechnicianEntry:
    """One technician as the engine sees them.

    ``id`` is the technician's id (a UUID string in the database, any string here); ``nicknames`` are the
    other names the dispatchers use for them ("Bob", "Bobby" for Robert), matched like the first name.
    """

    id: str
    first_name: str
    last_name: str
    nicknames: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class WorkOrderEntry:
    """One work order as the engine sees it.

    ``number`` is the human number (``WO-2026-000123``); ``service_type`` the shop's label ("Septic
    pumping", "AC repair"); ``street_address`` the service location's street line ("412 Oak Street").
    ``scheduled_date`` is the day in the shop's time zone, ``window_start``/``window_end`` the booked time
    window (aware datetimes), all ``None`` for a work order not scheduled yet. ``technician_ids`` are the
    assigned technicians.
    """

    id: str
    number: str
    customer_first_name: str
    customer_last_name: str
    service_type: str
    street_address: str
    scheduled_date: date | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    technician_ids: tuple[str, ...] = ()

    @property
    def customer_name(self) -> str:
        return f"{self.customer_first_name} {self.customer_last_name}"

    @property
    def label(self) -> str:
        """How a sentence names the work order: ``WO-2026-000123 (Septic pumping, Maria Garcia)``."""
        return f"{self.number} ({self.service_type}, {self.customer_name})"


@dataclass(frozen=True)
class Directory:
    """The technicians and work orders a request may name (the active ones, typically those of the next
    weeks and the unscheduled backlog)."""

    technicians: tuple[TechnicianEntry, ...] = ()
    work_orders: tuple[WorkOrderEntry, ...] = ()
    _technicians_by_id: dict[str, TechnicianEntry] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._technicians_by_id.update({technician.id: technician for technician in self.technicians})

    def technician(self, technician_id: str) -> TechnicianEntry | None:
        """The technician with this id, or ``None``."""
        return self._technicians_by_id.get(technician_id)
