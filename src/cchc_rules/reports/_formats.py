"""The file formats of a report table, and which writer writes each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from cchc_rules.reports._csv import table_csv
from cchc_rules.reports._json import table_json
from cchc_rules.reports._table import ReportTable
from cchc_rules.reports._xlsx import table_xlsx

__all__ = ["FILE_FORMATS", "format_from_suffix", "table_bytes"]

_WRITERS: dict[str, Callable[[ReportTable], bytes]] = {
    "csv": table_csv,
    "json": table_json,
    "xlsx": table_xlsx,
}
FILE_FORMATS = tuple(_WRITERS)


def table_bytes(
    table: ReportTable, format: str, *, csv_bom: bool = False, provenance_header: bool = False
) -> bytes:
    """``table`` in one of :data:`FILE_FORMATS`; CSV starts with a UTF-8 BOM if ``csv_bom``,
    then the provenance record as comment lines if ``provenance_header``."""
    if format == "csv":
        return table_csv(table, bom=csv_bom, provenance_header=provenance_header)
    return _WRITERS[format](table)


def format_from_suffix(path: Path, choices: Sequence[str]) -> str | None:
    """The format ``path``'s suffix names, if it is one of ``choices``."""
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in choices else None
