"""A CSV units file read a batch of rows at a time, every column as text.

Memory stays bounded by the batch whatever the file's size, so a CSV file streams
through evaluation like a Parquet dataset (decision 0030). The cells are exactly those
the whole-file reader gives (:func:`cchc_rules.inputs._units.read_units_file`): text,
empty cells as empty strings, for the facts schema to parse.

The file's layout (encoding, delimiter, title rows above the header) is a parameter:
this module does not guess it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._office import CsvLayout
from cchc_rules.inputs._units import read_units_file

__all__ = ["csv_header", "csv_ids", "csv_rows", "csv_tables"]

_BLOCK = 1 << 20
"""Bytes pyarrow parses at once (its default): one block is one record batch."""


def _read_options(layout: CsvLayout) -> pacsv.ReadOptions:
    return pacsv.ReadOptions(
        block_size=_BLOCK, encoding=layout.encoding, skip_rows=layout.title_lines
    )


def _parse_options(layout: CsvLayout) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(delimiter=layout.delimiter)


@contextmanager
def _located(path: Path, source: str) -> Iterator[None]:
    """A file pyarrow refuses, refused in the whole-file reader's words.

    NOTE: the whole-file reader locates a problem (row, column, byte) by re-reading the
    file; only a file that fails pays for that, and the user reads one wording whichever
    way the units were read. Should the whole-file reader accept what the stream refused
    (a row longer than a block, which it reads with larger blocks), the refusal stands.
    """
    try:
        yield
    except (pa.ArrowInvalid, OSError) as exc:
        read_units_file(path, source)
        raise InputError([Problem(source, None, "", f"cannot read: {exc}")]) from exc


def csv_header(path: Path, layout: CsvLayout, source: str) -> list[str]:
    """The column names of the header row."""
    with _located(path, source), _open(path, layout, None) as reader:
        return list(reader.schema.names)


def _open(
    path: Path, layout: CsvLayout, convert: pacsv.ConvertOptions | None
) -> pacsv.CSVStreamingReader:
    return pacsv.open_csv(
        path,
        read_options=_read_options(layout),
        parse_options=_parse_options(layout),
        convert_options=convert,
    )


def _as_text(names: list[str]) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        include_columns=names,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


def csv_tables(path: Path, batch_rows: int, layout: CsvLayout, source: str) -> Iterator[pa.Table]:
    """The units of the file, ``batch_rows`` at a time (the last batch shorter), as text.

    A file without units gives one empty table with the header's columns. Raises
    :class:`InputError` naming ``source`` where the file cannot be read.
    """
    pending: list[pa.RecordBatch] = []
    held = 0
    yielded = False
    for batch in _batches(path, layout, source, None):
        pending.append(batch)
        held += batch.num_rows
        while held >= batch_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, batch_rows).combine_chunks()
            rest = table.slice(batch_rows)
            pending, held, yielded = rest.to_batches(), rest.num_rows, True
    if held or not yielded:
        schema = pa.schema([(name, pa.string()) for name in csv_header(path, layout, source)])
        yield pa.Table.from_batches(pending, schema).combine_chunks()


def csv_rows(path: Path, layout: CsvLayout, source: str) -> int:
    """The number of units in the file, counted in one pass converting one column."""
    header = csv_header(path, layout, source)
    return sum(batch.num_rows for batch in _batches(path, layout, source, header[:1]))


def csv_ids(path: Path, layout: CsvLayout, source: str, column: str) -> pa.Table:
    """One column of the file (the unit ids), whole, as text."""
    return pa.Table.from_batches(list(_batches(path, layout, source, [column])))


def _batches(
    path: Path, layout: CsvLayout, source: str, columns: list[str] | None
) -> Iterator[pa.RecordBatch]:
    """The file's record batches (``columns`` of it, or every column), as text."""
    names = csv_header(path, layout, source) if columns is None else columns
    with _located(path, source):
        reader = _open(path, layout, _as_text(names))
    with reader:
        while True:
            # Only the reading is checked: what the consumer raises at a yield passes through.
            with _located(path, source):
                batch = _next(reader)
            if batch is None:
                return
            yield batch


def _next(reader: pacsv.CSVStreamingReader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None
