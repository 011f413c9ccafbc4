"""What an import reports (:class:`ImportReport`: counts per kind of record and the rejected rows),
how it reports progress (:class:`ImportProgress`) and the error for an upload that is too large."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fixdesk.platform.errors import FixdeskError


@dataclass(slots=True)
class ImportCounts:
    """How many distinct records of one kind the import created, changed and found already as given."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: the 1-based line where its record starts, why, and the column at
    fault when there is one."""

    line: int
    reason: str
    column: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What :func:`import_catalog` did. ``rows`` counts the data records read (blank lines aside),
    ``accepted`` those imported; ``price_history`` is the number of price-history rows written."""

    rows: int = 0
    accepted: int = 0
    brands: ImportCounts = field(default_factory=ImportCounts)
    device_models: ImportCounts = field(default_factory=ImportCounts)
    repair_types: ImportCounts = field(default_factory=ImportCounts)
    part_types: ImportCounts = field(default_factory=ImportCounts)
    prices: ImportCounts = field(default_factory=ImportCounts)
    price_history: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(
            counts.created or counts.updated
            for counts in (self.brands, self.device_models, self.repair_types, self.part_types, self.prices)
        )


class ImportTooLarge(FixdeskError):
    """413: the uploaded CSV is larger than ``FIXDESK_MAX_IMPORT_BYTES``."""

    status, code, title = 413, "PAYLOAD_TOO_LARGE", "Request body too large"


class ImportProgress(Protocol):
    """Receives progress: ``stage`` starts a stage (``reading``, ``checking``, ``writing``) of ``total``
    units (rows), ``advance`` reports ``count`` more done in the current stage. Calls may come from a worker
    thread."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class NoProgress:
    """The :class:`ImportProgress` of an import nobody watches."""

    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass
