"""Evaluating a Parquet dataset in parts: streaming, on several processes, or elsewhere.

A dataset (one Parquet file or a directory of them) is cut into *pieces* of whole row
groups; a CSV file is one piece, read a batch at a time (decision 0030). Each piece is
read, validated, scored and aggregated on its own, a bounded number of units at a time,
and its per-unit results go to a *sink* (a spill file, or a Dask worker's memory). The
coordinator keeps only what ranking needs: per unit the total, the applicable maximum
and the peer group (18 bytes), plus the unit ids to check they are unique across pieces.
Once every piece is in, it ranks all units at once — ranks are global and exact within
each peer group whatever the cut — and writes the results in input order, rank filled
in, to one Parquet file; the ids are checked beside that write, or before it for a
dataset of millions.

Within a piece, batches go through a pipeline (decision 0034): the next batch is parsed
on one thread, the one before it checked cell by cell on another, while the main
thread scores. In one process the results wait for their ranks in memory when they fit
a budget; otherwise, and from worker processes, a spill thread compresses and writes
them to scratch files.

Everything a unit's row holds except its rank depends on that unit alone, so the
parts concatenate to exactly the table a whole-table run gives.

Facts a ruleset derives from record sets are derived once, before any piece is
scored, for every unit of the dataset (only the ``unit_id`` column is read for it):
record sets are checked against all the units at once, and each piece takes its
slice of the derived columns by position.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cchc_rules.errors import CchcError, FactCheckError, InputError, Problem
from cchc_rules.inputs._csv_stream import csv_header, csv_ids, csv_rows, csv_tables
from cchc_rules.inputs._derive import derive_facts, derived_fact_clashes
from cchc_rules.inputs._fact_checks import FactWarning, check_facts
from cchc_rules.inputs._office import CsvLayout
from cchc_rules.inputs._units import UnitTable, read_units
from cchc_rules.reports._atomic import cannot_write, scratch_directory
from cchc_rules.reports._parquet import OUTPUT_GROUP_ROWS, write_parquet
from cchc_rules.results._scorecards import OutputColumns, Scorecards
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.scoring._aggregate import NO_RANK, aggregate, rank_within_groups
from cchc_rules.scoring._engine import (
    DEFAULT_BATCH_SIZE,
    check_inputs,
    score_units,
    with_computed_facts,
)

__all__ = [
    "AUTOMATIC_WORKERS_AT_MOST",
    "DEFAULT_PIECE_ROWS",
    "CsvLayout",
    "PartKeys",
    "Piece",
    "automatic_workers",
    "dataset_files",
    "dataset_rows",
    "derive_dataset_facts",
    "evaluate_dataset",
    "finish",
    "is_csv",
    "piece_facts",
    "piece_warnings",
    "plan_pieces",
    "score_piece",
    "shared_between",
    "unique_ids_checked",
    "with_rank",
]

DEFAULT_PIECE_ROWS = 131_072
"""Units read and scored at once per process: about 300 MB of working memory."""

AUTOMATIC_WORKERS_AT_MOST = 4
"""Processes a run uses when not told how many: one per core up to this many, each
holding a piece's working memory (decision 0036)."""

HELD_RESULTS_BYTES = 1 << 30
"""Results a one-process run keeps in memory until they are ranked and written, rather
than spilling them (decision 0034). A dataset whose results would take more is spilled
whole, so memory stays bounded whatever its size."""

