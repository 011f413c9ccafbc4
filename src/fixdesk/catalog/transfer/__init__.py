"""Import the device catalog and price list from CSV, and export it in the same format.

The format and the rules of an import are documented in :mod:`fixdesk.catalog.transfer.csv_format`. The
package's modules, in the order an import runs (every public name is re-exported here):

* :mod:`~fixdesk.catalog.transfer.csv_format`: the columns, header matching and format constants;
* :mod:`~fixdesk.catalog.transfer.report`: :class:`ImportReport`, :class:`ImportProgress` and
  :class:`ImportTooLarge`;
* :mod:`~fixdesk.catalog.transfer.parsing`: bytes → typed rows, without the database;
* :mod:`~fixdesk.catalog.transfer.loading`: the stored records the file refers to, in chunked queries;
* :mod:`~fixdesk.catalog.transfer.planning`: rows against stored records → records to create and update;
* :mod:`~fixdesk.catalog.transfer.upsert`: chunked ``INSERT … ON CONFLICT`` writes, price history, events;
* :mod:`~fixdesk.catalog.transfer.importing`: :func:`import_catalog`, which runs the steps above;
* :mod:`~fixdesk.catalog.transfer.export`: :func:`export_catalog_csv`.
"""

from fixdesk.catalog.names import clean_name
from fixdesk.catalog.transfer.csv_format import (
    COLUMNS,
    DEFAULT_PART_QUALITY,
    DEFAULT_WARRANTY_MONTHS,
    DEVICE_TYPES,
    PRICE_COLUMNS,
    PRICE_KEY_COLUMNS,
    REQUIRED_COLUMNS,
)
from fixdesk.catalog.transfer.export import EXPORT_CHUNK_ROWS, ExportFilters, export_catalog_csv
from fixdesk.catalog.transfer.importing import import_catalog
from fixdesk.catalog.transfer.loading import SELECT_CHUNK_KEYS
from fixdesk.catalog.transfer.report import (
    ImportCounts,
    ImportProgress,
    ImportReport,
    ImportTooLarge,
    RejectedRow,
)
from fixdesk.catalog.transfer.upsert import WRITE_CHUNK_ROWS

__all__ = [
    "COLUMNS",
    "DEFAULT_PART_QUALITY",
    "DEFAULT_WARRANTY_MONTHS",
    "DEVICE_TYPES",
    "EXPORT_CHUNK_ROWS",
    "PRICE_COLUMNS",
    "PRICE_KEY_COLUMNS",
    "REQUIRED_COLUMNS",
    "SELECT_CHUNK_KEYS",
    "WRITE_CHUNK_ROWS",
    "ExportFilters",
    "ImportCounts",
    "ImportProgress",
    "ImportReport",
    "ImportTooLarge",
    "RejectedRow",
    "clean_name",
    "export_catalog_csv",
    "import_catalog",
]
