"""Parquet: scorecards tables written one after another, as they come, to one file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cchc_rules.reports._atomic import atomic_output, cannot_write
from cchc_rules.results._provenance import PARQUET_KEY
from cchc_rules.results._scorecards import SUMMARY_COLUMNS

__all__ = ["OUTPUT_GROUP_ROWS", "write_parquet"]

OUTPUT_GROUP_ROWS = 262_144
"""Units per row group of the output: twice a streaming piece, as Parquet encodes larger
groups markedly faster (fewer dictionaries and pages per column), at ~160 MB held while
writing."""


def write_parquet(
    tables: Iterable[pa.Table],
    output: Path,
    *,
    force: bool,
    provenance: Mapping[str, Any] | None = None,
) -> int:
    """Write tables one after another to one Parquet file, atomically; the rows written.

    ``provenance`` (``results._provenance``) is kept as JSON text in the file's schema
    metadata under ``cchc:provenance``.

    Each table is written as it comes, so the tables of a large dataset are never all
    in memory. The file appears under its name only once complete (see
    :func:`atomic_output`); an existing file is replaced only with ``force``, keeping
    its mode, and even then a failed run leaves it as it was.
    """
    rows = 0
    with atomic_output(output, force=force) as temporary:
        writer: pq.ParquetWriter | None = None
        try:
            for table in tables:
                if writer is None:
                    # Points are decimals of at most 18 digits: stored as Parquet's
                    # INT64-backed DECIMAL they stay exact and encode fast. Column
                    # statistics (for readers' filters) are kept for the unit and result
                    # columns only; per-criterion columns skip them (~20 % of the write).
                    writer = _open(temporary, _with_provenance(table.schema, provenance), output)
                _write(writer, table, output)
                rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


def _with_provenance(schema: pa.Schema, provenance: Mapping[str, Any] | None) -> pa.Schema:
    if provenance is None:
        return schema
    record = json.dumps(provenance, ensure_ascii=False, sort_keys=True).encode()
    return schema.with_metadata({**(schema.metadata or {}), PARQUET_KEY: record})


def _open(temporary: Path, schema: pa.Schema, output: Path) -> pq.ParquetWriter:
    try:
        return pq.ParquetWriter(
            temporary,
            schema,
            store_decimal_as_integer=True,
            write_statistics=[n for n in SUMMARY_COLUMNS if n in schema.names],
        )
    except OSError as exc:
        raise cannot_write(output, exc) from exc


def _write(writer: pq.ParquetWriter, table: pa.Table, output: Path) -> None:
    # Only the writer's own failures (a full disk) read as "cannot write"; what the
    # tables' producer raises while scoring passes through unchanged.
    try:
        writer.write_table(table, row_group_size=OUTPUT_GROUP_ROWS)
    except OSError as exc:
        raise cannot_write(output, exc) from exc