Sink = Callable[[pa.Table], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Piece:
    """Whole row groups of one Parquet file, a part of one row group, or a whole CSV
    file; the unit of work handed to a process."""

    path: str
    row_groups: tuple[int, ...]
    first_row: int
    """Row of the piece's first unit in its file, counted from 1 (as errors show it)."""
    rows: int
    offset: int = 0
    """Position of the piece's first unit in the whole dataset (files in order)."""
    csv: CsvLayout | None = None
    """How the CSV file is laid out (None: Parquet)."""
    skip: int = 0
    """Units of its row group before the piece's first (a row group shared between
    processes: :func:`shared_between`)."""


@dataclass(frozen=True)
class PartKeys:
    """What the coordinator keeps of a scored piece."""

    piece: Piece
    problems: tuple[Problem, ...]
    unit_ids: pa.Array
    total: npt.NDArray[np.int64]
    applicable_max: npt.NDArray[np.int64]
    groups: npt.NDArray[np.int16]
    warnings: tuple[FactWarning, ...] = ()
    """Units of the piece that break a warning check between facts."""
    spill_mapped: bool = False
    """Its spill file is uncompressed, to be read back memory-mapped (see :func:`_spill`)."""


def is_csv(path: Path) -> bool:
    """Whether ``path`` names a CSV file (streamed as one piece)."""
    return path.suffix.lower() == ".csv" and not path.is_dir()


def dataset_files(path: Path) -> list[Path]:
    """The Parquet files of a dataset: the file itself, or a directory's, sorted by name."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise InputError([Problem(str(path), None, "", "no .parquet files in this directory")])
        return files
    if not path.exists():
        raise InputError([Problem(str(path), None, "", "file does not exist")])
    return [path]


@contextmanager
def _reading(path: Path | str) -> Iterator[None]:
    """A Parquet file that cannot be read (damaged, truncated, not Parquet) as a located
    input error."""
    try:
        yield
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError([Problem(str(path), None, "", f"cannot read: {exc}")]) from exc


def dataset_rows(path: Path, csv: CsvLayout | None = None) -> int:
    """The units of a dataset, from the files' metadata; of a CSV file (laid out as
    ``csv``), counted."""
    if is_csv(path):
        dataset_files(path)
        return csv_rows(path, csv or CsvLayout(), str(path))
    rows = 0
    for file in dataset_files(path):
        with _reading(file):
            rows += pq.ParquetFile(file).metadata.num_rows
    return rows


def plan_pieces(
    path: Path, piece_rows: int = DEFAULT_PIECE_ROWS, csv: CsvLayout | None = None
) -> list[Piece]:
    """Cut a dataset into pieces of whole row groups, at most ``piece_rows`` units each.

    A row group larger than ``piece_rows`` is a piece of its own; it is still read
    ``piece_rows`` units at a time. A CSV file (laid out as ``csv``) is one piece,
    read ``piece_rows`` units at a time too.

    NOTE: a piece closes before it would pass ``piece_rows``, not after: the common
    writers' row groups (100,000 units, say) then make pieces of one group each, so
    a million units are ten pieces that two processes share evenly, where pieces of
    two groups made five, and one process scored three of them while the other waited.
    """
    if is_csv(path):
        layout = csv or CsvLayout()
        return [Piece(str(path), (), layout.first_row, dataset_rows(path, layout), 0, layout)]
    pieces: list[Piece] = []
    offset = 0
    for file in dataset_files(path):
        with _reading(file):
            metadata = pq.ParquetFile(file).metadata
        first, rows, groups = 1, 0, list[int]()
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            if groups and rows + size > piece_rows:
                pieces.append(Piece(str(file), tuple(groups), first, rows, offset))
                first, offset, rows, groups = first + rows, offset + rows, 0, []
            groups.append(group)
            rows += size
        if groups or first == 1:
            # The tail, or an empty file: scored too, so its columns are still checked.
            pieces.append(Piece(str(file), tuple(groups), first, rows, offset))
            offset += rows
    return pieces


def derive_dataset_facts(
    ruleset: CompiledRuleset,
    dataset: Path,
    records: Mapping[str, Path | str],
    csv: CsvLayout | None = None,
) -> pa.Table | None:
    """The derived facts of every unit of the dataset, in dataset order (None: none).

    Only ``unit_id`` is read from the units; the record sets are checked and derived
    once. A units file with a column named like a derived fact is refused by name.
    """
    if not ruleset.providers:
        return None
    derived = [name for name, spec in ruleset.model.facts.items() if spec.derived is not None]
    files = dataset_files(dataset)
    clashes: list[Problem] = []
    ids: list[pa.Table] = []
    for file in files:
        if is_csv(file):
            layout = csv or CsvLayout()
            present = csv_header(file, layout, str(file))
            clashes += derived_fact_clashes(ruleset, present, str(file))
            if "unit_id" in present:
                ids.append(csv_ids(file, layout, str(file), "unit_id"))
            continue
        with _reading(file):
            present = pq.ParquetFile(file).schema_arrow.names
            clashes += derived_fact_clashes(ruleset, present, str(file))
            ids.append(pq.read_table(file, columns=[c for c in ("unit_id",) if c in present]))
    if clashes:
        raise InputError(clashes)
    units = pa.concat_tables(ids, promote_options="permissive")
    label = str(files[0]) if len(files) == 1 else str(dataset)
    table = derive_facts(ruleset, units, records, source=label).table
    return table.select([name for name in derived if name in table.column_names])


def piece_facts(derived: pa.Table | None, piece: Piece) -> pa.Table | None:
    """The piece's rows of the derived facts, compact (a slice would pickle whole)."""
    if derived is None:
        return None
    return derived.take(pa.array(np.arange(piece.offset, piece.offset + piece.rows)))


