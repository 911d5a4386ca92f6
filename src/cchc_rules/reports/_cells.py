"""Safe cells: text a spreadsheet would read as a formula is written as text.

OWASP's advice against CSV/formula injection: a text cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading single quote, so Excel and
LibreOffice show it as typed instead of evaluating it. Numbers are never touched: only
text columns pass through here (docs/decisions/0025-safe-cells.md).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FORMULA_START", "safe_columns", "safe_text"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = "^[=+\\-@\t\r]"


def safe_text(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet would take it for a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _safe_array(array: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(array.type):
        # A handful of distinct values shared by many rows: neutralise the dictionary.
        return pa.DictionaryArray.from_arrays(array.indices, _safe_array(array.dictionary))
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    hostile = pc.match_substring_regex(array, _PATTERN)
    if not pc.any(hostile).as_py():
        return array
    quoted = pc.binary_join_element_wise("'", array, "")
    return pc.if_else(hostile, quoted, array)


def safe_columns(table: pa.Table) -> pa.Table:
    """``table`` with every text cell made safe (:func:`safe_text`); other columns as they are."""
    columns = [
        pa.chunked_array([_safe_array(chunk) for chunk in column.chunks], column.type)
        if column.num_chunks
        else column
        for column in table.columns
    ]
    return pa.table(columns, schema=table.schema)
