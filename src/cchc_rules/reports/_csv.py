"""CSV: the rows of a report table, exact decimals as written by Arrow."""

from __future__ import annotations

import codecs
import io

import pyarrow.csv as pacsv

from cchc_rules.reports._cells import safe_columns
from cchc_rules.reports._provenance import comment_lines
from cchc_rules.reports._table import ReportTable

__all__ = ["table_csv"]


def table_csv(table: ReportTable, *, bom: bool = False, provenance_header: bool = False) -> bytes:
    """The rows with a header line; nothing above them, so any tool reads the file —
    unless ``provenance_header`` asks for the table's provenance record above the header
    as ``#`` comment lines (readers must then be told to skip comments).

    Text that a spreadsheet would take for a formula is quoted (``reports._cells``);
    ``bom`` starts the file with the UTF-8 byte order mark, by which Excel on Windows
    knows the file is UTF-8 (without it, Vietnamese letters are garbled).
    """
    sink = io.BytesIO()
    if bom:
        sink.write(codecs.BOM_UTF8)
    if provenance_header and table.provenance is not None:
        sink.write(comment_lines(table.provenance))
    pacsv.write_csv(safe_columns(table.rows), sink)
    return sink.getvalue()
