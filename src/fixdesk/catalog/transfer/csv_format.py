"""The catalog CSV format: its columns, how headers are matched and the rules of an import.

The import (:func:`fixdesk.catalog.transfer.import_catalog`) reads this format and the export
(:func:`fixdesk.catalog.transfer.export_catalog_csv`) writes it.

The format
==========

UTF-8 text (a byte-order mark is allowed), comma-separated, fields quoted the usual way (RFC 4180), one
header row naming the columns in any order. Header names are matched regardless of case, spaces and
underscores (``modelNumber``, ``model_number`` and ``Model Number`` are the same column); a column the
format does not know, or a column given twice, makes the whole file invalid.

====================  ========  =====================================================================
column                required  meaning
====================  ========  =====================================================================
``brand``             yes       manufacturer, matched by name regardless of case (``Apple``)
``model``             yes       device model name, unique within its brand, matched regardless of case
``modelNumber``                 manufacturer's model number (``A2633``), up to 100 characters
``releaseYear``                 year of first release (``2021``)
``deviceType``        new only  ``phone``, ``tablet``, ``laptop``, ``desktop``, ``console``, ``watch``, ``other``
``screenSize``                  diagonal in inches, dot decimal separator (``6.1``)
``tierLevel``                   ``1`` flagship, ``2`` standard, ``3`` budget (or those words); new models: 2
``repairType``        price     kind of repair (``Screen replacement``), matched regardless of case
``partType``          price     kind of part (``OLED display assembly``), matched regardless of case
``partQuality``                 ``original``, ``aftermarket_premium``, ``aftermarket_standard``,
                                ``aftermarket_economy``; blank means the part type's own quality
``price``             price     the shop's price in the shop currency (``FIXDESK_CURRENCY``)
``cost``                        what the part costs the shop, same currency
``validFrom``                   ``YYYY-MM-DD`` (midnight in ``FIXDESK_SHOP_TIMEZONE``) or an ISO 8601
                                time (without an offset it is shop time); new prices: now
``validUntil``                  same format, after ``validFrom``; blank is open-ended
``notes``                       a note on the price, up to 500 characters
====================  ========  =====================================================================

Rules:

* A row with only device columns upserts the brand and the device model. A row that also has
  ``repairType``, ``partType`` and ``price`` upserts that price as well, keyed like the price list on device
  model × repair type × part type × part quality. A price column without those three rejects the row.
* Money uses a dot as the decimal separator and at most two decimals (``149``, ``149.5``, ``149.99``);
  anything else (``149,99``, ``$149``, ``1,499.00``, ``149.999``, negative amounts) rejects the row.
* A blank optional cell leaves what is stored alone: it never clears a value. Clearing is done through
  the API. A new device model needs ``deviceType``.
* Brands, repair types and part types that do not exist yet are created and counted as created. A new
  part type takes the row's ``partQuality`` (default ``aftermarket_standard``) and a 3-month warranty; a new
  repair type has no default bench time. Adjust both through the API afterwards.
* A device model may appear on many rows (one per price). Its columns must agree: a row that gives a
  different value for a column an earlier row already set (e.g. another ``releaseYear``) is rejected with
  the line of the first value. A price key given twice is rejected from the second time on as
  ``duplicate of line N``: nothing is silently overwritten.
* A rejected row changes nothing, and never stops the other rows: every good row is written. Each
  rejection names the 1-based line of the file where the record starts, the reason and, where one column
  is at fault, that column.
* A file that is not UTF-8 CSV, lacks the ``brand`` and ``model`` headers or has an unknown header is
  refused as a whole (:class:`~fixdesk.platform.errors.ValidationFailed`, 400) and changes nothing.
* A changed price keeps its id. When price or cost change (or a price is created) a price-history row is
  written with source ``import``, naming the file and line, and a ``catalog.price_changed`` event is
  published, as for a change through the API; a change of only the validity dates or notes updates the
  price without either. A changed price saved earlier from the estimator becomes the shop's own
  (``isEstimated`` false). Records an import creates are active; it never changes the active flag of
  existing ones (deactivating and reactivating is done through the API).

Spreadsheet formulas and control characters
============================================

A spreadsheet opening the file would run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a leading tab or carriage return can smuggle one in (OWASP, "CSV Injection"). So the export
writes such a cell with a single quote in front (:func:`escape_cell`): a model named ``-Phone`` is written
``'-Phone``, a note ``=1+1`` is written ``'=1+1``. A cell that itself starts with a quote gets one more
(``'s Tab`` becomes ``''s Tab``), so the mark is never ambiguous.

The import removes one leading single quote from every cell before reading it (:func:`unescape_cell`), so
importing an export restores every value exactly. A hand-written cell that is meant to start with a quote
needs two.

Numbers: the format's numeric columns (``releaseYear``, ``screenSize``, ``tierLevel``, ``price``, ``cost``)
are never negative and never carry a sign, so the export writes them as plain digits and they are never
escaped. A text cell that looks like a negative number (``-5`` as a ``modelNumber`` or in ``notes``) is text
like any other: exported as ``'-5`` and imported back as ``-5``. An escaped numeric cell (``'149.99``, as a
spreadsheet may save a number stored as text) reads as the number; ``'-1`` in ``price`` is refused like
``-1``.

A row with a C0 control character other than tab, line feed and carriage return in any cell (NUL among
them) is rejected with its line and the column, like every other text input of the API; the other rows are
imported. A header row holding one refuses the file (it is typically UTF-16, not UTF-8).

Counts are per distinct record, not per row: ``created``, ``updated`` and ``unchanged`` for brands, device
models, repair types, part types and prices (brands, repair types and part types are never updated by an
import, only created or referenced).

Existing records are loaded with a few chunked queries, the changes are computed in Python, and written
with chunked multi-row ``INSERT … ON CONFLICT`` statements (SQLAlchemy's ``insertmanyvalues`` batching), so
the number of statements grows with the file size divided by the chunk size, never with one query per row.

:func:`~fixdesk.catalog.transfer.export_catalog_csv` writes the same format, so an export imported again reports everything
unchanged.
"""

