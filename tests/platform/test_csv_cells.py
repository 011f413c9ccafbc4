"""CSV cells a spreadsheet will not run as formulas (platform/csv_cells.py, OWASP "CSV Injection"): the
helper every CSV export uses (the catalog's price list, billing's invoices and payments)."""

from __future__ import annotations

import pytest

from fixdesk.platform.csv_cells import escape_cell, unescape_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'quoted", "''quoted"),
        ("INV-2026-000001", "INV-2026-000001"),
        ("110.00", "110.00"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_cell_starting_like_a_formula_gets_an_apostrophe_and_comes_back(value: str, written: str) -> None:
    assert escape_cell(value) == written
    assert unescape_cell(escape_cell(value)) == value
