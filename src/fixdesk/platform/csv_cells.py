"""CSV cells a spreadsheet will not run as formulas (OWASP, "CSV Injection").

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and a leading tab or carriage return can smuggle one in. Every CSV export of Fixdesk (the catalog's price
list, billing's invoices and payments) writes such a cell with a single quote in front
(:func:`escape_cell`); a cell that itself starts with a quote gets one more, so the mark is never
ambiguous and :func:`unescape_cell` restores every value exactly.
"""

from __future__ import annotations

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""
ESCAPE_MARK = "'"
"""Written in front of a cell that starts with a formula trigger (or with the mark itself)."""


def escape_cell(value: str) -> str:
    """``value`` as an export writes it: with :data:`ESCAPE_MARK` in front when it starts with a formula
    trigger or with the mark itself, unchanged otherwise (``"-Phone"`` → ``"'-Phone"``)."""
    if value.startswith((*FORMULA_TRIGGERS, ESCAPE_MARK)):
        return ESCAPE_MARK + value
    return value


def unescape_cell(value: str) -> str:
    """A cell as an import reads it: one leading :data:`ESCAPE_MARK` removed (``"'-Phone"`` →
    ``"-Phone"``), so ``unescape_cell(escape_cell(v)) == v`` for every ``v``."""
    return value.removeprefix(ESCAPE_MARK)