def _with_derived(table: pa.Table, derived: pa.Table | None, start: int) -> pa.Table:
    if derived is None:
        return table
    for name, column in zip(derived.column_names, derived.columns, strict=True):
        table = table.append_column(name, column.slice(start, table.num_rows))
    return table


def _batches(piece: Piece, batch_rows: int) -> Iterator[pa.Table]:
    if piece.csv is not None:
        yield from csv_tables(Path(piece.path), batch_rows, piece.csv, piece.path)
        return
    with _reading(piece.path):
        handle = pq.ParquetFile(piece.path)
        batches = handle.iter_batches(batch_size=batch_rows, row_groups=list(piece.row_groups))
    empty = True
    skip, left = piece.skip, piece.rows
    while left:
        # Only the reading is checked: what the consumer raises at a yield passes through.
        with _reading(piece.path):
            batch = next(batches, None)
        if batch is None:
            break
        if skip >= batch.num_rows:
            # a whole batch: shared_between cuts a row group between batches
            skip -= batch.num_rows
            continue
        # (a cut inside a batch, were the reader's batches ever shorter, slices it)
        batch = batch.slice(skip, left)
        skip = 0
        left -= batch.num_rows
        empty = False
        yield pa.Table.from_batches([batch])
    if empty:
        # A file without units is still checked (its columns) and gives the result schema.
        yield handle.schema_arrow.empty_table()


def _validated(
    ruleset: CompiledRuleset, piece: Piece, batch_rows: int, derived: pa.Table | None
) -> Iterator[tuple[UnitTable | InputError, int]]:
    """The piece's units a batch at a time, read and checked cell by cell, with the
    batch's rows; a batch's refusal in its place, so the problems of every batch are
    reported."""
    first_row = piece.first_row
    # NOTE: parsing the next batch (Arrow's, GIL free) on a thread of its own too: for a
    # CSV file it costs as much as checking the text, which then runs beside it.
    for table in _read_ahead(_batches(piece, batch_rows)):
        table = _with_derived(table, derived, first_row - piece.first_row)
        try:
            units: UnitTable | InputError = read_units(
                table, ruleset.model, name=piece.path, first_row=first_row
            )
        except InputError as exc:
            units = exc
        yield units, table.num_rows
        first_row += table.num_rows