from __future__ import annotations

import re

from fixdesk.catalog.models import DeviceType, PartQuality
from fixdesk.platform.csv_cells import ESCAPE_MARK as ESCAPE_MARK
from fixdesk.platform.csv_cells import FORMULA_TRIGGERS as FORMULA_TRIGGERS
from fixdesk.platform.csv_cells import escape_cell as escape_cell
from fixdesk.platform.csv_cells import unescape_cell as unescape_cell

COLUMNS: tuple[str, ...] = (
    "brand",
    "model",
    "modelNumber",
    "releaseYear",
    "deviceType",
    "screenSize",
    "tierLevel",
    "repairType",
    "partType",
    "partQuality",
    "price",
    "cost",
    "validFrom",
    "validUntil",
    "notes",
)
"""The columns of the format, in the order the export writes them."""

REQUIRED_COLUMNS: tuple[str, ...] = ("brand", "model")
PRICE_KEY_COLUMNS: tuple[str, ...] = ("repairType", "partType", "price")
PRICE_COLUMNS: tuple[str, ...] = COLUMNS[COLUMNS.index("repairType") :]
"""The columns of a price (the format's last ones, from ``repairType`` on)."""
DEVICE_TYPES: tuple[str, ...] = tuple(kind.value for kind in DeviceType)
DEFAULT_PART_QUALITY = PartQuality.aftermarket_standard.value
"""The quality of a part type an import creates when the row gives none."""
DEFAULT_WARRANTY_MONTHS = 3
"""The warranty (months) of a part type an import creates."""

# Device model columns of the file → DeviceModel attributes.
DEVICE_FIELDS: dict[str, str] = {
    "modelNumber": "model_number",
    "releaseYear": "release_year",
    "deviceType": "device_type",
    "screenSize": "screen_size",
    "tierLevel": "tier_level",
}
MAX_LENGTHS: dict[str, int] = {
    "brand": 100,
    "model": 200,
    "modelNumber": 100,
    "repairType": 100,
    "partType": 100,
    "notes": 500,
}


def header_key(name: str) -> str:
    """A header cell as it is matched: lower-cased, everything but letters and digits removed."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


HEADER_ALIASES: dict[str, str] = {header_key(column): column for column in COLUMNS} | {
    "devicemodel": "model",
    "quality": "partQuality",
}
"""Header keys (:func:`header_key`) → column names: every column, and two older spellings."""
