"""CSV: the rows of a report table, exact decimals as written by Arrow."""

from __future__ import annotations

import io

import pyarrow.csv as pacsv

from cchc_rules.reports._table import ReportTable

__all__ = ["table_csv"]


def table_csv(table: ReportTable) -> bytes:
    """The rows with a header line; nothing above them, so any tool reads the file."""
    sink = io.BytesIO()
    pacsv.write_csv(table.rows, sink)
    return sink.getvalue()