def score_piece(
    ruleset: CompiledRuleset,
    piece: Piece,
    sink: Sink,
    *,
    lang: str = "vi",
    columns: OutputColumns = "all",
    batch_rows: int = DEFAULT_PIECE_ROWS,
    derived: pa.Table | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> PartKeys:
    """Validate, score and aggregate one piece; its results (rank left null) go to ``sink``.

    ``on_progress`` is called with the number of units of each batch as it is taken
    up (a CSV file is one piece: its bar moves batch by batch).

    ``columns`` selects the result columns (see :meth:`Scorecards.to_arrow`): those left
    out are never built, spilled or written.

    ``derived`` holds the derived facts of the piece's units (its slice of
    :func:`derive_dataset_facts`), appended to each batch before it is checked.

    Input problems do not raise here: they are returned, so the coordinator reports
    the problems of every piece at once. After the first problem nothing more is
    scored, only checked.
    """
    problems: list[Problem] = []
    ids: list[pa.Array] = []
    totals: list[npt.NDArray[np.int64]] = []
    maxima: list[npt.NDArray[np.int64]] = []
    groups: list[npt.NDArray[np.int16]] = []
    warnings: list[FactWarning] = []
    # NOTE: the next batch is read and checked on a second thread while this one is
    # scored: both are mostly numpy and Arrow work that leaves the GIL free.
    for units, rows in _read_ahead(_validated(ruleset, piece, batch_rows, derived)):
        if on_progress is not None:
            on_progress(rows)
        if isinstance(units, InputError):
            problems.extend(units.problems)
            continue
        try:
            if problems:
                full = with_computed_facts(ruleset, units.batch(), units)
                check_inputs(ruleset, units, full)
                check_facts(ruleset, units, full)
                continue
            matrix = score_units(ruleset, units, batch_size=DEFAULT_BATCH_SIZE)
        except FactCheckError as exc:
            # the refusals of every piece are reported together, in the run's language
            problems.extend(exc.in_language(lang).problems)
            continue
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        aggregates = aggregate(ruleset, units, matrix, ranked=False)
        cards = Scorecards(ruleset, units, matrix, aggregates)
        sink(cards.to_arrow(lang=lang, columns=columns))
        ids.append(units.unit_ids)
        totals.append(aggregates.total)
        maxima.append(aggregates.applicable_max)
        groups.append(cards.group_codes)
        warnings.extend(matrix.warnings)
    return PartKeys(
        piece,
        tuple(problems),
        pa.concat_arrays(ids) if ids else pa.array([], pa.string()),
        np.concatenate(totals) if totals else np.zeros(0, dtype=np.int64),
        np.concatenate(maxima) if maxima else np.zeros(0, dtype=np.int64),
        np.concatenate(groups) if groups else np.zeros(0, dtype=np.int16),
        tuple(warnings),
    )


_ID_BUCKETS = 8


def _id_buckets(ids: pa.StringArray) -> npt.NDArray[np.intp]:
    """A bucket for each id, from its length and last byte (read from Arrow's buffers,
    no string made): equal ids share a bucket, and an office's numbering (``U0001``,
    ``U0002``, …) spreads over all of them."""
    if len(ids) == 0:  # its offsets buffer may be absent
        return np.zeros(0, dtype=np.intp)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[
        ids.offset : ids.offset + len(ids) + 1
    ]
    lengths = np.diff(offsets).astype(np.intp)
    data = ids.buffers()[2]
    text = np.zeros(0, dtype=np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)
    last = np.zeros(len(ids), dtype=np.intp)
    present = lengths > 0  # an empty id has no last byte of its own
    last[present] = text[offsets[1:][present] - 1]
    return np.asarray((last + 7 * lengths) % _ID_BUCKETS)


def _duplicates_across(parts: Sequence[PartKeys]) -> list[Problem]:
    """Unit ids seen earlier in the dataset: in an earlier piece, or in an earlier batch
    of the same piece.

    NOTE: a batch reports the repeats inside it with its other problems, which stop the
    run before this check; so every repeat this finds is across batches, and each is
    reported once. A piece is many batches (a CSV file is one piece), so a repeat
    inside a piece is not necessarily inside a batch.
    """
    everything = pa.chunked_array([p.unit_ids for p in parts], pa.string())
    if len(everything) == 0:
        return []
    # NOTE: a bucket at a time: Arrow's hash table takes about 50 bytes an id, so ten
    # million ids at once added 500–750 MB to the run's peak; a repeat is always in the
    # bucket of its first copy. Eight buckets also hash faster (2.4 against 3.8 s).
    buckets = np.concatenate([_id_buckets(chunk) for chunk in everything.chunks])
    found: list[pa.Array] = []
    for bucket in range(_ID_BUCKETS):
        ids = everything.filter(pa.array(buckets == bucket))
        if len(pc.unique(ids)) != len(ids):
            counts = pc.value_counts(ids)
            found.append(counts.field("values").filter(pc.greater(counts.field("counts"), 1)))
    if not found:
        return []
    repeated = pa.concat_arrays(found)
    problems: list[Problem] = []
    seen: set[str] = set()
    for part in parts:
        positions = np.flatnonzero(pc.is_in(part.unit_ids, value_set=repeated).to_numpy(False))
        here = [str(part.unit_ids[int(i)]) for i in positions]
        for index, unit_id in zip(positions, here, strict=True):
            if unit_id in seen:
                row = part.piece.first_row + int(index)
                message = f"duplicate unit id (got {unit_id!r})"
                problems.append(Problem(part.piece.path, row, "unit_id", message))
            seen.add(unit_id)
    return problems


def finish(ruleset: CompiledRuleset, parts: Sequence[PartKeys]) -> list[npt.NDArray[np.int64]]:
    """Rank every unit; the ranks, piece by piece.

    Raises :class:`InputError` with the problems of every piece, in dataset order.
    That no unit id is repeated across pieces is checked while the results are
    written (:func:`unique_ids_checked`).
    """
    problems: list[Problem] = []
    for part in parts:
        problems.extend(part.problems)
    if problems:
        # A column problem (no row) is found again by every piece of its file.
        unique = list(dict.fromkeys(problems))
        raise InputError(unique)
    rank = rank_within_groups(
        np.concatenate([p.total for p in parts]),
        np.concatenate([p.applicable_max for p in parts]),
        np.concatenate([p.groups for p in parts]),
        ruleset.model.ranking.ties,
        ruleset.arithmetic,
    )
    bounds = np.cumsum([len(p.total) for p in parts])[:-1]
    return np.split(rank, bounds)


IDS_CHECKED_BESIDE_THE_WRITE = 2_000_000
"""Up to this many units, repeated ids are looked for while the results are written;
beyond, before (decision 0034)."""


def unique_ids_checked(
    tables: Iterable[pa.Table], parts: Sequence[PartKeys]
) -> Generator[pa.Table, None, None]:
    """The same tables, once no unit id is found repeated across pieces; a repeat is
    :class:`InputError` naming each, and nothing is written (see :func:`write_parquet`).

    NOTE: the check (hashing every id) and the Parquet write both leave the GIL free,
    so on a second core the check costs no time: up to
    :data:`IDS_CHECKED_BESIDE_THE_WRITE` units it runs beside the write, and a repeat
    is reported as soon as it is found, not after a long write. Its hash table takes
    50–75 bytes an id of the bucket it hashes, so a larger dataset is checked first,
    and memory stays within the streamed run's bound.
    """
    if sum(len(part.unit_ids) for part in parts) > IDS_CHECKED_BESIDE_THE_WRITE:
        if problems := _duplicates_across(parts):
            raise InputError(problems)
        yield from tables
        return
    with ThreadPoolExecutor(max_workers=1) as background:
        repeats = background.submit(_duplicates_across, parts)
        for table in tables:
            if repeats.done() and (problems := repeats.result()):
                raise InputError(problems)
            yield table
        if problems := repeats.result():
            raise InputError(problems)


def piece_warnings(ruleset: CompiledRuleset, parts: Sequence[PartKeys]) -> tuple[FactWarning, ...]:
    """The warnings of every piece, check by check in ruleset order and units in dataset
    order within a check, as a whole-table run lists them."""
    order = {compiled.check.id: n for n, compiled in enumerate(ruleset.checks)}
    found = [w for part in parts for w in part.warnings]
    return tuple(sorted(found, key=lambda w: order[w.check]))


def with_rank(table: pa.Table, rank: npt.NDArray[np.int64]) -> pa.Table:
    """A piece's results with its ranks filled in (null where nothing applies)."""
    column = table.schema.get_field_index("rank")
    ranks = pa.array(rank, pa.int64(), mask=rank == NO_RANK)
    return table.set_column(column, "rank", ranks)


# -- one machine: this process, or a pool of processes -----------------------------------

_worker_ruleset: CompiledRuleset | None = None


def _init_worker(ruleset: CompiledRuleset) -> None:
    global _worker_ruleset
    _worker_ruleset = ruleset


@dataclass(frozen=True)
class _Scoring:
    """What every piece of one run is scored with: units read at once, and what its
    results table holds."""

    batch_rows: int
    lang: str
    columns: OutputColumns
    units: int
    """Units of the whole dataset."""
    held_bytes: int
    """Results of the whole dataset up to this size wait in memory in one process, and
    in uncompressed spills with several."""


def _results_fit(table: pa.Table, units: int, budget: int) -> bool:
    """Whether the results of ``units`` units, judged from ``table`` (some of them),
    take at most ``budget`` bytes."""
    rows: int = table.num_rows
    return rows > 0 and int(table.nbytes) * units <= budget * rows


def _spill_piece(piece: Piece, spill: str, how: _Scoring, derived: pa.Table | None) -> PartKeys:
    """Score a piece in a worker process, its results to the spill file ``spill``."""
    assert _worker_ruleset is not None, "the pool initializer sets the ruleset"
    return _spill(_worker_ruleset, piece, spill, how, derived)


class _Waiting:
    """Where a one-process run's results wait for their ranks: all in memory when the
    whole dataset's results fit ``budget`` bytes (judged from its first units), else
    all in spill files.

    NOTE: held in memory, the results skip compressing, writing, reading and
    decompressing the spill (about 1 s of CPU at a million units); spilled, memory stays
    bounded by a piece. Both write the same bytes.
    """

    def __init__(self, budget: int, units: int) -> None:
        self.budget = budget
        self.units = units
        self.keep: bool | None = None
        self.kept: dict[str, list[pa.Table]] = {}

    def holds(self, spill: str, table: pa.Table) -> bool:
        """Whether ``table`` (the next results of the piece spilling to ``spill``) is
        kept here; if not, the caller spills it."""
        if self.keep is None and table.num_rows:
            self.keep = _results_fit(table, self.units, self.budget)
        if self.keep is False:
            return False
        self.kept.setdefault(spill, []).append(table)
        return True

    def tables(self, spill: str, part: PartKeys) -> Iterator[pa.Table]:
        """The piece's results, in order, each let go once taken."""
        kept = self.kept.pop(spill, None)
        if kept is None:
            yield from _read_spill(Path(spill), mapped=part.spill_mapped)
            return
        while kept:
            yield kept.pop(0)


def _spill(
    ruleset: CompiledRuleset,
    piece: Piece,
    spill: str,
    how: _Scoring,
    derived: pa.Table | None,
    on_progress: Callable[[int], None] | None = None,
    waiting: _Waiting | None = None,
) -> PartKeys:
    # NOTE: spill files are Arrow IPC, not Parquet: they are read back once, and
    # skipping Parquet's encoding makes the second pass several times cheaper.
    # Compressing and writing (Arrow, without the GIL) runs on a second thread while
    # the next batch is scored; one write at a time, so one batch at most waits.
    # When the whole dataset's results fit the held budget (a worker process's pieces;
    # in one process they wait in memory instead) the spill is not compressed: the
    # coordinator maps it and writes from the page cache, where LZ4 cost the workers
    # compressing and the coordinator decompressing beside its write, about 0.5 s at a
    # million units. A larger dataset is compressed, so its spills take less disk.
    writer: list[pa.ipc.RecordBatchFileWriter] = []
    writing: list[Future[None]] = []
    mapped: list[bool] = []

    with ThreadPoolExecutor(max_workers=1) as background:

        def sink(table: pa.Table) -> None:
            if waiting is not None and waiting.holds(spill, table):
                return
            with _writing_spill(spill):
                if writing:
                    writing.pop().result()
                if not writer:
                    mapped.append(_results_fit(table, how.units, how.held_bytes))
                    options = pa.ipc.IpcWriteOptions(compression=None if mapped[0] else "lz4")
                    writer.append(pa.ipc.new_file(spill, table.schema, options=options))
                writing.append(background.submit(writer[0].write_table, table))

        try:
            part = score_piece(
                ruleset,
                piece,
                sink,
                lang=how.lang,
                columns=how.columns,
                batch_rows=how.batch_rows,
                derived=derived,
                on_progress=on_progress,
            )
            return replace(part, spill_mapped=mapped == [True])
        finally:
            with _writing_spill(spill):
                if writing:
                    writing.pop().result()
                if writer:
                    writer[0].close()


@contextmanager
def _writing_spill(spill: str) -> Iterator[None]:
    """A spill write's own failure (a full disk) as "cannot write"; what scoring raises
    (bad input, a failing kind) passes through."""
    try:
        yield
    except OSError as exc:
        raise cannot_write(Path(spill), exc) from exc


def _read_spill(spill: Path, *, mapped: bool) -> Iterator[pa.Table]:
    if not spill.exists():
        return
    # NOTE: a compressed spill is read, not memory-mapped: a map saves no copy of LZ4
    # batches, and the pages of a map read through stay resident until it closes, which
    # for a CSV file (one piece, one spill) grew the peak memory with the file. An
    # uncompressed one is mapped: its batches are the page cache's memory, no copy.
    with pa.memory_map(str(spill)) if mapped else pa.OSFile(str(spill)) as source:
        reader = pa.ipc.open_file(source)
        if reader.num_record_batches == 0:
            # No units: the schema alone still makes the output a readable, empty table.
            yield reader.schema.empty_table()
        for number in range(reader.num_record_batches):
            yield pa.Table.from_batches([reader.get_batch(number)])


def evaluate_dataset(
    ruleset: CompiledRuleset,
    dataset: Path,
    output: Path,
    *,
    workers: int | None = 1,
    force: bool = False,
    lang: str = "vi",
    columns: OutputColumns = "all",
    piece_rows: int = DEFAULT_PIECE_ROWS,
    on_progress: Callable[[int], None] | None = None,
    records: Mapping[str, Path | str] | None = None,
    provenance: Mapping[str, Any] | None = None,
    on_warnings: Callable[[Sequence[FactWarning]], None] | None = None,
    csv: CsvLayout | None = None,
    pieces: Sequence[Piece] | None = None,
    held_bytes: int | None = None,
) -> int:
    """Score a Parquet dataset, or a CSV file laid out as ``csv``, piece by piece into
    the Parquet file ``output``.

    ``columns`` selects the result columns (see :meth:`Scorecards.to_arrow`).

    ``on_warnings`` is given the units that break a warning check between facts, once
    every piece is in.

    ``records`` maps the record sets the ruleset's fact providers read to their files
    (see :func:`cchc_rules.record_paths`); facts are derived once for all units.

    ``pieces`` is the dataset's :func:`plan_pieces`, when the caller already has it (a
    CSV file's plan counts its rows: a pass over the whole file).

    In one process, the results wait for their ranks in memory when all of them fit
    ``held_bytes`` (default :data:`HELD_RESULTS_BYTES`), else in compressed spill
    files. With several processes they wait in spill files, uncompressed when they fit.

    With ``workers`` > 1 the pieces are scored by that many processes; ``None`` lets the
    run choose (:func:`automatic_workers`). Memory stays
    bounded by ``piece_rows`` per process (and ``held_bytes`` of results in one
    process) plus 18 bytes per unit for ranking; the
    results are identical to :func:`cchc_rules.evaluate` on the whole table, in input
    order. Returns the number of units.
    """
    pieces = pieces if pieces is not None else plan_pieces(dataset, piece_rows, csv)
    if workers is None:
        workers = automatic_workers(pieces, piece_rows)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if workers > 1:
        pieces = shared_between(pieces, workers, piece_rows)
    derived = derive_dataset_facts(ruleset, dataset, records or {}, csv)
    budget = HELD_RESULTS_BYTES if held_bytes is None else held_bytes
    dataset_units = sum(piece.rows for piece in pieces)
    how = _Scoring(piece_rows, lang, columns, dataset_units, budget)
    with scratch_directory(output) as spill_dir:
        spills = [str(spill_dir / f"part-{n:06d}.arrow") for n in range(len(pieces))]
        parts: list[PartKeys] = []
        waiting = _Waiting(budget, dataset_units)
        if workers == 1:
            for piece, spill in zip(pieces, spills, strict=True):
                facts = piece_facts(derived, piece)
                parts.append(_spill(ruleset, piece, spill, how, facts, on_progress, waiting))
        else:
            parts = _pool_map(ruleset, pieces, spills, workers, how, on_progress, derived)
        ranks = finish(ruleset, parts)
        if on_warnings is not None:
            on_warnings(piece_warnings(ruleset, parts))
        tables = (
            with_rank(table, rank[start : start + table.num_rows])
            for spill, part, rank in zip(spills, parts, ranks, strict=True)
            for start, table in _offsets(waiting.tables(spill, part))
        )
        grouped = regrouped(_read_ahead(tables), OUTPUT_GROUP_ROWS)
        checked = unique_ids_checked(grouped, parts)
        try:
            return write_parquet(checked, output, force=force, provenance=provenance)
        finally:
            # NOTE: closed, outer first, before the scratch directory is removed: when a
            # repeated id stops the write, a table in flight may still map its spill, and
            # Windows does not delete a mapped file.
            for stage in (checked, grouped, tables):
                stage.close()


def _read_ahead(items: Iterator[T]) -> Iterator[T]:
    """The same items; the next is made (read, decompressed, checked) on a second
    thread while the caller works on this one."""
    with ThreadPoolExecutor(max_workers=1) as background:
        coming = background.submit(next, items, None)
        while (item := coming.result()) is not None:
            coming = background.submit(next, items, None)
            yield item


def regrouped(tables: Iterable[pa.Table], rows: int) -> Generator[pa.Table, None, None]:
    """The same rows, in order, as tables of ``rows`` rows (the last may be shorter)."""
    held: list[pa.Table] = []
    count = 0
    given = False
    for table in tables:
        held.append(table)
        count += table.num_rows
        while count >= rows:
            whole = pa.concat_tables(held)
            yield whole.slice(0, rows)
            given = True
            held, count = [whole.slice(rows)], count - rows
    if count or (held and not given):
        # The tail; or, for a dataset without units, its empty table (the schema).
        yield pa.concat_tables(held)


def _offsets(tables: Iterable[pa.Table]) -> Iterator[tuple[int, pa.Table]]:
    start = 0
    for table in tables:
        yield start, table
        start += table.num_rows


def _forks() -> bool:
    """Whether worker processes are forked: on Linux.

    NOTE: not wherever fork is listed: macOS lists it too, but its system libraries
    (Accelerate, which numpy's wheels use there) are not safe across a fork, which is
    why Python made spawn its default on macOS.
    """
    return sys.platform.startswith("linux")


def shared_between(pieces: Sequence[Piece], workers: int, batch_rows: int) -> list[Piece]:
    """The same units in pieces ``workers`` processes can share: when there are fewer
    pieces than processes, each piece that is one row group of several batches is cut
    into up to ``workers`` parts, each whole batches of ``batch_rows`` units.

    NOTE: pandas and pyarrow write up to about a million rows as one row group, so such
    a file is one piece, and a second process had nothing to do. A part after the first
    decodes the batches before it and drops them (about 0.12 s for half a million
    units), far less than scoring them. The cuts fall between the batches one process
    reads, so every batch, and so every byte of the results, is the same.
    """
    if len(pieces) >= workers:
        return list(pieces)
    shared: list[Piece] = []
    for piece in pieces:
        batches = -(-piece.rows // batch_rows)
        if piece.csv is not None or len(piece.row_groups) != 1 or piece.skip or batches < 2:
            shared.append(piece)
            continue
        per_part = -(-batches // min(workers, batches)) * batch_rows
        for skip in range(0, piece.rows, per_part):
            shared.append(
                replace(
                    piece,
                    first_row=piece.first_row + skip,
                    rows=min(per_part, piece.rows - skip),
                    offset=piece.offset + skip,
                    skip=skip,
                )
            )
    return shared


def automatic_workers(pieces: Sequence[Piece], batch_rows: int = DEFAULT_PIECE_ROWS) -> int:
    """How many processes score ``pieces`` when the user does not say: one per core this
    process may run on, at most :data:`AUTOMATIC_WORKERS_AT_MOST` and one per piece (as
    :func:`shared_between` cuts them), where processes fork (Linux); one for a single
    batch of units, a CSV file, or elsewhere.

    NOTE: at a million units two processes took 0.87 × the handwritten program's time
    against 1.12 × for one, and at ten million 40 s and 1.3 GiB against 49–52 s and
    1.6 GiB (decision 0036). A fresh interpreter per process (spawn, on Windows and
    macOS) costs a start-up each and cannot import a ``--plugins-dir`` kind by name, so
    there the default stays one process.
    """
    if any(piece.csv is not None for piece in pieces) or not _forks():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    most = min(cores or 1, AUTOMATIC_WORKERS_AT_MOST)
    return max(1, min(most, len(shared_between(pieces, most, batch_rows))))


def _pool_map(
    ruleset: CompiledRuleset,
    pieces: Sequence[Piece],
    spills: Sequence[str],
    workers: int,
    how: _Scoring,
    on_progress: Callable[[int], None] | None,
    derived: pa.Table | None,
) -> list[PartKeys]:
    # NOTE: forked, the workers inherit the compiled ruleset, including kinds from a
    # --plugins-dir module that a fresh interpreter could not import by name. Elsewhere
    # the ruleset is pickled (entry-point plugins only).
    context = multiprocessing.get_context("fork" if _forks() else "spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(ruleset,)
    ) as pool:
        futures = [
            pool.submit(_spill_piece, piece, spill, how, piece_facts(derived, piece))
            for piece, spill in zip(pieces, spills, strict=True)
        ]
        parts = []
        try:
            for piece, future in zip(pieces, futures, strict=True):
                parts.append(future.result())
                if on_progress is not None:
                    on_progress(piece.rows)
        except BrokenProcessPool as exc:
            # A worker died (killed, out of memory, a crash in native code): no Python
            # error to report, so say which piece was lost.
            raise CchcError(
                [Problem(piece.path, None, "", f"a worker process stopped while scoring ({exc})")]
            ) from exc
        except BaseException:
            # A piece failed (a plugin's kind, a full disk): the rest would be wasted work.
            pool.shutdown(cancel_futures=True)
            raise
    return parts
